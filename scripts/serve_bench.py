#!/usr/bin/env python3
"""Benchmark `mimic serve`: aggregate generated tokens/s with 1, 4 and 16 concurrent clients.

Starts `mimic serve` on a free port (release build by default), sends chat completions with fixed max_tokens from
each client thread (stdlib urllib + threads), and prints one line per concurrency with the completion tokens the
server reported (usage), the wall time and tokens/s. Usage:

    swift build -c release && python3 scripts/serve_bench.py [--mimic .build/release/mimic] [--model smollm2-135m-instruct]
        [--clients 1,4,16] [--requests 2] [--max-tokens 128]
"""
import argparse
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request

PROMPTS = [
    "Write a short story about a robot learning to paint.",
    "Explain how a refrigerator works.",
    "List some tips for staying focused while studying.",
    "Describe the water cycle to a child.",
    "What are the pros and cons of remote work?",
    "Write a poem about the sea.",
    "How do I make a good cup of tea?",
    "Summarise the plot of a heist film you invent.",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chat(base, model, prompt, max_tokens):
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens,
                       "temperature": 0}).encode()
    req = urllib.request.Request(base + "/chat/completions", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)["usage"]["completion_tokens"]


def run(base, model, clients, requests, max_tokens):
    totals = [0] * clients
    errors = []

    def client(i):
        try:
            for r in range(requests):
                totals[i] += chat(base, model, PROMPTS[(i * requests + r) % len(PROMPTS)] + f" (#{i}.{r})", max_tokens)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        sys.exit(f"client errors: {errors[:3]}")
    return sum(totals), wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mimic", default=".build/release/mimic")
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--requests", type=int, default=2, help="requests per client")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    port = free_port()
    cmd = [args.mimic, "serve", args.model, "--port", str(port), "--model-name", "bench"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        if "mimic serve:" not in line:
            sys.exit(f"the server did not start: {line!r}")
        base = f"http://127.0.0.1:{port}/v1"
        chat(base, "bench", "Hello", 8)  # warm-up
        print(f"# {time.strftime('%Y-%m-%d')} {' '.join(cmd)}; {args.requests} requests/client, max_tokens {args.max_tokens}, greedy")
        print("clients  tokens  seconds  tokens/s")
        for clients in [int(c) for c in args.clients.split(",")]:
            tokens, wall = run(base, "bench", clients, args.requests, args.max_tokens)
            print(f"{clients:7d}  {tokens:6d}  {wall:7.2f}  {tokens / wall:8.1f}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
