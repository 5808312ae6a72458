#!/usr/bin/env python3
"""MinHash de-duplication benchmark: generate N query-like documents with planted near-duplicates as conversation
JSONL, time `mimic data dedup --near T` on them, and (if datasketch is installed) datasketch's MinHashLSH on the
same documents with the same shingles (5-character runs of the lower-cased, space-collapsed text) and permutations.

    python3 scripts/minhash_bench.py --docs 100000 --out /tmp/mh.jsonl \
        --mimic .build/release/mimic [--datasketch]

Planted: a fraction of the documents are copies of earlier ones with 1-3 words replaced (Jaccard about 0.8-0.95)
and a smaller fraction are copies with many words replaced (Jaccard well below the threshold).
"""
import argparse
import itertools
import json
import random
import re
import subprocess
import time


def generate(n, seed, near_fraction, far_fraction):
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(20000)]
    cumulative = list(itertools.accumulate(1.0 / (i + 1) ** 0.8 for i in range(len(vocab))))  # Zipf-like
    docs, planted_near, planted_far = [], [], []
    for i in range(n):
        r = rng.random()
        if i > 10 and r < near_fraction:
            original = rng.randrange(i)
            words = docs[original].split()
            for _ in range(rng.randint(1, 3)):
                words[rng.randrange(len(words))] = rng.choice(vocab)
            planted_near.append((i, original))
        elif i > 10 and r < near_fraction + far_fraction:
            original = rng.randrange(i)
            words = docs[original].split()
            for _ in range(len(words) // 2):
                words[rng.randrange(len(words))] = rng.choice(vocab)
            planted_far.append((i, original))
        else:
            words = rng.choices(vocab, cum_weights=cumulative, k=rng.randint(15, 80))
        docs.append(" ".join(words))
    return docs, planted_near, planted_far


def shingles(text, n=5):
    text = re.sub(r"\s+", " ", text.lower()).strip()
    if len(text) < n:
        return {text.encode()} if text else set()
    return {text[i:i + n].encode() for i in range(len(text) - n + 1)}


def jaccard(a, b):
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y) if x or y else 0.0


def check_planted(docs, near, far, kept, threshold):
    """Planted copies at or above the threshold against their original must be removed (recall); planted far
    copies below it must be kept unless they are close to some other document (not checked here)."""
    above = [(c, o) for c, o in near if jaccard(docs[c], docs[o]) >= threshold]
    missed = [c for c, _ in above if c in kept]
    far_below = [(c, o) for c, o in far if jaccard(docs[c], docs[o]) < threshold]
    far_removed = [c for c, _ in far_below if c not in kept]
    print(f"  planted near-duplicates at Jaccard >= {threshold}: {len(above)} of {len(near)}; "
          f"still kept (missed): {len(missed)}")
    print(f"  planted far copies below {threshold}: {len(far_below)}; removed: {len(far_removed)}")


def run_datasketch(docs, threshold, permutations):
    from datasketch import MinHash, MinHashLSH
    start = time.time()
    lsh = MinHashLSH(threshold=threshold, num_perm=permutations)
    removed = 0
    for i, doc in enumerate(docs):
        m = MinHash(num_perm=permutations)
        m.update_batch(list(shingles(doc)))
        if lsh.query(m):
            removed += 1
        else:
            lsh.insert(str(i), m)
    return time.time() - start, removed, lsh.b, lsh.r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--near", type=float, default=0.1, help="fraction of planted near-duplicates")
    ap.add_argument("--far", type=float, default=0.02, help="fraction of planted far copies (below threshold)")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--permutations", type=int, default=128)
    ap.add_argument("--out", default="/tmp/minhash_bench.jsonl")
    ap.add_argument("--mimic", help="path of the mimic binary (release build)")
    ap.add_argument("--datasketch", action="store_true", help="also time datasketch's MinHashLSH")
    args = ap.parse_args()

    docs, near, far = generate(args.docs, args.seed, args.near, args.far)
    with open(args.out, "w") as f:
        for i, doc in enumerate(docs):
            f.write(json.dumps({"messages": [{"role": "user", "content": doc}], "meta": {"source": f"bench#{i}"}}) + "\n")
    chars = sum(len(d) for d in docs)
    print(f"{len(docs)} documents ({chars / len(docs):.0f} characters on average), {len(near)} planted near-duplicates, "
          f"{len(far)} planted far copies -> {args.out}")

    if args.mimic:
        start = time.time()
        out = subprocess.run([args.mimic, "data", "dedup", args.out, "--out", args.out + ".dedup.jsonl", "--near",
                              str(args.threshold), "--permutations", str(args.permutations), "--no-exact"],
                             check=True, capture_output=True, text=True).stdout
        print(f"mimic data dedup: {time.time() - start:.2f} s wall")
        print("  " + out.strip().replace("\n", "\n  "))
        kept = set()
        with open(args.out + ".dedup.jsonl") as f:
            for line in f:
                kept.add(int(json.loads(line)["meta"]["source"].split("#")[1]))
        check_planted(docs, near, far, kept, args.threshold)
    if args.datasketch:
        seconds, removed, b, r = run_datasketch(docs, args.threshold, args.permutations)
        print(f"datasketch MinHashLSH (query then insert, b={b}, r={r}): {seconds:.2f} s, {removed} removed")


if __name__ == "__main__":
    main()
