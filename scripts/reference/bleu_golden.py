#!/usr/bin/env python3
"""Golden BLEU values from sacrebleu for Mimic's BLEU (Sources/MimicMetrics/BLEU.swift).

Exact command (from the repository root):
    /work/ext/venv5/bin/python scripts/reference/bleu_golden.py
with sacrebleu==2.4.3 in /work/ext/venv5 (python3 -m venv /work/ext/venv5 && /work/ext/venv5/bin/pip install
sacrebleu==2.4.3). Writes Tests/MimicMetricsTests/Resources/bleu_golden.jsonl: one JSON object a line,
{"kind": "sentence", ...} for sentence_bleu(hyp, refs) with its defaults, and {"kind": "corpus", ...} for
corpus_bleu with several smoothing settings. Every sentence is generated here from a fixed seed (English-like
words written for this script, punctuation, numbers, quotes, hyphens, HTML entities, unicode, empty and
identical segments); no real data.
"""
import json
import random
from pathlib import Path

import sacrebleu
from sacrebleu.metrics.bleu import BLEU
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

SEED = 20261121
OUT = Path(__file__).resolve().parents[2] / "Tests/MimicMetricsTests/Resources/bleu_golden.jsonl"

WORDS = ("the a an of to in on for with model teacher student answer question data imitate imitation weak strong "
         "small large language prompt reply output input gap close closes closing capable capability factual "
         "style human humans rate rated rating evaluate evaluation benchmark task tasks broad narrow fine tune tuned "
         "we they it is are was were be can cannot could should would not very more less than then so but and or "
         "because while when where why how what which who this that these those dog cat river stone glass paper").split()
CAPS = "The A We They It This Model Teacher Paris London Tuesday ChatGPT LLaMA".split()
PUNCT = [".", ",", "!", "?", ";", ":", "...", "--", "-", "'", '"', "(", ")", "[", "]", "{", "}", "/", "\\", "&",
         "#", "$", "%", "*", "+", "=", "<", ">", "@", "^", "_", "`", "|", "~"]
NUMBERS = ["3.14", "1,000", "2-3", "10-", "-5", "0.5.", "42", "7,5", "1.2.3", "99%", "$20", "12:30", "1e-9", "3-",
           "4,", ",5", ".5", "5.", "2023-11-21", "x86-64", "v2.4.3"]
ODD = ["don't", "can't", "e-mail", "state-of-the-art", "U.S.", "e.g.", "i.e.,", "well-known", "co-op", "'quoted'",
       '"double"', "&quot;", "&amp;", "&lt;", "&gt;", "&amp;quot;", "&nbsp;", "&amp;lt;", "<skipped>", "-\n", "\n",
       "\t", "café", "cafe\u0301", "naïve", "Straße", "日本語", "中文", "😀", "—", "–", "«guillemets»", "\u00a0",
       "\u2009", "\u3000", "\u200b", "\u0085", "x\u2028y", "Ωmega", "ﬁ", "1\u00a0000", "a.b,c", "end.", "<b>bold</b>",
       "http://example.test/a?b=c&d=e", "C++", "f(x)=y"]


def word(rng):
    r = rng.random()
    if r < 0.62:
        return rng.choice(WORDS)
    if r < 0.70:
        return rng.choice(CAPS)
    if r < 0.80:
        return rng.choice(PUNCT)
    if r < 0.89:
        return rng.choice(NUMBERS)
    return rng.choice(ODD)


def sentence(rng, n):
    parts = []
    for _ in range(n):
        w = word(rng)
        sep = "" if rng.random() < 0.15 else " "
        parts.append(w + sep)
    text = "".join(parts)
    if rng.random() < 0.5:
        text = text.rstrip() + rng.choice([".", "?", "!", " .", "", "\n", "  ", "\t"])
    return text


def mutate(rng, text):
    """A reference that shares part of the hypothesis: words dropped, replaced, swapped or added."""
    words = text.split(" ")
    out = []
    for w in words:
        r = rng.random()
        if r < 0.12:
            continue
        if r < 0.25:
            out.append(word(rng))
        elif r < 0.32:
            out.extend([w, word(rng)])
        else:
            out.append(w)
    if len(out) > 2 and rng.random() < 0.3:
        i = rng.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    return " ".join(out)


def pairs(rng):
    fixed = [("", ["the cat"]), ("the cat", [""]), ("", [""]), ("   ", ["a"]), ("a", ["a"]), ("a", ["b"]),
             ("a b", ["a b"]), ("a b c", ["a b c d e f g h"]), ("the the the the", ["the"]),
             ("the", ["the the the the"]), ("Hello, world!", ["Hello , world !"]), ("3.14 1,000 2-3", ["3.14 1,000 2 - 3"]),
             ("&quot;quoted&quot; &amp; done", ['"quoted" & done']), ("café", ["cafe\u0301"]), ("café", ["café"]),
             ("line one-\ntwo", ["line onetwo"]), ("x <skipped> y", ["x y"]), ("a\u00a0b", ["a b"]),
             ("ends with space   ", ["ends with space"]), ("one two three four five", ["five four three two one"])]
    out = [(h, r) for h, r in fixed]
    for _ in range(200):
        h = sentence(rng, rng.randint(1, 30))
        out.append((h, [mutate(rng, h)]))
    for _ in range(150):
        out.append((sentence(rng, rng.randint(0, 25)), [sentence(rng, rng.randint(0, 25))]))
    for _ in range(100):
        n = rng.randint(1, 4)
        h = sentence(rng, n)
        out.append((h, [mutate(rng, h) if rng.random() < 0.7 else sentence(rng, rng.randint(1, 4))]))
    for _ in range(60):
        h = sentence(rng, rng.randint(1, 20))
        out.append((h, [h]))
    for _ in range(60):
        h = sentence(rng, rng.randint(2, 25))
        out.append((h, [mutate(rng, h) for _ in range(rng.randint(2, 3))]))
    for _ in range(40):
        h = sentence(rng, rng.randint(30, 80))
        out.append((h, [mutate(rng, h)]))
    return out


def main():
    rng = random.Random(SEED)
    tok = Tokenizer13a()
    lines = []
    all_pairs = pairs(rng)
    for hyp, refs in all_pairs:
        s = sacrebleu.sentence_bleu(hyp, refs)
        lines.append({"kind": "sentence", "hyp": hyp, "refs": refs, "hyp_tokens": tok(hyp.rstrip()),
                      "score": s.score, "counts": s.counts, "totals": s.totals, "precisions": s.precisions,
                      "bp": s.bp, "sys_len": s.sys_len, "ref_len": s.ref_len})
    single = [(h, r[0]) for h, r in all_pairs if len(r) == 1]
    for size, smooth, value, eff in [(50, "exp", None, False), (120, "exp", None, False), (80, "floor", None, False),
                                     (80, "floor", 0.3, True), (60, "none", None, False), (60, "add-k", None, False),
                                     (3, "none", None, False), (40, "exp", None, True)]:
        chosen = rng.sample(single, size)
        hyps, refs = [h for h, _ in chosen], [[r for _, r in chosen]]
        s = BLEU(smooth_method=smooth, smooth_value=value, effective_order=eff).corpus_score(hyps, refs)
        lines.append({"kind": "corpus", "hyps": hyps, "refs": refs, "smooth": smooth, "smooth_value": value,
                      "effective_order": eff, "score": s.score, "bp": s.bp, "sys_len": s.sys_len, "ref_len": s.ref_len})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"wrote {len(lines)} cases ({len(all_pairs)} sentence pairs) to {OUT} with sacrebleu {sacrebleu.__version__}")


if __name__ == "__main__":
    main()
