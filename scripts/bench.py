#!/usr/bin/env python3
"""Mimic's engine against llama.cpp's llama-bench, every weight type, measured in the same run.

    python3 scripts/bench.py --llama-bin DIR [--types F32,BF16,Q8_0,Q4_1,Q4_K_M,Q6_K] [--reps 5] [--threads 2]
                             [--mimic PATH] [--work DIR]

DIR holds llama.cpp's `llama-bench` and `llama-quantize`, built outside this repository (ASSETS.md: the
llama-cpp-python source package's vendor/llama.cpp; cmake -DGGML_NATIVE=ON -DLLAMA_CURL=OFF
-DCMAKE_BUILD_TYPE=Release; targets llama-bench llama-quantize). The script:

1. prints the CPU's model and SIMD flags, and measures this machine's limits with `mimic bench --limits`:
   memory read bandwidth (GB/s: `--threads` kernel threads streaming a 1 GiB buffer with the widest loads)
   and FP32 matrix-product speed (GFLOPS: Mimic's OpenBLAS sgemm, 2048 x 2048);
2. makes one GGUF per type in --work with llama-quantize from the SmolLM2 asset (Q4_1 -> F32 with
   --allow-requantize, then F32 -> each type; types whose rows do not fit a K-quant fall back as
   llama-quantize decides, as in the files people download);
3. runs `llama-bench -p 512 -n 128` and `mimic bench -p 512 -n 128` on each file back to back, and prints a
   Markdown table: medians of the repetitions with min-max, Mimic / llama.cpp, and each tool's figure as a
   fraction of the limit the machine implies (tg: bandwidth / bytes of weights read per token; pp: GFLOPS /
   2 x parameters per token), the limits measured again just before each weight type's runs.

Without --mimic it builds `mimic` in release first. Standard library only.
"""
import argparse, datetime, json, os, re, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSET = os.path.join(ROOT, ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf")
FLAGS = ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "avx512_bf16"]


def run(cmd, env=None):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return r


def cpu():
    model, flags = "unknown", set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    return model, [f for f in FLAGS if f in flags]


def machine_limits(binary, threads, reps):
    """(memory read GB/s, sgemm GFLOPS) from `mimic bench --limits`."""
    got = json.loads(run([binary, "bench", "--limits", "-t", str(threads), "-r", str(reps), "--json"]).stdout)
    return got["memoryReadGBs"], got["sgemmGFLOPS"]


def make_files(llama_bin, types, work):
    os.makedirs(work, exist_ok=True)
    quantize = os.path.join(llama_bin, "llama-quantize")
    f32 = os.path.join(work, "smollm2-F32.gguf")
    if not os.path.exists(f32):
        run([quantize, "--allow-requantize", ASSET, f32, "F32"])
    files = {}
    for t in types:
        path = os.path.join(work, f"smollm2-{t}.gguf")
        if not os.path.exists(path):
            run([quantize, f32, path, t])
        files[t] = path
    return files


def summary(samples):
    return statistics.median(samples), min(samples), max(samples)


def llama(bench, model, reps, threads):
    rows = json.loads(run([bench, "-m", model, "-p", "512", "-n", "128", "-t", str(threads), "-r", str(reps),
                           "-o", "json"]).stdout)
    return {(f"pp{r['n_prompt']}" if r["n_prompt"] else f"tg{r['n_gen']}"): summary(r["samples_ts"]) for r in rows}


def mimic(binary, model, reps, threads):
    out = run([binary, "bench", model, "-p", "512", "-n", "128", "-t", str(threads), "-r", str(reps), "--json"]).stdout
    return {r["test"]: summary(r["samples"]) for r in json.loads(out)}


def model_numbers(binary, model, threads):
    """(bytes of weights, parameters) from `mimic inspect` ("parameters: 134.5 M, 538.1 MB of weights")."""
    out = run([binary, "inspect", model, "-t", str(threads)]).stdout
    found = re.search(r"parameters:\s+([0-9.]+) M, ([0-9.]+) MB of weights", out)
    if not found:
        sys.exit(f"bench: no 'parameters:' line in mimic inspect {model}:\n{out}")
    return float(found.group(2)) * 1e6, float(found.group(1)) * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llama-bin", required=True, help="the folder of llama-bench and llama-quantize")
    ap.add_argument("--types", default="F32,BF16,Q8_0,Q4_1,Q4_K_M,Q6_K")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mimic", help="a built mimic binary (default: build .build/release/mimic)")
    ap.add_argument("--work", default="/tmp/mimic-bench", help="where the GGUF files are made (kept between runs)")
    a = ap.parse_args()
    for path, what in [(os.path.join(a.llama_bin, "llama-bench"), "llama-bench"),
                       (os.path.join(a.llama_bin, "llama-quantize"), "llama-quantize"), (ASSET, "the SmolLM2 GGUF")]:
        if not os.path.exists(path):
            sys.exit(f"bench: {what} not found at {path} (see the docstring: python3 scripts/bench.py --help)")
    if a.reps < 5:
        sys.exit("bench: --reps must be at least 5 (medians of at least 5)")
    binary = a.mimic
    if not binary:
        run(["swift", "build", "-c", "release", "--product", "mimic"])
        binary = os.path.join(ROOT, ".build/release/mimic")
    types = [t.strip() for t in a.types.split(",") if t.strip()]
    files = make_files(a.llama_bin, types, a.work)
    model, flags = cpu()
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {a.threads} threads, "
          f"{a.reps} repetitions (median, min-max)")
    print(f"# command: python3 scripts/bench.py --llama-bin {a.llama_bin} --types {','.join(types)} --reps {a.reps} "
          f"--threads {a.threads}")
    print(f"# CPU: {model}; flags: {' '.join(flags)}")
    print("# limits: `mimic bench --limits` just before each weight type's runs (the machine's bandwidth moves from")
    print(f"# minute to minute): memory read GB/s ({a.threads} threads), OpenBLAS sgemm GFLOPS (2048^3)\n")
    print("| weights | weights MB | test | llama.cpp t/s | Mimic t/s | Mimic / llama.cpp | limit | llama.cpp of limit | Mimic of limit |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for t in types:
        path = files[t]
        nbytes, params = model_numbers(binary, path, a.threads)
        bw, gf = machine_limits(binary, a.threads, a.reps)
        ref, ours = llama(os.path.join(a.llama_bin, "llama-bench"), path, a.reps, a.threads), mimic(binary, path, a.reps, a.threads)
        limits = {"tg128": bw * 1e9 / nbytes, "pp512": gf * 1e9 / (2 * params)}
        for test in ("pp512", "tg128"):
            (r, rlo, rhi), (m, mlo, mhi) = ref[test], ours[test]
            lim = limits[test]
            frac = lambda v: f"{v / lim:.0%}"
            shown = f"{bw:.1f} GB/s" if test == "tg128" else f"{gf:.0f} GFLOPS"
            print(f"| {t} | {nbytes / 1e6:.0f} | {test} | {r:.1f} ({rlo:.1f}–{rhi:.1f}) | {m:.1f} ({mlo:.1f}–{mhi:.1f}) "
                  f"| {m / r:.2f} | {shown} | {frac(r)} | {frac(m)} |")


if __name__ == "__main__":
    main()
