#!/usr/bin/env bash
# Mimic's own cost per judgment: `mimic judge` against `mimic serve --echo` (a loopback judge that answers at once)
# with 64 in flight, once sending every request (each answer stored in the request cache) and once answering every
# judgment from the cache; and `mimic judge summarize` of 100K judgments beside the reference script's summary of
# the same file (scripts/reference/judge_summary_golden.py, numpy + statsmodels) in the same run.
#
#   swift build -c release && bash scripts/judge_bench.sh       # ITEMS=20000 IN_FLIGHT=64 SUMMARIZE=100000
# PYTHON (default /tmp/judgevenv/bin/python, made as the reference script's header says) runs the reference.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MIMIC="${MIMIC:-.build/release/mimic}"
ITEMS="${ITEMS:-20000}"
IN_FLIGHT="${IN_FLIGHT:-64}"
SUMMARIZE="${SUMMARIZE:-100000}"
PYTHON="${PYTHON:-/tmp/judgevenv/bin/python}"
source scripts/echo_server.sh
# The echo judge repeats the prompt: a template without tags, and A's answers carrying one, give one verdict each.
cat > "$WORK/judge.yaml" <<'YAML'
kind: verdict
template: "{question}\n{answer_1}\n{answer_2}"
YAML
python3 - "$WORK" "$ITEMS" "$SUMMARIZE" <<'PY'
import json, random, sys
work, items, summarize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(f"{work}/a.jsonl", "w") as a, open(f"{work}/b.jsonl", "w") as b:
    for i in range(items):
        q = {"role": "user", "content": f"question {i}: what is {i} plus {i}?"}
        a.write(json.dumps({"messages": [q, {"role": "assistant", "content": f"It is {2 * i}. [[A]]"}]}) + "\n")
        b.write(json.dumps({"messages": [q, {"role": "assistant", "content": f"{2 * i}"}]}) + "\n")
rng = random.Random(1)
with open(f"{work}/judgments.jsonl", "w") as f:
    for i in range(summarize // 2):
        aw, bw = rng.randint(5, 400), rng.randint(5, 400)
        for order in ("ab", "ba"):
            v = rng.choice(["a", "b", "tie", "a", "b", "error"])
            f.write(json.dumps({"id": f"q{i}", "order": order, "verdict": v, "a_words": aw, "b_words": bw}) + "\n")
PY
echo "# $(date -u +%Y-%m-%d) mimic judge against mimic serve --echo at $URL, $IN_FLIGHT in flight, $ITEMS judgments"
run() {
    local start end
    start=$(date +%s.%N)
    "$MIMIC" judge --a "$WORK/a.jsonl" --b "$WORK/b.jsonl" --judge "openai:echo@$URL" --prompt "$WORK/judge.yaml" \
        --orders one --out "$WORK/$1.jsonl" --cache "$WORK/judge.sqlite" --run bench --concurrency "$IN_FLIGHT" \
        --resamples 200 > /dev/null 2> "$WORK/$1.log"
    end=$(date +%s.%N)
    python3 -c "import sys; s = float(sys.argv[2]) - float(sys.argv[1]); print(f'$1: {int(sys.argv[3])} judgments in {s:.2f} s, {int(sys.argv[3]) / s:,.0f} judgments/s')" "$start" "$end" "$ITEMS"
    tail -1 "$WORK/$1.log"
}
run sent
run cached
echo "## summarize $SUMMARIZE judgments"
start=$(date +%s.%N); "$MIMIC" judge summarize "$WORK/judgments.jsonl" --json > "$WORK/mimic-summary.json"; end=$(date +%s.%N)
python3 -c "import sys; print(f'mimic judge summarize (1000 bootstrap resamples): {float(sys.argv[2]) - float(sys.argv[1]):.3f} s')" "$start" "$end"
if [[ -x "$PYTHON" ]]; then
    "$PYTHON" - "$WORK/judgments.jsonl" <<'PY'
import json, sys, time
sys.path.insert(0, "scripts/reference")
import judge_summary_golden as reference
start = time.perf_counter()
lines = [json.loads(l) for l in open(sys.argv[1])]
summary = reference.summarize(lines)
print(f"reference script (no bootstrap): {time.perf_counter() - start:.3f} s; win rate {summary['win_rate']:.4f}, lc {summary['lc_win_rate']:.4f}")
PY
    python3 -c "import json, sys; s = json.load(open(sys.argv[1])); print(f\"mimic: win rate {s['win_rate']:.4f}, lc {s['lc_win_rate']:.4f}\")" "$WORK/mimic-summary.json"
else
    echo "(no $PYTHON: the reference summary is skipped)"
fi
