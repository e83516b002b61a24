#!/usr/bin/env bash
# Run 10: the latency target on a new VM. Eight floating rounds of fanout-1k and fanout-5k, each
# round alternating LatteStream, the bare program and the three peers back to back; round 1 adds
# fanout-max and idle for LatteStream, the bare program and sockudo 2.9.2. Results go under
# bench/results/run10/ (run 9's stay where they are); each round's JSON is copied to
# bench/results/run10/repeats/TARGET-SCENARIO-ROUND.json.
# Peers: bench/install-peers.sh.
cd "$(dirname "$0")/../.."
export RESULTS=bench/results/run10
SERVERS=(lattestream bare sockudo-2.9.2 sockudo soketi)
keep() { # keep ROUND TARGET
  mkdir -p "$RESULTS/repeats"
  for n in fanout-1k fanout-5k; do cp "$RESULTS/$2/$n.json" "$RESULTS/repeats/$2-$n-$1.json"; done
}
rm -rf "$RESULTS"
date -u +"start %T"
for t in lattestream bare sockudo-2.9.2; do TARGET=$t bench/run.sh idle fanout-max; done
for i in 1 2 3 4 5 6 7 8; do
  for t in "${SERVERS[@]}"; do TARGET=$t bench/run.sh fanout-1k fanout-5k; keep "$i" "$t"; done
  date -u +"round $i done %T"
done
