#!/usr/bin/env bash
# Runs every benchmark scenario at sizes that fit a 2-core, 24 GB machine and
# writes JSON, a Markdown summary and an SVG chart under bench/results/TARGET/.
#
# Usage: bench/run.sh [SCENARIO...]        (default: all scenarios)
#   scenarios: idle fanout-1k fanout-5k fanout-max channels presence-churn trigger
#   memory (not in the default set): idle-own (10k connections, each on a channel of its own),
#                                    fanout-1k-1p (fanout-1k with one publisher instead of four)
#   linearity (not in the default set): scale-1k scale-2k scale-5k scale-10k
#                                       idlech-0 idlech-1k idlech-10k
#
# Environment:
#   TARGET=lattestream  start target/release/lattestream (default)
#   TARGET=bare         start the bare ceiling server (idle + fanout only:
#                       it writes every event to every socket)
#   TARGET=soketi|sockudo  start a peer installed by bench/install-peers.sh under $PEERS_DIR (default
#                       /work/peers; see docs/performance.md)
#   TARGET=sockudo-X.Y.Z   sockudo installed with --root $PEERS_DIR/sockudo-X.Y.Z
#   TARGET=external     use a server that is already running, described by
#                       BENCH_URL BENCH_APP_ID BENCH_KEY BENCH_SECRET BENCH_API
#                       BENCH_DIALECT BENCH_SERVER_PID (optional) BENCH_LABEL
#   PEERS=1             after TARGET, also run soketi and every sockudo installed
#   DIALECT=lattestream clients speak the LatteStream dialect instead of Pusher
#                       protocol 7 (results go to bench/results/TARGET-lattestream/)
#   PIN=1               server on CPU 0, generator on CPU 1 (taskset), so neither
#                       preempts the other in the middle of a fan-out
#   QUICK=1             tenth-size runs of 3 s (a check that everything works)
#   PORT=6101           port for servers this script starts
#   RESULTS=DIR         write under DIR instead of bench/results (trial runs)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-6101}
RESULTS=${RESULTS:-bench/results}
PEERS_DIR=${PEERS_DIR:-/work/peers}
# Where bench/install-peers.sh puts a peer's entry point (sockudo 5.2.0 is TARGET=sockudo).
peer_entry() {
  case "$1" in
    soketi) echo "$PEERS_DIR/soketi/node_modules/@soketi/soketi/bin/server.js" ;;
    sockudo) echo "$PEERS_DIR/bin/sockudo" ;;
    sockudo-*) echo "$PEERS_DIR/$1/bin/sockudo" ;;
  esac
}
ALL=(idle fanout-1k fanout-5k fanout-max channels presence-churn trigger)
SCENARIOS=("${@:-${ALL[@]}}")
SERVER_PID=""
# PIN=1 keeps server and generator on a core each (see docs/performance.md, "Method").
ON_SERVER_CPU=() ON_BENCH_CPU=()
if [[ -n "${PIN:-}" ]]; then ON_SERVER_CPU=(taskset -c 0) ON_BENCH_CPU=(taskset -c 1); fi

log() { printf '\n==> %s\n' "$*" >&2; }

# "10k" -> 10000, "500" -> 500.
kilo() { if [[ "$1" == *k ]]; then echo $(( ${1%k} * 1000 )); else echo "$1"; fi; }

# Size of a scenario knob, divided by 10 in QUICK mode.
n() { if [[ -n "${QUICK:-}" ]]; then echo $(( ($1 + 9) / 10 )); else echo "$1"; fi; }
DURATION=$([[ -n "${QUICK:-}" ]] && echo 3s || echo 10s)

build() {
  log "building release binaries"
  nice -n 10 cargo build --release -p lattestream-bench
  if [[ "$1" == lattestream ]]; then
    nice -n 10 cargo build --release -p lattestream || [[ -x target/release/lattestream ]] ||
      { echo "no lattestream binary" >&2; exit 1; }
  fi
}

wait_port() {
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server did not open port $PORT" >&2; exit 1
}

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
}
trap stop_server EXIT

