#!/usr/bin/env python3
"""Vote-set fixtures and golden agreement figures for Mimic's human-rating summary (MimicRate).

Made by (the fixtures are written by this script too, from a fixed seed, then committed):
    python3 -m venv /tmp/ratevenv && /tmp/ratevenv/bin/pip install numpy==2.4.6 scipy==1.17.1 \
        statsmodels==0.15.0 krippendorff==0.9.0 choix==0.4.1
    /tmp/ratevenv/bin/python scripts/reference/rating_agreement_golden.py \
        --out Tests/MimicRateTests/Resources/votesets
(Python 3.11.7; pip also resolved pandas 3.1.1, patsy 1.0.3, formulaic 1.2.2 for statsmodels/krippendorff.)
It writes NAME.json for each vote set below and golden.json beside them, and prints the figures. A rerun
rewrites the same bytes (seed 20261215, no timestamps).

Fixture: {"raters_per_item": R, "votes": [{"item", "a", "b", "rater", "choice"}, ...]}, choice one of
"a" (system a better), "b" (system b better), "same". A unit is the triple (item, a, b); a rater rates a
unit at most once. The same item text appears in several units when several system pairs were rated on it
("multi", "big"), and in "multi" and "big" about 40% of units have their two systems swapped (the teacher
as system a, s2 before s1, ...) and the order of the votes in the file is shuffled. Written one vote a line.

golden.json: {NAME: {"complete_units", "fleiss_kappa", "krippendorff_alpha", "bradley_terry"}}, where
- categories are a = 0, same = 1, b = 2 (always three columns);
- complete_units: the units with exactly raters_per_item ratings;
- fleiss_kappa: statsmodels.stats.inter_rater.fleiss_kappa(table, method="fleiss") on the complete units'
  counts (units x 3). null when there is no complete unit, or when the result is nan: with every rating in
  one category p_e = 1 and statsmodels returns 0/0 = nan (with a RuntimeWarning; it does not raise);
- krippendorff_alpha: krippendorff.alpha(reliability_data=M, level_of_measurement="nominal",
  value_domain=[0, 1, 2]) with M raters x units (every unit, nan where a rater did not rate it). A unit with
  one rating adds nothing (its coincidences are 0 and it does not count in n). null when alpha raises
  (krippendorff raises ValueError when no unit has two ratings) or returns nan (all pairable values the same:
  the expected disagreement is 0 and the package returns 0/0 = nan with a RuntimeWarning);
- bradley_terry: only when the vote set has more than 2 systems, else null. Every vote is one comparison
  of the unit's a and b: "a" = a beats b with weight 1, "b" = b beats a with weight 1, "same" = weight 0.5
  each way. theta maximizes sum_votes w * log(sigmoid(theta_winner - theta_loser)), no prior, then is shifted
  to mean 0; written as {system: theta}. Fitted here by Newton's method (float64, theta of the last system
  held at 0 during the fit, then centred) until the gradient norm is below 1e-12 (printed). Cross-checks
  (asserted): choix.ilsr_pairwise(n, data, alpha=0) (and choix.opt_pairwise(..., alpha=0.0)) on the decided
  votes only (ties dropped) agree with this fitter run on the same votes within 1e-6 after centring; and
  on the full votes, choix on the equivalent unweighted data (each decided vote twice, each tie once in each
  direction: the log-likelihood doubles, the maximizer is the same) agrees with the golden within 1e-6.
  The script asserts that the comparison graph is strongly connected, with and without ties, so both MLEs
  exist.
Fleiss' kappa and alpha are also recomputed from their textbook formulas in this script (asserted equal
within 1e-12), as a check on how the packages were called.

Tolerances (suggested for the Swift tests): complete_units exactly, null exactly where null; fleiss_kappa
and krippendorff_alpha within 1e-9 (closed forms; only the order of float operations differs);
bradley_terry within 1e-6 per system (an iterative fit; Mimic stops at its own tolerance).
Not pinned: how Mimic orders raters or units internally, the strength scale other than log-strengths
centred at mean 0 (no Elo-style rescaling), any confidence interval.
"""
import argparse
import json
import os
import random
import warnings

import choix
import krippendorff
import numpy as np
from statsmodels.stats.inter_rater import fleiss_kappa

SEED = 20261215
CATEGORY = {"a": 0, "same": 1, "b": 2}


# ---------------------------------------------------------------------------------------------- fixtures

