#!/usr/bin/env bash
# Starts a fresh server, runs one measurement against it, stops it.
# Usage: bench/ws-idle/run-one.sh SERVER TOOL OUT_PREFIX [tool args...]
#   SERVER: lattestream | lattestream-5s (activity timeout 5 s) | soketi | sockudo
#   TOOL:   ws (node ws-idle.mjs) | bench (lattestream-bench idle)
# Binaries: LS_BIN (default /tmp/ls-bin/lattestream), BENCH_BIN (default /tmp/ls-bin/lattestream-bench),
# peers under PEERS_DIR (default /work/peers). Port: PORT (default 6111).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=$1 tool=$2 out=$3; shift 3
PORT=${PORT:-6111}
LS_BIN=${LS_BIN:-/tmp/ls-bin/lattestream}
BENCH_BIN=${BENCH_BIN:-/tmp/ls-bin/lattestream-bench}
PEERS_DIR=${PEERS_DIR:-/work/peers}
ulimit -n 20000
D=$(mktemp -d)
case "$server" in
  lattestream|lattestream-5s)
    extra=()
    [[ $server == lattestream-5s ]] && extra=(env LATTESTREAM_WEBSOCKET__ACTIVITY_TIMEOUT=5s)
    "${extra[@]}" env LATTESTREAM_LOG=warn LATTESTREAM_APP_RATE_LIMIT=false LATTESTREAM_APP_ID=1 LATTESTREAM_APP_KEY=lspk_bench \
      LATTESTREAM_APP_SECRET=lsk_benchsecret LATTESTREAM_APP_CLIENT_EVENTS=true \
      "$LS_BIN" --addr "127.0.0.1:$PORT" --data-dir "$D" >"$D/server.log" 2>&1 &
    pid=$! ;;
  soketi)
    SOKETI_PORT=$PORT SOKETI_DEFAULT_APP_ID=1 SOKETI_DEFAULT_APP_KEY=lspk_bench \
      SOKETI_DEFAULT_APP_SECRET=lsk_benchsecret SOKETI_DEFAULT_APP_MAX_CONNS=-1 \
      SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES=true SOKETI_RATE_LIMITER_DRIVER=local \
      SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC=-1 SOKETI_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC=-1 \
      SOKETI_DEFAULT_APP_MAX_READ_REQ_PER_SEC=-1 SOKETI_METRICS_ENABLED=false \
      node "$PEERS_DIR/soketi/node_modules/@soketi/soketi/bin/server.js" start >"$D/server.log" 2>&1 &
    pid=$! ;;
  sockudo)
    PORT=$PORT HOST=127.0.0.1 SOCKUDO_DEFAULT_APP_ID=1 SOCKUDO_DEFAULT_APP_KEY=lspk_bench \
      SOCKUDO_DEFAULT_APP_SECRET=lsk_benchsecret SOCKUDO_DEFAULT_APP_ENABLED=true \
      SOCKUDO_DEFAULT_APP_MAX_CONNECTIONS=1000000 SOCKUDO_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SECOND=1000000 \
      SOCKUDO_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SECOND=1000000 SOCKUDO_DEFAULT_APP_MAX_READ_REQUESTS_PER_SECOND=1000000 \
      SOCKUDO_DEFAULT_APP_MAX_PRESENCE_MEMBERS_PER_CHANNEL=100000 SOCKUDO_DEFAULT_APP_ENABLE_CLIENT_MESSAGES=true \
      RATE_LIMITER_ENABLED=false METRICS_ENABLED=false \
      "$PEERS_DIR/bin/sockudo" >"$D/server.log" 2>&1 &
    pid=$! ;;
  *) echo "unknown server $server" >&2; exit 2 ;;
esac
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$D"' EXIT
for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
sleep 1 # let the server finish starting before the "before" reading
case "$tool" in
  ws) node "$here/ws-idle.mjs" --url "ws://127.0.0.1:$PORT" --server-pid "$pid" --label "$server" --json "$out.json" "$@" | tee "$out.txt" ;;
  bench) BENCH_URL="ws://127.0.0.1:$PORT" BENCH_API=$([[ $server == lattestream* ]] && echo lattestream || echo pusher) BENCH_DIALECT=pusher \
      "$BENCH_BIN" idle --server-pid "$pid" --label "$server" --json "$out.json" "$@" 2>"$out.progress" | tee "$out.txt" ;;
  *) echo "unknown tool $tool" >&2; exit 2 ;;
esac
