#!/usr/bin/env python3
"""Benchmarks Mimic's ROUGE-1/2/L against Google's rouge-score on the same summary-like pairs, and checks that
every number agrees.

Exact command (from the repository root, after `swift build -c release`):
    /work/ext/venv-eval/bin/python scripts/rouge_bench.py
with /work/ext/venv-eval made by: python3 -m venv /work/ext/venv-eval && /work/ext/venv-eval/bin/pip install
rouge-score==0.1.2 (its nltk 3.10.4, numpy 2.4.6; Python 3.11.7). Options: --pairs N (default 10000), --seed S,
--mimic PATH (default $MIMIC_BIN, else .build/release/mimic), --tolerance T (default 1e-6), --keep DIR (keep the
pairs and scores files there), --python-only (time rouge-score alone).

What it does:
  1. generates N (target, prediction) pairs from a seeded word generator (made-up words with English function words
     and inflections, so the Porter stemmer acts; a few numbers, capitals and punctuation): targets are sentences
     of 30-80 words, predictions are perturbed copies (words dropped, replaced, re-inflected, reordered) or partly
     unrelated text; same seed, same bytes;
  2. writes them to a temporary JSONL file, one {"target": ..., "prediction": ...} a line;
  3. times rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True).score(target, prediction)
     over all pairs in this process (the scorer built before the clock starts);
  4. runs `MIMIC eval-bench rouge --pairs PAIRS.jsonl --out SCORES.jsonl`, which writes one line a pair,
     {"rouge1": {"precision", "recall", "fmeasure"}, "rouge2": {...}, "rougeL": {...}}, and prints a JSON line
     {"pairs": N, "seconds": S} (its own timing of the scoring) on stdout;
  5. compares every precision, recall and F-measure, and prints both times, their ratio, the largest absolute
     difference and the number of values further apart than the tolerance (then exits 1), then one JSON summary line.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from rouge_score import rouge_scorer

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("rouge1", "rouge2", "rougeL")
FIELDS = ("precision", "recall", "fmeasure")
ONSETS = "b c d f g h j k l m n p r s t v w z br cl dr fl gr pl st tr ch sh th".split()
VOWELS = "a e i o u ai ea ou io".split()
CODAS = ["", "", "n", "r", "l", "s", "t", "nd", "st", "rk", "m"]
SUFFIXES = ["", "", "", "s", "es", "ed", "ing", "er", "ly", "ness", "ation", "ies", "ied", "ful", "ment", "ize"]
FUNCTION = ("the a an of to in on for with is are was were be by and or but not it they we this that as at from "
            "has have had which who will would can").split()
EXTRAS = ["2024", "3.5", "42", "U.S.", "e-mail", "don't", "(see", "below)", "--", "café", "NEWS", "Model"]


def made_up_words(rng, count):
    """A fixed list of pronounceable made-up stems."""
    words = set()
    while len(words) < count:
        syllables = rng.choice([1, 2, 2, 3])
        words.add("".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(syllables)))
    return sorted(words)


class Words:
    def __init__(self, rng):
        self.rng = rng
        self.stems = made_up_words(rng, 3000)
        rng.shuffle(self.stems)
        # Zipf-like weights 1 / (rank + 5): the commonest stem is about 3% of content words, so words and bigrams
        # repeat within and across texts as in real summaries.
        total, self.cumulative = 0.0, []
        for rank in range(len(self.stems)):
            total += 1.0 / (rank + 5)
            self.cumulative.append(total)

    def content(self):
        return self.rng.choices(self.stems, cum_weights=self.cumulative)[0] + self.rng.choice(SUFFIXES)

    def word(self):
        r = self.rng.random()
        if r < 0.55:
            return self.content()
        if r < 0.95:
            return self.rng.choice(FUNCTION)
        return self.rng.choice(EXTRAS)

    def text(self, lo, hi):
        """Sentences of 4-20 words, capitalised and ended by a full stop, lo to hi words in all."""
        total = self.rng.randint(lo, hi)
        sentences = []
        while total > 0:
            n = min(total, self.rng.randint(4, 20))
            words = [self.word() for _ in range(n)]
            words[0] = words[0].capitalize()
            if n > 6 and self.rng.random() < 0.3:
                words[self.rng.randrange(1, n - 1)] += ","
            sentences.append(" ".join(words) + ".")
            total -= n
        return " ".join(sentences)

    def perturb(self, text):
        """A summary-like prediction: some words dropped, replaced, re-inflected or added; spans swapped."""
        out = []
        for w in text.split(" "):
            r = self.rng.random()
            if r < 0.15:
                continue
            if r < 0.25:
                out.append(self.word())
            elif r < 0.32:
                out.append(w.rstrip(".,") + self.rng.choice(SUFFIXES))
            else:
                out.append(w)
            if self.rng.random() < 0.05:
                out.append(self.word())
        if len(out) > 10 and self.rng.random() < 0.5:
            i, j = sorted(self.rng.sample(range(len(out)), 2))
            out = out[:i] + out[j:] + out[i:j]
        return " ".join(out)


def make_pairs(n, seed):
    words = Words(random.Random(seed))
    pairs = []
    for _ in range(n):
        target = words.text(30, 80)
        r = words.rng.random()
        if r < 0.7:
            prediction = words.perturb(target)
        elif r < 0.9:
            prediction = words.text(30, 80)
        else:
            prediction = words.perturb(target)[: len(target) // 2] + " " + words.text(10, 40)
        pairs.append((target, prediction))
    return pairs


def time_rouge_score(pairs):
    scorer = rouge_scorer.RougeScorer(list(KEYS), use_stemmer=True)
    start = time.perf_counter()
    scores = [scorer.score(t, p) for t, p in pairs]
    seconds = time.perf_counter() - start
    return [{k: [float(s[k].precision), float(s[k].recall), float(s[k].fmeasure)] for k in KEYS} for s in scores], seconds


def run_mimic(mimic, pairs_path, scores_path):
    """Runs mimic eval-bench rouge; returns (its reported seconds, wall seconds)."""
    cmd = [mimic, "eval-bench", "rouge", "--pairs", str(pairs_path), "--out", str(scores_path)]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} exited with {done.returncode}:\n{done.stderr[-4000:]}")
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if not reports or "seconds" not in reports[-1]:
        sys.exit(f"error: {mimic} printed no {{\"pairs\": N, \"seconds\": S}} line; stdout was:\n{done.stdout[-2000:]}")
    return reports[-1], wall


def compare(reference, scores_path, tolerance):
    """Largest absolute difference, the mismatches (pair, key, field, reference, mimic) and the pair count."""
    with open(scores_path, encoding="utf-8") as f:
        got = [json.loads(line) for line in f if line.strip()]
    if len(got) != len(reference):
        sys.exit(f"error: {scores_path} has {len(got)} lines for {len(reference)} pairs")
    worst, mismatches = 0.0, []
    for i, (want, have) in enumerate(zip(reference, got)):
        for key in KEYS:
            for field, w in zip(FIELDS, want[key]):
                try:
                    h = float(have[key][field])
                except (KeyError, TypeError, ValueError):
                    sys.exit(f"error: {scores_path} line {i + 1}: no number at {key}.{field}")
                diff = abs(h - w)
                worst = max(worst, diff)
                if not diff <= tolerance:
                    mismatches.append((i, key, field, w, h))
    return worst, mismatches


def main():
    parser = argparse.ArgumentParser(description="Mimic's ROUGE against rouge-score: speed and agreement.")
    parser.add_argument("--pairs", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--mimic", default=os.environ.get("MIMIC_BIN") or str(ROOT / ".build/release/mimic"))
    parser.add_argument("--tolerance", type=float, default=1e-6)
    parser.add_argument("--keep", help="a folder to keep pairs.jsonl and scores.jsonl in")
    parser.add_argument("--python-only", action="store_true", help="only time rouge-score")
    args = parser.parse_args()
    if not args.python_only and not os.access(args.mimic, os.X_OK):
        sys.exit(f"error: {args.mimic} is not an executable; build it with `swift build -c release` or set MIMIC_BIN")

    pairs = make_pairs(args.pairs, args.seed)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rouge-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        summary = bench(args, pairs, folder)
    finally:
        if not args.keep:
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
    if summary.get("mismatches"):
        sys.exit(1)


def bench(args, pairs, folder):
    pairs_path, scores_path = folder / "pairs.jsonl", folder / "scores.jsonl"
    with open(pairs_path, "w", encoding="utf-8") as f:
        for target, prediction in pairs:
            f.write(json.dumps({"target": target, "prediction": prediction}, ensure_ascii=False) + "\n")
    words = sum(len(t.split()) + len(p.split()) for t, p in pairs)
    print(f"{len(pairs)} pairs ({words / len(pairs) / 2:.1f} words a text on average) in {pairs_path}")

    reference, py_seconds = time_rouge_score(pairs)
    print(f"rouge-score {version('rouge-score')} (nltk {version('nltk')}), Python "
          f"{sys.version.split()[0]}: {py_seconds:.3f} s, {len(pairs) / py_seconds:,.0f} pairs/s")
    summary = {"pairs": len(pairs), "seed": args.seed, "rouge_score_seconds": round(py_seconds, 4)}
    if not args.python_only:
        report, wall = run_mimic(args.mimic, pairs_path, scores_path)
        mimic_seconds = float(report["seconds"])
        worst, mismatches = compare(reference, scores_path, args.tolerance)
        ratio = py_seconds / mimic_seconds if mimic_seconds > 0 else float("inf")
        print(f"mimic ({args.mimic}): {mimic_seconds:.3f} s scoring ({wall:.3f} s wall, with start-up and files), "
              f"{len(pairs) / mimic_seconds:,.0f} pairs/s")
        print(f"speed-up: {ratio:.1f}x (rouge-score's scoring / mimic's scoring, each timed in its process); "
              f"{py_seconds / wall:.1f}x against mimic's whole process (start-up, reading and writing the files)")
        print(f"max |mimic - rouge-score| = {worst:.3g} over {len(pairs) * 9} numbers; "
              f"{len(mismatches)} beyond {args.tolerance:g}")
        for i, key, field, w, h in mismatches[:10]:
            t, p = pairs[i]
            print(f"  pair {i} {key}.{field}: rouge-score {w!r}, mimic {h!r}\n    target: {t[:120]!r}\n"
                  f"    prediction: {p[:120]!r}")
        summary.update({"mimic_seconds": round(mimic_seconds, 4), "mimic_wall_seconds": round(wall, 4),
                        "speedup": round(ratio, 2), "speedup_vs_mimic_process": round(py_seconds / wall, 2),
                        "max_abs_diff": worst, "mismatches": len(mismatches),
                        "tolerance": args.tolerance})
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