def vote_for(rng, d, rater_bias):
    """One rater's choice given the unit's latent preference d for system a (ordered-logit-like)."""
    z = d + rater_bias + rng.gauss(0.0, 0.7)
    if z > 0.45:
        return "a"
    if z < -0.45:
        return "b"
    return "same"


def rate_units(rng, units, pool, counts, biases, shuffle):
    """units: [(item, a, b, d)], counts: ratings per unit. Raters drawn without replacement from pool."""
    votes = []
    for (item, a, b, d), n in zip(units, counts):
        for rater in rng.sample(pool, n):
            votes.append({"item": item, "a": a, "b": b, "rater": rater,
                          "choice": vote_for(rng, d, biases[rater])})
    if shuffle:
        rng.shuffle(votes)
    return votes


def system_units(rng, pairs, strength, swap_teacher):
    """pairs: [(item, x, y)]; latent d = strength[a] - strength[b] + unit effect."""
    units = []
    for item, x, y in pairs:
        a, b = x, y
        if swap_teacher and rng.random() < 0.4:
            a, b = y, x
        units.append((item, a, b, strength[a] - strength[b] + rng.gauss(0.0, 0.8)))
    return units


def make_vote_sets():
    rng = random.Random(SEED)
    sets = {}

    def pool(n):
        return [f"r{i}" for i in range(1, n + 1)]

    def biases(names):
        return {r: rng.gauss(0.0, 0.25) for r in names}

    # 1. basic: 12 units, 3 ratings each, 5 raters.
    p = pool(5)
    units = [(f"q{i}", "student", "teacher", rng.gauss(-0.3, 1.2)) for i in range(1, 13)]
    sets["basic"] = (3, rate_units(rng, units, p, [3] * 12, biases(p), shuffle=False))

    # 2. missing: 15 units, 3 wanted; 4 units with 2 ratings and 2 with 1.
    p = pool(6)
    units = [(f"q{i}", "student", "teacher", rng.gauss(-0.2, 1.2)) for i in range(1, 16)]
    short = rng.sample(range(15), 6)
    counts = [3] * 15
    for k, idx in enumerate(short):
        counts[idx] = 2 if k < 4 else 1
    sets["missing"] = (3, rate_units(rng, units, p, counts, biases(p), shuffle=False))

    # 3. all_same: 10 units, every choice "same".
    p = pool(4)
    votes = []
    for i in range(1, 11):
        for r in rng.sample(p, 3):
            votes.append({"item": f"q{i}", "a": "student", "b": "teacher", "rater": r, "choice": "same"})
    sets["all_same"] = (3, votes)

    # 4. unanimous_mixed: 8 units, each unanimous, units differ.
    p = pool(5)
    choices = ["a", "b", "same", "a", "b", "a", "same", "b"]
    votes = []
    for i, c in enumerate(choices, 1):
        for r in rng.sample(p, 3):
            votes.append({"item": f"q{i}", "a": "student", "b": "teacher", "rater": r, "choice": c})
    sets["unanimous_mixed"] = (3, votes)

    # 5. multi: s1, s2, s3 vs teacher (10 units each), s1 vs s2 and s2 vs s3 (5 each): 40 units.
    strength = {"teacher": 0.6, "s1": 0.3, "s2": -0.1, "s3": -0.5}
    p = pool(8)
    pairs = [(f"q{i}", s, "teacher") for s in ("s1", "s2", "s3") for i in range(1, 11)]
    pairs += [(f"q{i}", "s1", "s2") for i in range(1, 6)]
    pairs += [(f"q{i}", "s2", "s3") for i in range(6, 11)]
    units = system_units(rng, pairs, strength, swap_teacher=True)
    sets["multi"] = (3, rate_units(rng, units, p, [3] * len(units), biases(p), shuffle=True))

    # 6. big: s1 vs teacher, s2 vs teacher, s1 vs s2 on 200 units, 25 raters, ~15% of units short.
    strength = {"teacher": 0.5, "s1": 0.1, "s2": -0.3}
    p = pool(25)
    pairs = []
    for i in range(1, 81):
        for x, y in (("s1", "teacher"), ("s2", "teacher"), ("s1", "s2")):
            pairs.append((f"q{i}", x, y))
    pairs = sorted(rng.sample(pairs, 200), key=lambda t: (int(t[0][1:]), t[1], t[2]))
    units = system_units(rng, pairs, strength, swap_teacher=True)
    counts = [3] * 200
    for idx in rng.sample(range(200), 30):
        counts[idx] = rng.choice([1, 2, 2])
    sets["big"] = (3, rate_units(rng, units, p, counts, biases(p), shuffle=True))
    return sets


