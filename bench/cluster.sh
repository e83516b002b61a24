#!/usr/bin/env bash
# One node against a cluster on Redis, same total subscribers, events published on the first node.
#
#   bench/cluster.sh                      # 1 node alone, 1 node on Redis, 3 nodes on Redis
#   NODES="1 3" CONNECTIONS=3000 RATE=0 DURATION=10s RESULTS=/tmp/cl bench/cluster.sh
#
# For each setup it prints the generator's table and one line of figures: deliveries per second, server
# CPU per delivery (all nodes summed), and what Redis did per event published (commands, bytes in and
# out, Redis CPU), read from Redis's own INFO once publishing has begun and after the run, over the
# events the first node published meanwhile (its /metrics). A private redis-server is
# started on a free port (no persistence) and every process is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

NODES=${NODES:-"1 3"}
CONNECTIONS=${CONNECTIONS:-3000}
RATE=${RATE:-0}
DURATION=${DURATION:-10s}
PUBLISHERS=${PUBLISHERS:-1}
RESULTS=${RESULTS:-bench/results/cluster}
mkdir -p "$RESULTS"

cargo build --release -q -p lattestream -p lattestream-bench

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --save '' --appendonly no --loglevel warning >"$RESULTS/redis.log" 2>&1 &
PIDS+=($!)
until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done

info() { redis-cli -p "$REDIS_PORT" info "$1" | tr -d '\r'; }
stat() { info "$1" | awk -F: -v k="$2" '$1==k {print $2}'; }
commands() { info commandstats | awk -F'[:=,]' '/^cmdstat_/ {s+=$3} END {print s+0}'; }
published() { curl -s "$1/metrics" | awk '$1=="lattestream_events_published_total" {print $2+0}'; }
redis_cpu() { info cpu | awk -F: '$1=="used_cpu_sys"||$1=="used_cpu_user" {s+=$2} END {print s}'; }

# Starts node $1 of a setup; $2 = redis URL or empty. Prints "PID PORT".
start_node() {
  local port; port=$(free_port)
  local data="$RESULTS/data-$1"; rm -rf "$data"
  env LATTESTREAM_LOG=warn LATTESTREAM_APP_RATE_LIMIT=false LATTESTREAM_APP_ID=1 LATTESTREAM_APP_KEY=lspk_bench \
    LATTESTREAM_APP_SECRET=lsk_benchsecret ${2:+LATTESTREAM_REDIS_URL=$2} \
    target/release/lattestream --addr "127.0.0.1:$port" --data-dir "$data" >>"$RESULTS/node-$1.log" 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/ready" >/dev/null; do sleep 0.1; done
  echo "$pid $port"
}

run_setup() {
  local name=$1 count=$2 redis=$3
  local pids=() urls=()
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  for i in $(seq 1 "$count"); do
    read -r pid port < <(start_node "$name-$i" "$redis")
    PIDS+=("$pid"); pids+=("$pid"); urls+=("ws://127.0.0.1:$port")
  done
  local list; list=$(IFS=,; echo "${urls[*]}")
  local others; others=$(IFS=,; echo "${pids[*]:1}")
  local progress="$RESULTS/$name.progress" first="${urls[0]/ws:/http:}"
  BENCH_URL=$list BENCH_KEY=lspk_bench BENCH_SECRET=lsk_benchsecret \
    target/release/lattestream-bench fanout --connections "$CONNECTIONS" --rate "$RATE" \
      --publishers "$PUBLISHERS" --duration "$DURATION" --server-pid "${pids[0]}" \
      ${others:+--other-server-pids "$others"} --linger 3s --name "$name" --json "$RESULTS/$name.json" \
      2>"$progress" >"$RESULTS/$name.txt" &
  local bench=$!
  # Redis is read once publishing has begun, so the subscriptions' own Redis work is left out.
  until grep -q "sent [1-9]" "$progress" 2>/dev/null || ! kill -0 "$bench" 2>/dev/null; do sleep 0.05; done
  local events0 before_cmd before_in before_out before_cpu
  events0=$(published "$first")
  info commandstats >"$RESULTS/$name.commandstats-before"
  before_cmd=$(commands); before_in=$(stat stats total_net_input_bytes)
  before_out=$(stat stats total_net_output_bytes); before_cpu=$(redis_cpu)
  # ...and again once publishing has stopped, before the generator's clients leave (their leaves are
  # Redis work too, but not the events').
  local last=-1 now
  while now=$(published "$first"); [[ "$now" != "$last" ]] && kill -0 "$bench" 2>/dev/null; do
    last=$now; sleep 0.5
  done
  info commandstats >"$RESULTS/$name.commandstats-after"
  local events=$(( now - events0 )) after_cmd after_in after_out after_cpu
  after_cmd=$(commands); after_in=$(stat stats total_net_input_bytes)
  after_out=$(stat stats total_net_output_bytes); after_cpu=$(redis_cpu)
  wait "$bench" || true
  cat "$RESULTS/$name.txt"
  python3 - "$RESULTS/$name.json" "$name" "$count" "$events" \
    "$(( after_cmd - before_cmd ))" "$(( after_in - before_in ))" \
    "$(( after_out - before_out ))" "$before_cpu" "$after_cpu" <<'EOF' | tee -a "$RESULTS/summary.txt"
import json, sys
r = json.load(open(sys.argv[1]))
name, nodes, events, cmds, bin_, bout, cpu0, cpu1 = sys.argv[2], int(sys.argv[3]), *map(float, sys.argv[4:])
sent, got = max(events, 1), max(r["received"], 1)
cpu = r.get("server_cpu_secs") or 0
print(f"{name}: nodes={nodes} subscribers={r['connections']} events={r['sent']} (Redis read over {events:.0f}) deliveries={r['received']} "
      f"deliveries/s={r['deliveries_per_sec']:.0f} server_cpu_us/delivery={cpu * 1e6 / got:.2f} "
      f"p50_ms={r['p50_us'] / 1000:.1f} p99_ms={r['p99_us'] / 1000:.1f} "
      f"redis_commands/event={cmds / sent:.2f} redis_bytes_in/event={bin_ / sent:.0f} "
      f"redis_bytes_out/event={bout / sent:.0f} redis_cpu_us/event={(cpu1 - cpu0) * 1e6 / sent:.1f}")
EOF
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
}

run_setup alone 1 ""
for n in $NODES; do
  run_setup "redis-$n" "$n" "redis://127.0.0.1:$REDIS_PORT/"
done
echo "summary: $RESULTS/summary.txt"
