#!/usr/bin/env python3
"""Exports alt-profanity-check's pickled scikit-learn model (a TfidfVectorizer and a CalibratedClassifierCV over
LinearSVC with sigmoid calibration) to plain JSON, for Sources/MimicEval/ProfanityScorer.swift.

Exact command (scripts/fetch-assets.sh runs it in its own venv):
    $VENV/bin/python scripts/export_profanity_model.py --wheel $CACHE/wheels/alt_profanity_check-1.9.1-py3-none-any.whl \
        --out $CACHE/models/profanity-check.json
with $VENV made by: python3 -m venv $VENV && $VENV/bin/pip install scikit-learn==1.9.1 joblib==1.6.0 numpy==2.4.6
scipy==1.17.1 threadpoolctl==3.8.0 (alt-profanity-check 1.9.1 pins scikit-learn==1.9.1 and joblib==1.6.0: its models
are pickled with that version). Instead of --wheel, --data-dir DIR reads DIR/vectorizer.joblib and DIR/model.joblib.

The JSON (all floats as Python's repr, which round-trips to the same float64):
  format              "mimic-profanity-check/1"
  source              package, versions and this script
  vectorizer          lowercase, token_pattern, analyzer, ngram_range, strip_accents, stop_words (sorted), binary,
                      norm, use_idf, smooth_idf, sublinear_tf, dtype, vocabulary (a list: vocabulary[i] is the term of
                      column i, so that no JSON object keys are compared or merged), idf (one float a column)
  classifier          class, method "sigmoid", classes, ensemble_mean "arithmetic", calibrated_classifiers: a list of
                      {coef (one float a column), intercept, sigmoid {a, b}}

predict_proba(texts)[:, 1] is then, for each text (what scikit-learn 1.9.1 computes, step by step):
  tokens  = re.findall(token_pattern, text.lower()) minus stop words           (CountVectorizer, analyzer "word")
  x[j]    = count of vocabulary[j] among tokens (0 for terms not in the list)  (CSR, columns sorted)
  x[j]   *= idf[j]; x /= sqrt(sum over nonzero j, in column order, of x[j]^2) unless that sum is 0  (TfidfTransformer)
  f_m     = (sum over nonzero j, in column order, of x[j] * coef_m[j]) + intercept_m     (LinearSVC.decision_function)
  p_m     = expit(-(a_m * f_m + b_m)) = 1 / (1 + exp(a_m * f_m + b_m))            (_SigmoidCalibration.predict)
  p       = (((0 + p_1) + p_2) + ... + p_M) / M                                    (CalibratedClassifierCV mean)
The script checks every class and parameter it relies on and stops if the pickles hold anything else, then checks
that this recipe, run on the exported JSON, gives predict_proba's values on a few texts.
"""
import argparse
import json
import math
import os
import re
import sys
import tempfile
import zipfile
from importlib.metadata import version
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV, _CalibratedClassifier, _SigmoidCalibration
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.svm import LinearSVC

FORMAT = "mimic-profanity-check/1"
PACKAGE = "alt-profanity-check==1.9.1"
SKLEARN = "1.9.1"
CHECK_TEXTS = ["", "hello there, how are you today?", "You are a complete idiot and a moron.",
               "What the hell is this crap", "Pokémon and café", "ΟΔΟΣ İstanbul user_talk 2005", "a b c",
               "shut up shut up SHUT UP", "I'd like two tickets, please."]


def fail(message):
    sys.exit(f"error: {message}")


def expect(condition, what):
    if not condition:
        fail(f"the pickled model is not what this exporter knows how to export: {what}")


def load(args):
    if args.data_dir:
        folder = Path(args.data_dir)
        return joblib.load(folder / "vectorizer.joblib"), joblib.load(folder / "model.joblib")
    with zipfile.ZipFile(args.wheel) as wheel, tempfile.TemporaryDirectory() as tmp:
        out = []
        for name in ("vectorizer.joblib", "model.joblib"):
            member = f"profanity_check/data/{name}"
            if member not in wheel.namelist():
                fail(f"{member} not found in {args.wheel}")
            out.append(joblib.load(wheel.extract(member, tmp)))
        return tuple(out)


def export_vectorizer(v):
    expect(type(v) is TfidfVectorizer, f"vectorizer is {type(v).__name__}")
    p = v.get_params()
    expect(p["analyzer"] == "word" and p["tokenizer"] is None and p["preprocessor"] is None,
           "a custom analyzer, tokenizer or preprocessor")
    expect(p["input"] == "content" and p["strip_accents"] is None, "input or strip_accents")
    expect(p["dtype"] is np.float64, f"dtype {p['dtype']}")
    expect(p["norm"] in ("l1", "l2", None), f"norm {p['norm']}")
    tfidf = v._tfidf
    expect(tfidf.norm == p["norm"] and tfidf.use_idf == p["use_idf"] and tfidf.sublinear_tf == p["sublinear_tf"],
           "TfidfTransformer settings differ from the vectorizer's")
    stop = v.get_stop_words()
    expect(stop is None or p["stop_words"] == "english" and stop == ENGLISH_STOP_WORDS, "custom stop words")
    vocab = v.vocabulary_
    expect(sorted(vocab.values()) == list(range(len(vocab))), "vocabulary indices are not 0..n-1")
    terms = [None] * len(vocab)
    for term, index in vocab.items():
        terms[index] = term
    idf = tfidf.idf_ if p["use_idf"] else None
    expect(idf is None or (idf.dtype == np.float64 and idf.shape == (len(terms),)), "idf shape or dtype")
    return {
        "class": "TfidfVectorizer",
        "lowercase": bool(p["lowercase"]),
        "token_pattern": p["token_pattern"],
        "analyzer": p["analyzer"],
        "ngram_range": list(p["ngram_range"]),
        "strip_accents": None,
        "stop_words": sorted(stop) if stop is not None else None,
        "binary": bool(p["binary"]),
        "norm": p["norm"],
        "use_idf": bool(p["use_idf"]),
        "smooth_idf": bool(p["smooth_idf"]),
        "sublinear_tf": bool(p["sublinear_tf"]),
        "dtype": "float64",
        "vocabulary": terms,
        "idf": [float(x) for x in idf] if idf is not None else None,
    }


