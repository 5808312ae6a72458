#!/usr/bin/env python3
"""Golden style figures (the paper's Table 2: list_match, summary_match, unigram_intersection, length_correlation)
for Sources/MimicMetrics/{StyleText,StyleMetrics,MetricFigure,Bootstrap}.swift, computed from the definitions of
issue 12 item 5 (not from the Swift code), on the hand-written answer pairs of
Tests/MimicMetricsTests/Resources/style_pairs.jsonl ({"id", "note", "candidate", "reference"} a line).

Exact command (from the repository root):
    /tmp/stylevenv/bin/python scripts/reference/style_golden.py
with the venv made by: python3 -m venv /tmp/stylevenv && /tmp/stylevenv/bin/pip install rouge-score numpy scipy
(resolved to rouge-score 0.1.2, nltk 3.10.4, numpy 2.4.6, scipy 1.17.1; Python 3.11.7). Writes
  Tests/MimicMetricsTests/Resources/style_golden.json: {"script", "command", "versions", "seed", "resamples",
      "level", "items": [{"id", "candidate_has_list", "reference_has_list", "candidate_summary",
      "reference_summary", "candidate_words", "reference_words", "unigram_intersection"}],
      "figures": {NAME: {"value", "n", "interval": [lower, upper]}}}.

Definitions:
- Lines are text.split("\\n"). A fence is a line whose lstrip() starts with ```; lines from a fence to the next
  fence (both included) are removed, an unclosed fence removes the rest. The list and summary tests read the
  lines left; the unigram and length figures read the whole reply.
- has a list: at least 2 lines left match ^\\s*([-*+\u2022]|\\d+[.)])\\s+\\S (Python's re, str pattern).
- ends with a summary: the lines left, joined by "\\n", split on blank lines (re.split(r"\\n\\s*\\n")), white-space-only
  pieces dropped; at least 2 paragraphs, and the last, with ^[\\s#*>]+ removed and lower(), starts with an opening.
- list_match / summary_match: 100 * (candidates that have one) / (items whose reference has one).
- unigram_intersection: mean of 100 * rouge_score RougeScorer(["rouge1"], use_stemmer=False).score(reference,
  candidate)["rouge1"].fmeasure.
- length_correlation: scipy.stats.pearsonr of len(candidate.split()) and len(reference.split()).
- interval: the percentile bootstrap of Mimic's spec: figure i (0 list_match, 1 summary_match, 2
  unigram_intersection, 3 length_correlation) draws from SplitMix64 stream i of SEED (state = mix(seed ^ mix(i +
  0x632BE59BD9B4E019)); next: state += 0x9E3779B97F4A7C15, return mix(state); below(n): rejection above
  2^64 - 1 - (2^64 - 1) % n, then x % n); RESAMPLES resamples of the items, each item position drawn by below(n) in
  order; a resample's statistic is the figure on the items drawn (undefined: no item to score, or a correlation
  with fewer than 2 items or equal counts on a side, skipped); the interval is np.percentile(values, [2.5, 97.5]).

Tolerance for the Swift test (StyleGoldenTests): per-item tests and counts exactly equal; figures, ROUGE values and
interval ends within 1e-9 (absolute).
"""
import json
import re
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import scipy.stats
from rouge_score import rouge_scorer

SEED = 1234
RESAMPLES = 1000
LEVEL = 0.95
RES = Path(__file__).resolve().parents[2] / "Tests/MimicMetricsTests/Resources"
OPENINGS = ("overall", "in summary", "in conclusion", "to summarize", "to summarise", "to sum up", "in short",
            "ultimately", "all in all", "in general")
LIST_LINE = re.compile(r"^\s*([-*+\u2022]|\d+[.)])\s+\S")
MASK = (1 << 64) - 1


def prose_lines(text):
    """The lines outside fenced code blocks."""
    kept, inside = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            inside = not inside
        elif not inside:
            kept.append(line)
    return kept