# ---------------------------------------------------------------------------------------------- figures

def group_units(votes):
    units = {}
    for v in votes:
        key = (v["item"], v["a"], v["b"])
        units.setdefault(key, {})
        assert v["rater"] not in units[key], f"rater {v['rater']} rated {key} twice"
        units[key][v["rater"]] = CATEGORY[v["choice"]]
    return units


def fleiss(units, rpi):
    table = np.array([[sum(1 for c in r.values() if c == k) for k in range(3)]
                      for r in units.values() if len(r) == rpi], dtype=float)
    if len(table) == 0:
        return 0, None, "no complete unit"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        kappa = float(fleiss_kappa(table, method="fleiss"))
    # textbook check
    n, m = table.shape[0], rpi
    p_j = table.sum(0) / (n * m)
    p_i = ((table * table).sum(1) - m) / (m * (m - 1))
    pe = float((p_j ** 2).sum())
    if np.isnan(kappa):
        assert pe == 1.0
        return n, None, "statsmodels returned nan (p_e = 1: every rating in one category)"
    assert abs(kappa - (p_i.mean() - pe) / (1 - pe)) < 1e-12
    return n, kappa, None


def kalpha(units):
    raters = sorted({r for u in units.values() for r in u}, key=lambda s: int(s[1:]))
    keys = list(units)
    matrix = np.full((len(raters), len(keys)), np.nan)
    for j, k in enumerate(keys):
        for r, c in units[k].items():
            matrix[raters.index(r), j] = c
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            a = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal",
                                         value_domain=[0, 1, 2]))
    except ValueError as e:
        return None, f"krippendorff raised ValueError: {e}"
    # textbook check: coincidence matrix over pairable units (m_u >= 2)
    o = np.zeros((3, 3))
    for u in units.values():
        cnt = np.bincount(list(u.values()), minlength=3).astype(float)
        m = cnt.sum()
        if m < 2:
            continue
        o += (np.outer(cnt, cnt) - np.diag(cnt)) / (m - 1)
    n_c = o.sum(0)
    n = n_c.sum()
    d_o = n - np.trace(o)
    d_e = (n * n - (n_c ** 2).sum()) / (n - 1)
    if np.isnan(a):
        assert d_e == 0
        return None, "krippendorff returned nan (expected disagreement 0: all pairable values the same)"
    assert abs(a - (1 - d_o / d_e)) < 1e-12
    return a, None


def strongly_connected(n, edges):
    adj = [set() for _ in range(n)]
    radj = [set() for _ in range(n)]
    for w, l in edges:
        adj[w].add(l)
        radj[l].add(w)

    def reach(g):
        seen, stack = {0}, [0]
        while stack:
            for y in g[stack.pop()]:
                if y not in seen:
                    seen.add(y)
                    stack.append(y)
        return len(seen) == n
    return reach(adj) and reach(radj)


def bt_newton(n, wins):
    """wins: (n x n) W[i, j] = weight of i beating j. Returns (centred theta, gradient norm, iterations)."""
    W = np.asarray(wins, float)
    N = W + W.T

    def loglik(t):
        d = t[:, None] - t[None, :]
        return float((W * -np.logaddexp(0.0, -d)).sum())

    def grad_hess(t):
        d = t[:, None] - t[None, :]
        p = 1.0 / (1.0 + np.exp(-d))  # p[i, j] = P(i beats j)
        g = (W - N * p).sum(1)
        c = N * p * (1 - p)
        H = c.copy()
        np.fill_diagonal(H, 0.0)
        H[np.diag_indices(n)] = -c.sum(1) + np.diag(c)
        return g, H

    t = np.zeros(n)
    for it in range(200):
        g, H = grad_hess(t)
        # full gradient norm, with the free coordinates 0..n-2 (theta[n-1] fixed at 0)
        if np.linalg.norm(g) < 1e-12:
            break
        step = np.zeros(n)
        step[:-1] = np.linalg.solve(H[:-1, :-1], -g[:-1])
        s, f0 = 1.0, loglik(t)
        while loglik(t + s * step) < f0 - 1e-15 and s > 1e-8:
            s /= 2
        t = t + s * step
    else:
        raise RuntimeError("Newton did not converge")
    g, _ = grad_hess(t)
    gnorm = float(np.linalg.norm(g))
    assert gnorm < 1e-10, gnorm
    return t - t.mean(), gnorm, it


