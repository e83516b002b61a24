#!/usr/bin/env bash
# Run 10, second part (after run10.sh): four rounds of fanout-1k and fanout-5k with PIN=1 (server on
# CPU 0, generator on CPU 1), LatteStream, the bare program and the three peers back to back; each
# round's JSON is copied to bench/results/run10/repeats-pinned/TARGET-SCENARIO-ROUND.json.
cd "$(dirname "$0")/../.."
export RESULTS=bench/results/run10 PIN=1
SERVERS=(lattestream bare sockudo-2.9.2 sockudo soketi)
mkdir -p "$RESULTS/repeats-pinned"
for i in 1 2 3 4; do
  for t in "${SERVERS[@]}"; do
    TARGET=$t bench/run.sh fanout-1k fanout-5k
    for n in fanout-1k fanout-5k; do cp "$RESULTS/$t-pinned/$n.json" "$RESULTS/repeats-pinned/$t-$n-$i.json"; done
  done
  date -u +"pinned round $i done %T"
done
