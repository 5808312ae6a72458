#!/usr/bin/env python3
"""Golden figures of `mimic judge summarize`, computed independently from the definitions in issue 12.

Made by (the fixtures are written by this script too, from a fixed seed, then committed):
    python3 -m venv /tmp/judgevenv && /tmp/judgevenv/bin/pip install numpy==2.4.6 statsmodels==0.15.0
    /tmp/judgevenv/bin/python scripts/reference/judge_summary_golden.py --fixtures \
        Tests/MimicMetricsTests/Resources/judgments
which writes FIXTURE.jsonl for each case and golden.json beside them.

Tolerances (Tests/MimicMetricsTests/PairwiseSummaryTests.swift): counts exactly, rates within 1e-9,
lc_win_rate within 1e-6 (statsmodels' GLM, Binomial family, IRLS to tol 1e-12). The bootstrap interval is
not pinned here (it depends on Mimic's seeded generator); its tests check what an interval must satisfy.
"""
import argparse
import json
import os
import random

import numpy as np
import statsmodels.api as sm

VERDICTS = ["a", "b", "tie"]


def line(item_id, order, verdict, a_words, b_words):
    return {"id": item_id, "order": order, "verdict": verdict, "a_words": a_words, "b_words": b_words}


def make_fixtures():
    rng = random.Random(20261207)
    cases = {}
    # Both orders mostly, some items in one order, errors (one or both orders), two repeated lines.
    lines = []
    for i in range(80):
        a, b = rng.randint(3, 400), rng.randint(3, 400)
        if i % 9 == 4:
            b = a  # equal lengths
        orders = ["ab", "ba"] if i % 7 != 3 else [rng.choice(["ab", "ba"])]
        for order in orders:
            r = rng.random()
            if r < 0.08:
                v = "error"
            elif r < 0.5:
                v = "a" if (a > b) == (rng.random() < 0.7) else "b"
            else:
                v = rng.choice(VERDICTS)
            lines.append(line(f"q{i}", order, v, a, b))
    lines.append(line("q10", "ab", "error", lines[0]["a_words"], lines[0]["b_words"]))
    lines.append(dict(lines[5]))
    # a late repeat of q2's "ab" judgment with another verdict (the later line counts)
    q2 = next(l for l in lines if l["id"] == "q2" and l["order"] == "ab")
    lines.append(line("q2", "ab", "tie" if q2["verdict"] != "tie" else "a", q2["a_words"], q2["b_words"]))
    cases["mixed"] = lines
    # every verdict a tie
    cases["all_ties"] = [line(f"t{i}", o, "tie", 10 + i, 30 - i) for i in range(20) for o in ("ab", "ba")]
    # sigma = 0: every length difference the same
    cases["sigma_zero"] = [line(f"s{i}", o, rng.choice(VERDICTS + ["error"]), 50 + i, 40 + i)
                           for i in range(25) for o in ("ab", "ba")]
    # one order per item
    one = []
    for i in range(40):
        a, b = rng.randint(5, 200), rng.randint(5, 200)
        v = rng.choice(VERDICTS + ["error"]) if rng.random() < 0.3 else ("a" if a > b else "b")
        one.append(line(f"o{i}", rng.choice(["ab", "ba"]), v, a, b))
    cases["one_order"] = one
    return cases


def summarize(lines):
    items = {}
    order_of_items = []
    duplicates = 0
    for l in lines:
        if l["id"] not in items:
            items[l["id"]] = {"words": (l["a_words"], l["b_words"])}
            order_of_items.append(l["id"])
        if l["order"] in items[l["id"]]:
            duplicates += 1
        items[l["id"]][l["order"]] = l["verdict"]
    combined = {}
    inconsistent = 0
    both = 0
    firsts = []
    for item_id in order_of_items:
        it = items[item_id]
        ab, ba = it.get("ab"), it.get("ba")
        for order, v in (("ab", ab), ("ba", ba)):
            if v in ("a", "b"):
                firsts.append((order == "ab" and v == "a") or (order == "ba" and v == "b"))
        valid = [v for v in (ab, ba) if v is not None and v != "error"]
        if len(valid) == 2:
            both += 1
            if valid[0] != valid[1]:
                inconsistent += 1
                combined[item_id] = "tie"
            else:
                combined[item_id] = valid[0]
        elif len(valid) == 1:
            combined[item_id] = valid[0]
    decided = [i for i in order_of_items if i in combined]
    y = np.array([{"a": 1.0, "tie": 0.5, "b": 0.0}[combined[i]] for i in decided])
    out = {
        "items": len(decided),
        "wins": sum(combined[i] == "a" for i in decided),
        "ties": sum(combined[i] == "tie" for i in decided),
        "losses": sum(combined[i] == "b" for i in decided),
        "errors": len(order_of_items) - len(decided),
        "inconsistent": inconsistent,
        "both_orders": both,
        "duplicates": duplicates,
        "decided_judgments": len(firsts),
        "win_rate": float(100 * y.mean()) if len(y) else None,
        "position_consistency": 100 * (both - inconsistent) / both if both else None,
        "first_position_win_rate": 100 * sum(firsts) / len(firsts) if firsts else None,
    }
    unequal = [i for i in decided if combined[i] != "tie" and items[i]["words"][0] != items[i]["words"][1]]
    out["length_decided"] = len(unequal)
    if unequal:
        longer = sum((combined[i] == "a") == (items[i]["words"][0] > items[i]["words"][1]) for i in unequal)
        out["longer_wins"] = 100 * longer / len(unequal)
    else:
        out["longer_wins"] = None
    out["lc_win_rate"] = lc_win_rate(y, np.array([items[i]["words"][0] - items[i]["words"][1] for i in decided], float))
    return out


def lc_win_rate(y, delta):
    if len(y) == 0:
        return None
    if y.mean() in (0.0, 1.0):
        return float(100 * y.mean())
    sigma = delta.std(ddof=0)
    x = np.tanh(delta / sigma) if sigma > 0 else np.zeros_like(delta)
    if not np.any(x != 0):
        return float(100 * y.mean())
    fit = sm.GLM(y, sm.add_constant(x, has_constant="add"), family=sm.families.Binomial()).fit(tol=1e-12, maxiter=200)
    return float(100 / (1 + np.exp(-fit.params[0])))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixtures", required=True)
    args = parser.parse_args()
    os.makedirs(args.fixtures, exist_ok=True)
    golden = {}
    for name, lines in make_fixtures().items():
        with open(os.path.join(args.fixtures, name + ".jsonl"), "w") as f:
            for l in lines:
                f.write(json.dumps(l, sort_keys=True) + "\n")
        golden[name] = summarize(lines)
    with open(os.path.join(args.fixtures, "golden.json"), "w") as f:
        json.dump(golden, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
