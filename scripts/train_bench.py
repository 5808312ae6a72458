#!/usr/bin/env python3
"""Mimic's training benchmark against PyTorch, measured in the same run.

    python3 scripts/train_bench.py --python /path/to/python-with-torch [--steps 3]

Builds `mimic` in release (or takes --mimic BINARY), then for each configuration (4 x 256 and 1 x 1024 tokens per
step) runs PyTorch (scripts/reference/torch_train_bench.py: transformers' LlamaForCausalLM of SmolLM2-135M's shape,
float32, AdamW, 2 torch threads) twice, with OpenBLAS on 1 thread and on its default, and `mimic train-bench` (same
shape, FP32, AdamW with clipping, 2 threads), back to back. It prints tokens/s and peak RSS of each, and the Mimic /
PyTorch ratio against PyTorch's better setting of the two (which one wins differs between machines). Standard
library only.
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
    settings = [("OpenBLAS 1 thread", dict(unset, OPENBLAS_NUM_THREADS="1")), ("OpenBLAS default", unset)]
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, 2 threads, {a.steps} timed steps after 1-2 warm-up")
    print(f"# command: python3 scripts/train_bench.py --python {a.python} --steps {a.steps}"
          + (f" --mimic {a.mimic}" if a.mimic else "") + "\n")
    print("| batch × seq | PyTorch, OpenBLAS 1 thread | PyTorch, OpenBLAS default | Mimic t/s | Mimic peak RSS | "
          "Mimic / PyTorch's better |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for batch, seq in [(4, 256), (1, 1024)]:
        torch_runs = [json.loads(run([a.python, "scripts/reference/torch_train_bench.py", "--batch", str(batch), "--seq",
                                      str(seq), "--steps", str(a.steps), "--threads", "2"], env)) for _, env in settings]
        m = json.loads(run([binary, "train-bench", "--batch", str(batch), "--seq", str(seq), "--steps", str(a.steps),
                            "--threads", "2", "--json"], unset))
        best = max(t["tokens_per_s"] for t in torch_runs)
        cells = " | ".join(f"{t['tokens_per_s']:.1f} t/s, {t['peak_rss_mib']:.0f} MiB" for t in torch_runs)
        print(f"| {batch} × {seq} | {cells} | {m['tokens_per_second']:.1f} | {m['peak_rss_mb']} MiB | "
              f"{m['tokens_per_second'] / best:.2f} |")


if __name__ == "__main__":
    main()
