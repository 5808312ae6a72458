#!/usr/bin/env bash
# The quickstart's wall time, per stage kind, and what the orchestration adds to a fully cached rerun.
#
#   swift build -c release && bash scripts/quickstart_bench.sh          # FRESH=0 keeps a finished study
#
# With FRESH=1 (default) the study folder is removed first, so every stage runs (the teacher's answers too: its
# request cache is in the study folder). Then `mimic run` again on the finished study (every stage cached) three
# times, and `mimic run --plan` once, each timed whole.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MIMIC="${MIMIC:-.build/release/mimic}"
STUDY=runs/quickstart
if [[ "${FRESH:-1}" == 1 ]]; then rm -rf "$STUDY"; fi
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores; $(grep -o -m1 'avx512_vnni\|avx512f' /proc/cpuinfo | head -1 || echo 'no AVX-512')"
start=$(date +%s.%N)
"$MIMIC" run examples/quickstart.yaml 2> /tmp/quickstart-bench.log > /dev/null
end=$(date +%s.%N)
python3 -c "import sys; print(f'mimic run examples/quickstart.yaml: {float(sys.argv[2]) - float(sys.argv[1]):.0f} s')" "$start" "$end"
python3 - "$STUDY" <<'PY'
import json, os, sys, collections
root = sys.argv[1] + "/stages"
kinds = collections.defaultdict(lambda: [0, 0.0])
for kind in sorted(os.listdir(root)):
    for stage in os.listdir(os.path.join(root, kind)):
        done = os.path.join(root, kind, stage, "done.json")
        if os.path.exists(done):
            d = json.load(open(done))
            kinds[kind][0] += 1
            kinds[kind][1] += d["seconds"]
total = sum(v[1] for v in kinds.values())
print("| stage kind | stages | seconds | share |")
print("| --- | ---: | ---: | ---: |")
for kind, (n, s) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
    print(f"| {kind} | {n} | {s:.0f} | {100 * s / total:.0f}% |")
print(f"| all | {sum(v[0] for v in kinds.values())} | {total:.0f} | |")
PY
for i in 1 2 3; do
    start=$(date +%s.%N); "$MIMIC" run examples/quickstart.yaml > /dev/null 2>&1; end=$(date +%s.%N)
    python3 -c "import sys; print(f'cached rerun {sys.argv[3]}: {float(sys.argv[2]) - float(sys.argv[1]):.2f} s')" "$start" "$end" "$i"
done
start=$(date +%s.%N); "$MIMIC" run --plan examples/quickstart.yaml > /dev/null; end=$(date +%s.%N)
python3 -c "import sys; print(f'mimic run --plan: {float(sys.argv[2]) - float(sys.argv[1]):.2f} s')" "$start" "$end"
