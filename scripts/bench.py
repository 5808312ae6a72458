#!/usr/bin/env python3
"""Mimic's engine benchmark against llama.cpp's llama-bench, measured in the same run.

    python3 scripts/bench.py --llama-bench /path/to/llama-bench [--model PATH] [--reps 5] [--threads 2]

Builds `mimic` in release, then for OPENBLAS_CORETYPE as set in the environment and unset, runs
`llama-bench -p 512 -n 128` and `mimic bench -p 512 -n 128` on the same GGUF, back to back, and prints a
Markdown table of tokens/s with Mimic/llama.cpp ratios, plus Mimic's load time and peak memory.
llama.cpp is built outside this repository (see ASSETS.md: the llama-cpp-python source package's
vendor/llama.cpp, CMake, -DGGML_NATIVE=ON -DLLAMA_CURL=OFF, target llama-bench). Standard library only.
"""
import argparse, datetime, json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, env):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return r


def llama(bench, model, reps, threads, env):
    out = run([bench, "-m", model, "-p", "512", "-n", "128", "-t", str(threads), "-r", str(reps), "-o", "json"], env).stdout
    rows = json.loads(out)
    res = {}
    for r in rows:
        name = f"pp{r['n_prompt']}" if r["n_prompt"] else f"tg{r['n_gen']}"
        res[name] = (r["avg_ts"], r["stddev_ts"])
    return res


def mimic(binary, model, reps, threads, env):
    out = run([binary, "bench", model, "-p", "512", "-n", "128", "-t", str(threads), "-r", str(reps), "--json"], env).stdout
    return {r["test"]: (r["tokensPerSecond"], r["stddev"]) for r in json.loads(out)}


def load_and_memory(binary, model, threads, env):
    """Load time (mimic inspect) and peak RSS of a 128-token generation (GNU time's %M)."""
    out = run([binary, "inspect", model, "-t", str(threads)], env).stdout
    load = float(re.search(r"loaded in:\s+([0-9.]+) s", out).group(1))
    r = run(["/usr/bin/time", "-f", "%M", binary, "generate", model, "-p", "Tell me a story.", "-n", "128", "-t", str(threads)], env)
    peak_kb = int(r.stderr.strip().splitlines()[-1])
    return load, peak_kb / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llama-bench", required=True)
    ap.add_argument("--model", default=os.path.join(ROOT, ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    for path, what in [(a.llama_bench, "llama-bench"), (a.model, "model")]:
        if not os.path.exists(path):
            sys.exit(f"bench: {what} not found at {path}")
    subprocess.run(["swift", "build", "-c", "release", "--product", "mimic"], cwd=ROOT, check=True, capture_output=True)
    binary = os.path.join(ROOT, ".build/release/mimic")
    base = dict(os.environ)
    coretype = base.get("OPENBLAS_CORETYPE", "Haswell")  # this machine's image sets Haswell (AVX2 kernels)
    unset = {k: v for k, v in base.items() if k != "OPENBLAS_CORETYPE"}
    settings = [(f"OPENBLAS_CORETYPE={coretype}", dict(unset, OPENBLAS_CORETYPE=coretype)), ("OPENBLAS_CORETYPE unset", unset)]
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {a.threads} threads, {a.reps} repetitions")
    print(f"# command: python3 scripts/bench.py --llama-bench {a.llama_bench} --reps {a.reps} --threads {a.threads}")
    print(f"# model: {a.model}\n")
    print("| setting | test | llama.cpp t/s | Mimic t/s | Mimic / llama.cpp |")
    print("| --- | --- | ---: | ---: | ---: |")
    for label, env in settings:
        ref = llama(a.llama_bench, a.model, a.reps, a.threads, env)
        ours = mimic(binary, a.model, a.reps, a.threads, env)
        for test in ("pp512", "tg128"):
            (r, rs), (m, ms) = ref[test], ours[test]
            print(f"| {label} | {test} | {r:.1f} ± {rs:.1f} | {m:.1f} ± {ms:.1f} | {m / r:.2f} |")
    load, peak = load_and_memory(binary, a.model, a.threads, unset)
    print(f"\nMimic: model load {load:.3f} s (mimic inspect); peak RSS {peak:.0f} MB generating 128 tokens.")


if __name__ == "__main__":
    main()