def bradley_terry(votes, name):
    systems = sorted({v["a"] for v in votes} | {v["b"] for v in votes})
    if len(systems) <= 2:
        return None
    idx = {s: i for i, s in enumerate(systems)}
    n = len(systems)
    W = np.zeros((n, n))
    Wd = np.zeros((n, n))
    decided, doubled = [], []
    for v in votes:
        a, b = idx[v["a"]], idx[v["b"]]
        if v["choice"] == "a":
            W[a, b] += 1.0
            Wd[a, b] += 1.0
            decided.append((a, b))
            doubled += [(a, b), (a, b)]
        elif v["choice"] == "b":
            W[b, a] += 1.0
            Wd[b, a] += 1.0
            decided.append((b, a))
            doubled += [(b, a), (b, a)]
        else:
            W[a, b] += 0.5
            W[b, a] += 0.5
            doubled += [(a, b), (b, a)]
    edges = [(i, j) for i in range(n) for j in range(n) if W[i, j] > 0]
    assert strongly_connected(n, edges), f"{name}: comparison graph not strongly connected"
    assert strongly_connected(n, decided), f"{name}: decided-only graph not strongly connected"
    for s in systems:
        assert any(w == idx[s] for w, _ in decided) and any(l == idx[s] for _, l in decided), s

    theta, gnorm, iters = bt_newton(n, W)
    print(f"  {name}: Bradley-Terry Newton converged in {iters} iterations, |grad| = {gnorm:.3e}")

    # cross-check 1 (asserted): decided votes only, this fitter vs choix
    td, gd, _ = bt_newton(n, Wd)
    ci = choix.ilsr_pairwise(n, decided, alpha=0.0, max_iter=10000, tol=1e-14)
    co = choix.opt_pairwise(n, decided, alpha=0.0, method="Newton-CG", tol=1e-12)
    ci, co = ci - ci.mean(), co - co.mean()
    err_i, err_o = float(np.abs(td - ci).max()), float(np.abs(td - co).max())
    print(f"  {name}: decided only ({len(decided)} votes, |grad| {gd:.1e}): "
          f"max |theta - choix.ilsr| = {err_i:.2e}, |theta - choix.opt| = {err_o:.2e}")
    assert err_i < 1e-6 and err_o < 1e-6
    # cross-check 2 (asserted): ties as one win each way with decided votes doubled (same maximizer)
    cf = choix.ilsr_pairwise(n, doubled, alpha=0.0, max_iter=10000, tol=1e-14)
    cf = cf - cf.mean()
    err_f = float(np.abs(theta - cf).max())
    print(f"  {name}: with ties (doubled data): max |theta - choix.ilsr| = {err_f:.2e}")
    assert err_f < 1e-6
    return {s: float(theta[idx[s]]) for s in systems}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    golden = {}
    for name, (rpi, votes) in make_vote_sets().items():
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            f.write('{"raters_per_item": %d,\n "votes": [\n' % rpi)
            f.write(",\n".join("  " + json.dumps(v) for v in votes))
            f.write("\n ]}\n")
        units = group_units(votes)
        complete, kappa, kappa_note = fleiss(units, rpi)
        alpha, alpha_note = kalpha(units)
        sizes = sorted(len(u) for u in units.values())
        print(f"{name}: {len(votes)} votes, {len(units)} units, ratings per unit "
              f"{ {k: sizes.count(k) for k in sorted(set(sizes))} }, choices "
              f"{ {c: sum(v['choice'] == c for v in votes) for c in CATEGORY} }")
        if kappa_note:
            print(f"  {name}: fleiss_kappa null: {kappa_note}")
        if alpha_note:
            print(f"  {name}: krippendorff_alpha null: {alpha_note}")
        golden[name] = {"complete_units": complete, "fleiss_kappa": kappa, "krippendorff_alpha": alpha,
                        "bradley_terry": bradley_terry(votes, name)}
        print("  " + json.dumps(golden[name], sort_keys=True))
    with open(os.path.join(args.out, "golden.json"), "w") as f:
        json.dump(golden, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
