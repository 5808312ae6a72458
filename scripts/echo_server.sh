# Sourced by the client benchmarks: starts `mimic serve --echo` ($MIMIC) on a free loopback port in a temporary
# folder $WORK, stops it and removes $WORK on exit, and sets URL to its /v1 base.
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
WORK="$(mktemp -d)"
"$MIMIC" serve --echo --port "$PORT" > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q "echo at" "$WORK/serve.log" && break; sleep 0.1; done
URL="http://127.0.0.1:$PORT/v1"
