#!/usr/bin/env bash
# Chooses the server's allocator by measurement (issue 18; docs/performance.md, "Allocator"): builds
# the release server once per allocator feature, copies each binary aside, then, one server at a
# time and RUNS times over, measures
#   idle:       10,000 Pusher-protocol connections, each on a channel of its own (RSS per connection,
#               RSS after everyone left 2 s later, share of the growth given back);
#   fanout-max: 10,000 subscribers of one channel, one publisher as fast as accepted, 10 s
#               (deliveries/s).
# Results: bench/results/allocators/ALLOC-runN-SCENARIO.{json,txt}, summary.md and meta.txt.
#
# Usage: bench/allocators.sh                 (build, then measure system mimalloc jemalloc)
#   ALLOCS="system jemalloc"  which allocators   RUNS=2  rounds   BUILD=0  reuse /tmp/alloc-*/
#   PORT=6111  port of the servers it starts     CONNS=10000     connections of both scenarios
#   FIRST_RUN=3  number the rounds from 3 on (to add rounds to earlier ones)
#   LEFT_WAIT=2s  how long after everyone left the idle run reads the RSS again
#   SCENARIOS="idle-own fanout-max"  which of the two to run   TAG=""  suffix of the result names
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a ALLOCS <<<"${ALLOCS:-system mimalloc jemalloc}"
read -r -a SCENARIOS <<<"${SCENARIOS:-idle-own fanout-max}"
TAG=${TAG:-}
RUNS=${RUNS:-2} PORT=${PORT:-6111} CONNS=${CONNS:-10000} FIRST_RUN=${FIRST_RUN:-1} LEFT_WAIT=${LEFT_WAIT:-2s}
OUT=bench/results/allocators
BENCH=target/release/lattestream-bench
SERVER_PID="" DATA=""
mkdir -p "$OUT"

log() { printf '\n==> %s\n' "$*" >&2; }
bin_of() { echo "/tmp/alloc-$1/lattestream"; }

# One release binary per allocator (the feature set of `system` is none at all).
build() {
  cargo build --release -j 1 -p lattestream-bench
  for a in "${ALLOCS[@]}"; do
    local features=(--no-default-features)
    [[ "$a" != system ]] && features+=(--features "$a")
    log "building the server with ${features[*]}"
    cargo build --release -j 1 -p lattestream "${features[@]}"
    mkdir -p "/tmp/alloc-$a" && cp target/release/lattestream "$(bin_of "$a")"
  done
}

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
  [[ -n "$DATA" ]] && rm -rf "$DATA"
  DATA=""
}
trap stop_server EXIT

# A fresh server from binary $1 (so every RSS figure starts from an empty server), as bench/run.sh does.
start_server() {
  stop_server
  DATA=$(mktemp -d)
  LATTESTREAM_LOG=warn LATTESTREAM_APP_RATE_LIMIT=false LATTESTREAM_APP_ID=1 LATTESTREAM_APP_KEY=lspk_bench \
    LATTESTREAM_APP_SECRET=lsk_benchsecret LATTESTREAM_APP_CLIENT_EVENTS=true \
    "$1" --addr "127.0.0.1:$PORT" --data-dir "$DATA" >>"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server did not open port $PORT" >&2; exit 1
}

# bench ALLOC RUN NAME SCENARIO ARGS...: one scenario against a fresh server of that allocator.
bench() {
  local alloc=$1 run=$2 name=$3 scenario=$4; shift 4
  log "$alloc run $run: $name (loadavg $(cut -d' ' -f1-3 /proc/loadavg))"
  start_server "$(bin_of "$alloc")"
  BENCH_URL="ws://127.0.0.1:$PORT" BENCH_API=lattestream BENCH_DIALECT=pusher \
    "$BENCH" "$scenario" --name "$name" --label "$alloc run $run" --server-pid "$SERVER_PID" \
    --json "$OUT/$alloc-run$run-$name.json" "$@" 2>"$OUT/$alloc-run$run-$name.progress" |
    tee "$OUT/$alloc-run$run-$name.txt"
  stop_server
}

[[ "${BUILD:-1}" == 1 ]] && build
rm -f "$OUT/server.log"
{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml || echo ' (+ uncommitted server changes)')"
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr)"
  echo "loadavg at start: $(cat /proc/loadavg)"
} >>"$OUT/meta.txt"
for run in $(seq "$FIRST_RUN" $((FIRST_RUN + RUNS - 1))); do
  for a in "${ALLOCS[@]}"; do
    for s in "${SCENARIOS[@]}"; do
      case "$s" in
        idle-own) bench "$a" "$run" "idle-own$TAG" idle --connections "$CONNS" --channels "$CONNS" --duration 5s \
          --left-wait "$LEFT_WAIT" ;;
        fanout-max) bench "$a" "$run" "fanout-max$TAG" fanout --connections "$CONNS" --rate 0 --publishers 1 --duration 10s ;;
        *) echo "unknown scenario $s" >&2; exit 2 ;;
      esac
    done
  done
done
echo "loadavg at end: $(cat /proc/loadavg) ($(date -u +%FT%TZ))" >>"$OUT/meta.txt"
"$BENCH" summary "$OUT"/*.json >"$OUT/summary.md"
cat "$OUT/summary.md"