def export_classifier(m, n_features):
    expect(type(m) is CalibratedClassifierCV, f"classifier is {type(m).__name__}")
    expect(m.method == "sigmoid", f"calibration method {m.method}")
    expect(list(m.classes_) == [0, 1], f"classes {list(m.classes_)}")
    out = []
    for cc in m.calibrated_classifiers_:
        expect(type(cc) is _CalibratedClassifier and cc.method == "sigmoid", "a calibrated classifier")
        est = cc.estimator
        expect(type(est) is LinearSVC, f"base estimator {type(est).__name__}")
        expect(list(est.classes_) == [0, 1] and list(cc.classes) == [0, 1], "estimator classes")
        expect(est.coef_.shape == (1, n_features) and est.coef_.dtype == np.float64, "coef_ shape or dtype")
        expect(est.intercept_.shape == (1,), "intercept_ shape")
        expect(len(cc.calibrators) == 1 and type(cc.calibrators[0]) is _SigmoidCalibration, "calibrators")
        cal = cc.calibrators[0]
        out.append({"estimator": "LinearSVC", "coef": [float(x) for x in est.coef_[0]],
                    "intercept": float(est.intercept_[0]), "sigmoid": {"a": float(cal.a_), "b": float(cal.b_)}})
    expect(len(out) >= 1, "no calibrated classifiers")
    return {"class": "CalibratedClassifierCV", "method": "sigmoid", "classes": [0, 1], "positive_class": 1,
            "ensemble_mean": "arithmetic", "calibrated_classifiers": out}


def recipe(model, text):
    """predict_proba(text)[1] from the exported JSON alone, in the order of operations the docstring gives."""
    v = model["vectorizer"]
    doc = text.lower() if v["lowercase"] else text
    stop = set(v["stop_words"] or [])
    index = {t: i for i, t in enumerate(v["vocabulary"])}
    counts = {}
    for token in re.findall(v["token_pattern"], doc):
        if token not in stop and token in index:
            counts[index[token]] = counts.get(index[token], 0) + 1
    cols = sorted(counts)
    x = [1.0 if v["binary"] else float(counts[j]) for j in cols]
    if v["sublinear_tf"]:
        x = [math.log(t) + 1.0 for t in x]
    if v["idf"] is not None:
        x = [t * v["idf"][j] for t, j in zip(x, cols)]
    if v["norm"] is not None:
        total = 0.0
        for t in x:
            total += t * t if v["norm"] == "l2" else abs(t)
        if total != 0.0:
            total = math.sqrt(total) if v["norm"] == "l2" else total
            x = [t / total for t in x]
    mean = 0.0
    for cc in model["classifier"]["calibrated_classifiers"]:
        f = 0.0
        for t, j in zip(x, cols):
            f += t * cc["coef"][j]
        f += cc["intercept"]
        y = -(cc["sigmoid"]["a"] * f + cc["sigmoid"]["b"])
        mean += 1.0 / (1.0 + math.exp(-y))
    return mean / len(model["classifier"]["calibrated_classifiers"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--wheel", help="the alt-profanity-check 1.9.1 wheel")
    source.add_argument("--data-dir", help="a folder holding vectorizer.joblib and model.joblib")
    parser.add_argument("--out", required=True, help="the JSON file to write (atomically)")
    args = parser.parse_args()
    if sklearn.__version__ != SKLEARN:
        fail(f"scikit-learn {sklearn.__version__} is installed; the pickles need {SKLEARN}")

    vectorizer, model = load(args)
    exported = {"format": FORMAT,
                "source": {"package": PACKAGE, "scikit-learn": sklearn.__version__, "joblib": joblib.__version__,
                           "numpy": np.__version__, "script": "scripts/export_profanity_model.py"},
                "vectorizer": export_vectorizer(vectorizer)}
    exported["classifier"] = export_classifier(model, len(exported["vectorizer"]["vocabulary"]))

    text = json.dumps(exported, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    reloaded = json.loads(text)
    want = model.predict_proba(vectorizer.transform(CHECK_TEXTS))[:, 1]
    got = [recipe(reloaded, t) for t in CHECK_TEXTS]
    worst = max(abs(a - b) for a, b in zip(got, want))
    if worst > 1e-12:
        fail(f"the exported recipe differs from predict_proba by {worst}")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=out.name + ".", suffix=".part")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, out)
    print(f"wrote {out}: {len(exported['vectorizer']['vocabulary'])} terms, "
          f"{len(exported['classifier']['calibrated_classifiers'])} calibrated LinearSVCs "
          f"(scikit-learn {sklearn.__version__}, {version('joblib')}; recipe within {worst:.1e} of predict_proba)")


if __name__ == "__main__":
    main()