# Starts a fresh server for $1 (so RSS figures start from an empty server).
start_server() {
  stop_server
  local logf="$OUT/server.log"
  case "$1" in
    lattestream)
      rm -rf "$OUT/data"
      LATTESTREAM_LOG=warn LATTESTREAM_APP_RATE_LIMIT=false LATTESTREAM_APP_ID=1 LATTESTREAM_APP_KEY=lspk_bench \
        LATTESTREAM_APP_SECRET=lsk_benchsecret LATTESTREAM_APP_CLIENT_EVENTS=true \
        "${ON_SERVER_CPU[@]}" target/release/lattestream --addr "127.0.0.1:$PORT" --data-dir "$OUT/data" >>"$logf" 2>&1 &
      SERVER_PID=$! ;;
    bare)
      "${ON_SERVER_CPU[@]}" target/release/lattestream-bare --addr "127.0.0.1:$PORT" >>"$logf" 2>&1 &
      SERVER_PID=$! ;;
    soketi)
      SOKETI_PORT=$PORT SOKETI_DEFAULT_APP_ID=1 SOKETI_DEFAULT_APP_KEY=lspk_bench \
        SOKETI_DEFAULT_APP_SECRET=lsk_benchsecret SOKETI_DEFAULT_APP_MAX_CONNS=-1 \
        SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES=true SOKETI_RATE_LIMITER_DRIVER=local \
        SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC=-1 SOKETI_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC=-1 \
        SOKETI_DEFAULT_APP_MAX_READ_REQ_PER_SEC=-1 SOKETI_METRICS_ENABLED=false \
        "${ON_SERVER_CPU[@]}" node "$(peer_entry soketi)" start >>"$logf" 2>&1 &
      SERVER_PID=$! ;;
    sockudo|sockudo-*)
      local bin
      bin=$(peer_entry "$1")
      # Its default app allows 100 connections and 100 events/s: lift those.
      PORT=$PORT HOST=127.0.0.1 SOCKUDO_DEFAULT_APP_ID=1 SOCKUDO_DEFAULT_APP_KEY=lspk_bench \
        SOCKUDO_DEFAULT_APP_SECRET=lsk_benchsecret SOCKUDO_DEFAULT_APP_ENABLED=true \
        SOCKUDO_DEFAULT_APP_MAX_CONNECTIONS=1000000 SOCKUDO_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SECOND=1000000 \
        SOCKUDO_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SECOND=1000000 SOCKUDO_DEFAULT_APP_MAX_READ_REQUESTS_PER_SECOND=1000000 \
        SOCKUDO_DEFAULT_APP_MAX_PRESENCE_MEMBERS_PER_CHANNEL=100000 SOCKUDO_DEFAULT_APP_ENABLE_CLIENT_MESSAGES=true \
        RATE_LIMITER_ENABLED=false METRICS_ENABLED=false \
        "${ON_SERVER_CPU[@]}" "$bin" >>"$logf" 2>&1 &
      SERVER_PID=$! ;;
    external) return 0 ;;
  esac
  wait_port
}

# Runs one scenario; arguments after the name go to lattestream-bench.
bench() {
  local name=$1 scenario=$2; shift 2
  log "$TARGET_NAME: $name"
  start_server "$TARGET_NAME"
  local label=$TARGET_NAME pid_args=()
  if [[ "$TARGET_NAME" == external && -n "${BENCH_LABEL:-}" ]]; then label=$BENCH_LABEL; fi
  if [[ -n "$SERVER_PID" ]]; then pid_args=(--server-pid "$SERVER_PID"); fi
  if [[ -n "${BENCH_SERVER_PID:-}" && "$TARGET_NAME" == external ]]; then pid_args=(--server-pid "$BENCH_SERVER_PID"); fi
  "${ON_BENCH_CPU[@]}" target/release/lattestream-bench "$scenario" --name "$name" --label "$label${DIALECT:+ ($DIALECT ws)}${PIN:+ pinned}" --json "$OUT/$name.json" \
    --duration "$DURATION" "${pid_args[@]}" "$@" 2>"$OUT/$name.progress" | tee "$OUT/$name.txt" || true
}