def has_list(text):
    return sum(1 for line in prose_lines(text) if LIST_LINE.match(line)) >= 2


def ends_with_summary(text):
    pieces = re.split(r"\n\s*\n", "\n".join(prose_lines(text)))
    paragraphs = [p for p in pieces if p.strip()]
    if len(paragraphs) < 2:
        return False
    return re.sub(r"^[\s#*>]+", "", paragraphs[-1]).lower().startswith(OPENINGS)


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class SplitMix64:
    def __init__(self, seed, stream):
        self.state = mix(seed ^ mix((stream + 0x632BE59BD9B4E019) & MASK))

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        return mix(self.state)

    def below(self, n):
        limit = MASK - MASK % n
        while True:
            x = self.next()
            if x < limit:
                return x % n


def rate(rows, eligible, hit):
    chosen = [r for r in rows if r[eligible]]
    return None if not chosen else 100.0 * sum(1 for r in chosen if r[hit]) / len(chosen)


def mean_rouge(rows):
    return None if not rows else float(np.mean([r["unigram_intersection"] for r in rows]))


def correlation(rows, use_scipy=False):
    x = [r["candidate_words"] for r in rows]
    y = [r["reference_words"] for r in rows]
    if len(rows) < 2 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    if use_scipy:
        return float(scipy.stats.pearsonr(x, y)[0])
    return float(np.corrcoef(np.array(x, dtype=float), np.array(y, dtype=float))[0, 1])


FIGURES = [
    ("list_match", lambda rows: rate(rows, "reference_has_list", "candidate_has_list"), "reference_has_list"),
    ("summary_match", lambda rows: rate(rows, "reference_summary", "candidate_summary"), "reference_summary"),
    ("unigram_intersection", mean_rouge, None),
    ("length_correlation", correlation, None),
]


def interval(rows, statistic, stream):
    rng = SplitMix64(SEED, stream)
    n = len(rows)
    values = []
    for _ in range(RESAMPLES):
        sample = [rows[rng.below(n)] for _ in range(n)]
        v = statistic(sample)
        if v is not None:
            values.append(v)
    lower, upper = np.percentile(values, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
    return [float(lower), float(upper)]


def main():
    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=False)
    pairs = [json.loads(line) for line in (RES / "style_pairs.jsonl").read_text(encoding="utf-8").splitlines() if line]
    rows = []
    for p in pairs:
        c, r = p["candidate"], p["reference"]
        rows.append({
            "id": p["id"],
            "candidate_has_list": has_list(c),
            "reference_has_list": has_list(r),
            "candidate_summary": ends_with_summary(c),
            "reference_summary": ends_with_summary(r),
            "candidate_words": len(c.split()),
            "reference_words": len(r.split()),
            "unigram_intersection": 100 * scorer.score(r, c)["rouge1"].fmeasure,
        })
    figures = {}
    for stream, (name, statistic, eligible) in enumerate(FIGURES):
        value = correlation(rows, use_scipy=True) if name == "length_correlation" else statistic(rows)
        n = sum(1 for r in rows if r[eligible]) if eligible else len(rows)
        figures[name] = {"value": value, "n": n, "interval": interval(rows, statistic, stream)}
    out = {
        "script": "scripts/reference/style_golden.py",
        "command": "/tmp/stylevenv/bin/python scripts/reference/style_golden.py",
        "versions": {"python": sys.version.split()[0], "rouge-score": version("rouge-score"), "numpy": np.__version__,
                     "scipy": scipy.__version__},
        "seed": SEED, "resamples": RESAMPLES, "level": LEVEL,
        "items": rows, "figures": figures,
    }
    (RES / "style_golden.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, f in figures.items():
        print(f"{name}: {f['value']:.6f} n={f['n']} [{f['interval'][0]:.6f}, {f['interval'][1]:.6f}]")


if __name__ == "__main__":
    main()
