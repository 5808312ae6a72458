#!/usr/bin/env python3
"""Mimic's training benchmark against PyTorch, measured in the same run.

    python3 scripts/train_bench.py --python /path/to/python-with-torch [--steps 3]

Builds `mimic` in release (or takes --mimic BINARY), then for each configuration (4 x 256 and 1 x 1024 tokens per
step) runs PyTorch (scripts/reference/torch_train_bench.py: transformers' LlamaForCausalLM of SmolLM2-135M's shape,
float32, AdamW) at every thread setting of the sweep (torch.set_num_threads 1 and 2, each with OpenBLAS on 1 thread
and on its default), and `mimic train-bench` (same shape, FP32, AdamW with clipping, 2 threads), back to back. It
prints tokens/s and peak RSS of each, the Mimic / PyTorch speed ratio against PyTorch's fastest setting, and Mimic's
peak memory as a fraction of that setting's (which setting wins differs between machines). Standard library only.
"""
import argparse, datetime, json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, env):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f"train_bench: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", required=True, help="a Python with torch and transformers (scripts/reference/README.md)")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--mimic", help="a release mimic binary to use instead of building one")
    a = ap.parse_args()
    binary = a.mimic
    if binary is None:
        subprocess.run(["swift", "build", "-c", "release", "--product", "mimic"], cwd=ROOT, check=True, capture_output=True)
        binary = os.path.join(ROOT, ".build/release/mimic")
    unset = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS")}
    settings = [(f"torch {t}, OpenBLAS {'1' if blas else 'default'}", t, dict(unset, OPENBLAS_NUM_THREADS="1") if blas else unset)
                for t in (1, 2) for blas in (True, False)]
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {a.steps} timed steps after 1-2 warm-up, "
          "one run of each")
    print(f"# command: python3 scripts/train_bench.py --python {a.python} --steps {a.steps}"
          + (f" --mimic {a.mimic}" if a.mimic else "") + "\n")
    print("| batch × seq | " + " | ".join(f"PyTorch, {name}" for name, _, _ in settings)
          + " | Mimic (2 threads) | Mimic / PyTorch's fastest: speed | peak memory |")
    print("| --- | " + " | ".join("---:" for _ in settings) + " | ---: | ---: | ---: |")
    for batch, seq in [(4, 256), (1, 1024)]:
        torch_runs = [json.loads(run([a.python, "scripts/reference/torch_train_bench.py", "--batch", str(batch), "--seq",
                                      str(seq), "--steps", str(a.steps), "--threads", str(threads)], env))
                      for _, threads, env in settings]
        m = json.loads(run([binary, "train-bench", "--batch", str(batch), "--seq", str(seq), "--steps", str(a.steps),
                            "--threads", "2", "--json"], unset))
        best = max(torch_runs, key=lambda t: t["tokens_per_s"])
        cells = " | ".join(f"{t['tokens_per_s']:.1f} t/s, {t['peak_rss_mib']:.0f} MiB" for t in torch_runs)
        print(f"| {batch} × {seq} | {cells} | {m['tokens_per_second']:.1f} t/s, {m['peak_rss_mb']} MiB | "
              f"{m['tokens_per_second'] / best['tokens_per_s']:.2f} | {m['peak_rss_mb'] / best['peak_rss_mib']:.2f} |")

if __name__ == "__main__":
    main()
