#!/usr/bin/env bash
cd /work/main
date -u +"start %T"
for t in lattestream sockudo bare soketi; do TARGET=$t bench/run.sh fanout-1k fanout-5k fanout-max; done
date -u +"A done %T"
rm -f bench/results/repeats/*.json
for i in 1 2 3; do for t in lattestream sockudo; do
  TARGET=$t bench/run.sh fanout-1k fanout-5k
  for n in fanout-1k fanout-5k; do cp bench/results/$t/$n.json bench/results/repeats/$t-$n-$i.json; done
done; done
date -u +"repeats done %T"
TARGET=lattestream bench/run.sh idle channels presence-churn trigger scale-1k scale-2k scale-5k scale-10k idlech-0 idlech-1k idlech-10k
TARGET=bare bench/run.sh idle scale-1k scale-2k scale-5k scale-10k
TARGET=soketi bench/run.sh idle channels presence-churn trigger
TARGET=sockudo bench/run.sh idle channels presence-churn trigger
DIALECT=lattestream TARGET=lattestream bench/run.sh
date -u +"all done %T"
