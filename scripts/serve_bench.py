#!/usr/bin/env python3
"""Benchmark `mimic serve`: aggregate generated tokens/s with 1, 4 and 16 concurrent clients.

Starts `mimic serve` on a free port (release build by default), sends chat completions with fixed max_tokens from
each client thread (stdlib urllib + threads), and prints one line per concurrency with the completion tokens the
server reported (usage), the wall time and tokens/s. Usage:

    swift build -c release && python3 scripts/serve_bench.py [--mimic .build/release/mimic] [--model smollm2-135m-instruct]
        [--clients 1,4,16] [--requests 2] [--max-tokens 128] [--llama-server PATH --gguf FILE]

With --llama-server (llama.cpp's server binary, built outside the repository) the same loads are sent to it, serving
the same GGUF file with as many slots as the largest client count, in the same run, and the ratio is printed.
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


def wait_ready(base, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base.removesuffix("/v1") + "/health", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.2)
    sys.exit("the server did not become ready")


def measure(cmd, base, model, args):
    """Starts `cmd`, waits for /health, warms up, and returns {clients: (tokens, seconds)}."""
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(base, server)
        chat(base, model, "Hello", 8)  # warm-up
        results = {}
        for clients in [int(c) for c in args.clients.split(",")]:
            results[clients] = run(base, model, clients, args.requests, args.max_tokens)
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mimic", default=".build/release/mimic")
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--requests", type=int, default=2, help="requests per client")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--llama-server", default=None, help="llama.cpp's llama-server binary, for the reference figures")
    ap.add_argument("--gguf", default=".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf", help="the GGUF llama-server loads")
    args = ap.parse_args()
    most = max(int(c) for c in args.clients.split(","))
    port = free_port()
    cmd = [args.mimic, "serve", args.model, "--port", str(port), "--model-name", "bench", "--parallel", str(most)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    print(f"# {time.strftime('%Y-%m-%d')} {args.requests} requests/client, max_tokens {args.max_tokens}, greedy")
    print(f"# mimic: {' '.join(cmd)}")
    mimic = measure(cmd, f"http://127.0.0.1:{port}/v1", "bench", args)
    reference = None
    if args.llama_server:
        port = free_port()
        ref_cmd = [args.llama_server, "-m", args.gguf, "--port", str(port), "-np", str(most), "-c", str(most * 512),
                   "-t", str(args.threads or 2), "--no-webui"]
        print(f"# reference: {' '.join(ref_cmd)}")
        reference = measure(ref_cmd, f"http://127.0.0.1:{port}/v1", "bench", args)
    print("| clients | mimic tokens | mimic s | mimic tokens/s |" + (" llama-server tokens | llama-server s | llama-server tokens/s | ratio |" if reference else ""))
    print("| ---: | ---: | ---: | ---: |" + (" ---: | ---: | ---: | ---: |" if reference else ""))
    for clients, (tokens, wall) in mimic.items():
        row = f"| {clients} | {tokens} | {wall:.2f} | {tokens / wall:.1f} |"
        if reference:
            rt, rw = reference[clients]
            row += f" {rt} | {rw:.2f} | {rt / rw:.1f} | {(tokens / wall) / (rt / rw):.2f}x |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
