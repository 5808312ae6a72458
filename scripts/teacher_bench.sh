#!/usr/bin/env bash
# The teacher client's speed: `mimic teacher-bench` (client alone, client + cache sending, client + cache answering)
# against Mimic's echo server running in another process, and wrk (the reference HTTP load generator, Debian's
# `wrk`) against the same server in the same run, as the ceiling of what that server can answer.
#
#   swift build -c release && bash scripts/teacher_bench.sh          # REQUESTS=20000 IN_FLIGHT=64 by default
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MIMIC="${MIMIC:-.build/release/mimic}"
REQUESTS="${REQUESTS:-20000}"
IN_FLIGHT="${IN_FLIGHT:-64}"
source scripts/echo_server.sh
echo "# $(date -u +%Y-%m-%d) teacher client against mimic serve --echo at $URL, $IN_FLIGHT in flight"
if command -v wrk > /dev/null; then
    cat > "$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"echo","messages":[{"role":"user","content":"wrk request: say something"}],"temperature":1,"max_tokens":16}'
LUA
    echo "## wrk -t2 -c$IN_FLIGHT -d10s (reference: the server's ceiling)"
    wrk -t2 -c"$IN_FLIGHT" -d10s -s "$WORK/post.lua" "$URL/chat/completions" | grep -E "Requests/sec|Latency|requests in"
else
    echo "(wrk not installed: apt-get install wrk for the reference figure)"
fi
echo "## mimic teacher-bench --requests $REQUESTS --in-flight $IN_FLIGHT"
"$MIMIC" teacher-bench --base-url "$URL" --requests "$REQUESTS" --in-flight "$IN_FLIGHT"
