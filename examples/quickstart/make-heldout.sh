#!/usr/bin/env bash
# Makes examples/quickstart/nq-heldout.jsonl, the quickstart's held-out targeted task: NQ-synthetic question and
# answer pairs written by the teacher (SmolLM2-135M-Instruct) with a seed the study does not use, as the
# {"question", "answer"} lines the nq_heldout task reads. The committed file was made by this script (2026-12-07).
#
#   bash examples/quickstart/make-heldout.sh [path/to/mimic]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
MIMIC="${1:-../../.build/release/mimic}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$MIMIC" collect nq-synthetic --count 40 --seed 977 --temperature 0.3 --max-tokens 128 --seeds ../../data/seeds/nq-seeds.txt \
    --out "$WORK/heldout.jsonl" --cache "$WORK/requests.sqlite"
python3 - "$WORK/heldout.jsonl" > nq-heldout.jsonl <<'PY'
import json, sys
for line in open(sys.argv[1]):
    messages = json.loads(line)["messages"]
    question = next(m["content"] for m in messages if m["role"] == "user")
    answer = next(m["content"] for m in messages if m["role"] == "assistant")
    print(json.dumps({"question": question.strip(), "answer": answer.strip()}, ensure_ascii=False))
PY
wc -l nq-heldout.jsonl