run_target() {
  TARGET_NAME=$1
  OUT=$RESULTS/$TARGET_NAME${DIALECT:+-$DIALECT}${PIN:+-pinned}
  mkdir -p "$OUT"
  rm -f "$OUT/server.log"
  if [[ "$TARGET_NAME" != external ]]; then
    export BENCH_URL="ws://127.0.0.1:$PORT"
    case "$TARGET_NAME" in
      lattestream|bare) export BENCH_API=lattestream ;;
      *) export BENCH_API=pusher ;;
    esac
    export BENCH_DIALECT=${DIALECT:-pusher} BENCH_APP_ID=1 BENCH_KEY=lspk_bench BENCH_SECRET=lsk_benchsecret
  fi
  {
    echo "date: $(date -u +%FT%TZ)"
    echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml || echo ' (+ uncommitted server changes)')"
    echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, open files $(ulimit -n), $(uname -sr)"
    echo "loadavg at start: $(cat /proc/loadavg)"
  } > "$OUT/meta.txt"
  local chans=100
  [[ "$TARGET_NAME" == bare ]] && chans=1
  for s in "${SCENARIOS[@]}"; do
    if [[ "$TARGET_NAME" == bare && ! "$s" =~ ^(idle|fanout|scale) ]]; then continue; fi
    case "$s" in
      idle) bench idle idle --connections "$(n 15000)" --channels "$chans" ;;
      fanout-1k) bench fanout-1k fanout --connections "$(n 1000)" --rate 100 ;;
      fanout-1k-1p) bench fanout-1k-1p fanout --connections "$(n 1000)" --rate 100 --publishers 1 ;;
      idle-own) bench idle-own idle --connections "$(n 10000)" --channels "$(n 10000)" ;;
      fanout-5k) bench fanout-5k fanout --connections "$(n 5000)" --rate 20 ;;
      fanout-max) bench fanout-max fanout --connections "$(n 10000)" --rate 0 --publishers 1 ;;
      channels) bench channels channels --connections "$(n 5000)" --channels "$(n 1000)" --rate 500 ;;
      presence-churn) bench presence-churn presence-churn --connections "$(n 200)" --channels 20 ;;
      trigger) bench trigger trigger --connections 10 --publishers 16 --rate 0 ;;
      # Linearity: the same 10 events/s to 1k…10k subscribers (cost should grow with subscribers)…
      scale-*) bench "$s" fanout --connections "$(n "$(kilo "${s#scale-}")")" --rate 10 ;;
      # …and 1k subscribers at 50 events/s beside 0…10k idle channels (cost should stay flat).
      idlech-*) bench "$s" fanout --connections "$(n 1000)" --rate 50 --idle-channels "$(n "$(kilo "${s#idlech-}")")" ;;
      *) echo "unknown scenario $s" >&2; exit 2 ;;
    esac
  done
  stop_server
  local results=("$OUT"/*.json)
  target/release/lattestream-bench summary "${results[@]}" > "$OUT/summary.md"
  target/release/lattestream-bench chart --title "lattestream-bench: $TARGET_NAME" --out "$OUT/chart.svg" "${results[@]}"
  log "results in $OUT (summary.md, chart.svg)"
  cat "$OUT/summary.md"
}

# True when peer $1 is installed; otherwise says how to install it (a run never skips silently).
installed() {
  [[ -e "$(peer_entry "$1")" ]] && return 0
  local name=$1
  [[ "$name" == sockudo ]] && name=sockudo-5.2.0
  echo "$1 is not installed under $PEERS_DIR: bench/install-peers.sh $name" >&2
  return 1
}

TARGET=${TARGET:-lattestream}
case "$TARGET" in
  soketi|sockudo|sockudo-*) installed "$TARGET" || exit 1 ;;
esac
build "$TARGET"
run_target "$TARGET"
if [[ -n "${PEERS:-}" ]]; then
  installed soketi && run_target soketi
  installed sockudo && run_target sockudo
  installed sockudo-2.9.2 || true
  for dir in "$PEERS_DIR"/sockudo-*/; do
    [[ -x "$dir/bin/sockudo" ]] && run_target "$(basename "$dir")"
  done
fi
# Side by side: the fan-out runs of every server measured so far (pinned runs on a chart of their own).
shopt -s nullglob
floating=() pinned=()
for f in "$RESULTS"/*/fanout-*.json; do
  if [[ "$f" == *-pinned/* ]]; then pinned+=("$f"); else floating+=("$f"); fi
done
target/release/lattestream-bench chart --title "fanout: all servers" --out "$RESULTS/fanout-compare.svg" \
  "${floating[@]}"
if ((${#pinned[@]})); then
  target/release/lattestream-bench chart --title "fanout: all servers, PIN=1" \
    --out "$RESULTS/fanout-compare-pinned.svg" "${pinned[@]}"
fi
exit 0
