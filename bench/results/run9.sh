#!/usr/bin/env bash
# Run 9: every figure of docs/performance.md on this session's machine, with sockudo 2.9.2 (the peer
# version the issue's table lists beside 5.2.0) measured too. For both placements (floating over both
# cores, then PIN=1): every server's fan-out scenarios (round 0), then three alternating rounds of
# fanout-1k/5k for LatteStream and the peers; each round's JSON is kept under
# bench/results/repeats[-pinned]/. Then the other scenarios, floating.
cd "$(dirname "$0")/../.."
PEERS=(sockudo-2.9.2 sockudo soketi)
keep() { # keep PIN ROUND TARGET...
  local pin=$1 round=$2; shift 2
  local dir=bench/results/repeats${pin:+-pinned}
  mkdir -p "$dir"
  for t in "$@"; do for n in fanout-1k fanout-5k; do
    cp "bench/results/$t${pin:+-pinned}/$n.json" "$dir/$t-$n-$round.json"
  done; done
}
date -u +"start %T"
for pin in "" 1; do
  rm -rf "bench/results/repeats${pin:+-pinned}"
  for t in lattestream "${PEERS[@]}" bare; do PIN=$pin TARGET=$t bench/run.sh fanout-1k fanout-5k fanout-max; done
  keep "$pin" 0 lattestream "${PEERS[@]}" bare
  for i in 1 2 3; do for t in lattestream "${PEERS[@]}"; do
    PIN=$pin TARGET=$t bench/run.sh fanout-1k fanout-5k
    keep "$pin" "$i" "$t"
  done; done
  date -u +"fan-out${pin:+ pinned} done %T"
done
TARGET=lattestream bench/run.sh idle channels presence-churn trigger scale-1k scale-2k scale-5k scale-10k idlech-0 idlech-1k idlech-10k
TARGET=bare bench/run.sh idle scale-1k scale-2k scale-5k scale-10k
for t in "${PEERS[@]}"; do TARGET=$t bench/run.sh idle channels presence-churn trigger; done
DIALECT=lattestream TARGET=lattestream bench/run.sh
date -u +"all done %T"
# Then four more alternating rounds of fanout-1k and fanout-5k, floating (rounds 4-7).
for i in 4 5 6 7; do for t in lattestream "${PEERS[@]}"; do
  TARGET=$t bench/run.sh fanout-1k fanout-5k
  keep "" "$i" "$t"
done; done
date -u +"rounds 4-7 done %T"
