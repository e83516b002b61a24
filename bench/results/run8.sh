#!/usr/bin/env bash
# Run 8: the figures of docs/performance.md after publishers write straight to idle subscribers.
# For both placements (floating over both cores, then PIN=1): every server's fan-out scenarios (round 0),
# then three alternating rounds of fanout-1k/5k for LatteStream and the peers; each round's JSON is kept
# under bench/results/repeats[-pinned]/. Then the other scenarios, floating.
cd "$(dirname "$0")/../.."
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
  for t in lattestream sockudo bare soketi; do PIN=$pin TARGET=$t bench/run.sh fanout-1k fanout-5k fanout-max; done
  keep "$pin" 0 lattestream sockudo bare soketi
  for i in 1 2 3; do for t in lattestream sockudo soketi; do
    PIN=$pin TARGET=$t bench/run.sh fanout-1k fanout-5k
    keep "$pin" "$i" "$t"
  done; done
  date -u +"fan-out${pin:+ pinned} done %T"
done
TARGET=lattestream bench/run.sh idle channels presence-churn trigger scale-1k scale-2k scale-5k scale-10k idlech-0 idlech-1k idlech-10k
TARGET=bare bench/run.sh idle scale-1k scale-2k scale-5k scale-10k
TARGET=soketi bench/run.sh idle channels presence-churn trigger
TARGET=sockudo bench/run.sh idle channels presence-churn trigger
DIALECT=lattestream TARGET=lattestream bench/run.sh
date -u +"all done %T"
# Then, at the next commit (the hub's own messages wake tasks again; the fan-out path is unchanged),
# the scenarios that commit touches, again:
TARGET=lattestream bench/run.sh idle channels presence-churn trigger scale-1k scale-2k scale-5k scale-10k idlech-0 idlech-1k idlech-10k
DIALECT=lattestream TARGET=lattestream bench/run.sh
date -u +"re-run done %T"
# Last, at 1415529 (22:52 UTC): four more alternating rounds of fanout-1k, floating (rounds 4-7).
for i in 4 5 6 7; do for t in lattestream sockudo soketi; do
  TARGET=$t bench/run.sh fanout-1k
  cp "bench/results/$t/fanout-1k.json" "bench/results/repeats/$t-fanout-1k-$i.json"
done; done
date -u +"fanout-1k rounds 4-7 done %T"
