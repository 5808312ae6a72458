#!/usr/bin/env python3
"""Benchmark: `mimic data diversity` on the first user query of every ShareGPT conversation against sacrebleu's
sentence_bleu computed pair by pair (estimated from a timed random sample of ordered pairs).

Usage (repository root, after `swift build -c release --product mimic`):
    /work/ext/venv5/bin/python scripts/diversity_bench.py [--data FILE] [--pairs 3000] [--verify 3]

Needs sacrebleu==2.4.3 (see scripts/reference/README.md). The data is the ShareGPT file of ASSETS.md
(scripts/fetch-assets.sh puts it in .cache/data/; ~/.cache/mimic/data/ is tried too). --verify K also recomputes
K random queries' best score by brute force with sacrebleu and compares (slow: N sentence_bleu calls each).
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import sacrebleu
from sacrebleu.metrics.bleu import BLEU

NAME = "ShareGPT_V3_unfiltered_cleaned_split.json"


def find_data(given):
    for path in [given, os.path.join(".cache/data", NAME), os.path.expanduser(os.path.join("~/.cache/mimic/data", NAME))]:
        if path and os.path.exists(path):
            return path
    sys.exit(f"no {NAME}: run scripts/fetch-assets.sh or pass --data")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data")
    ap.add_argument("--mimic", default=".build/release/mimic")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pairs", type=int, default=3000, help="random ordered pairs timed with sacrebleu")
    ap.add_argument("--verify", type=int, default=3, help="queries checked against a full sacrebleu brute force")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    data = find_data(args.data)
    neighbors = os.path.join(tempfile.mkdtemp(prefix="divbench-"), "neighbors.jsonl")

    command = [args.mimic, "data", "diversity", data, "--json", "--threads", str(args.threads), "--neighbors", neighbors]
    started = time.perf_counter()
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - started
    report = json.loads(out)
    rows = [json.loads(line) for line in open(neighbors, encoding="utf-8")]
    queries = [r["query"] for r in rows]
    n = len(queries)

    rng = random.Random(args.seed)
    pairs = []
    while len(pairs) < args.pairs:
        i, j = rng.randrange(n), rng.randrange(n)
        if i != j:
            pairs.append((i, j))
    times_fn = []
    for i, j in pairs:
        t = time.perf_counter()
        sacrebleu.sentence_bleu(queries[i], [queries[j]])
        times_fn.append(time.perf_counter() - t)
    metric = BLEU(effective_order=True)
    times_obj = []
    for i, j in pairs:
        t = time.perf_counter()
        metric.sentence_score(queries[i], [queries[j]])
        times_obj.append(time.perf_counter() - t)
    total_pairs = n * (n - 1)

    def estimate(times):
        mean = statistics.fmean(times)
        stderr = statistics.stdev(times) / math.sqrt(len(times))
        return mean, stderr, mean * total_pairs

    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "command": " ".join(command),
              "queries": n, "mean_self_bleu": report["mean_self_bleu"], "mimic_wall_s": round(wall, 2),
              "mimic_reported_s": round(report["seconds"], 2), "sampled_pairs": len(pairs),
              "sacrebleu": sacrebleu.__version__}
    for name, times in [("sentence_bleu", times_fn), ("BLEU.sentence_score (one object)", times_obj)]:
        mean, stderr, total = estimate(times)
        result[name] = {"per_pair_us": round(mean * 1e6, 1), "per_pair_stderr_us": round(stderr * 1e6, 1),
                        "brute_force_estimate_s": round(total), "brute_force_estimate_h": round(total / 3600, 2),
                        "speedup_vs_mimic_wall": round(total / wall)}
    checked = []
    for i in rng.sample(range(n), min(args.verify, n)):
        best = max((sacrebleu.sentence_bleu(queries[i], [queries[j]]).score for j in range(n) if j != i), default=0.0)
        checked.append({"query": i, "sacrebleu_best": best, "mimic": rows[i]["score"],
                        "abs_diff": abs(best - rows[i]["score"])})
    result["verified"] = checked
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
