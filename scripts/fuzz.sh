#!/usr/bin/env bash
# Fuzzes the parsers that face the network with cargo fuzz (libFuzzer): the RFC 6455 frame parser,
# both dialects' decoders and the REST event bodies (targets in fuzz/fuzz_targets, seeds in
# fuzz/seeds). Installs cargo-fuzz, pinned, when it is missing. docs/testing.md says more.
#
#   scripts/fuzz.sh --quick          every target for QUICK_SECONDS (default 12) from the seeds, in a
#                                    scratch corpus: the step scripts/test.sh runs
#   scripts/fuzz.sh [TARGET...]      every (or each named) target for FUZZ_SECONDS (default 600),
#                                    growing fuzz/corpus/TARGET (git ignores it)
#
# Runs on the stable toolchain: `--sanitizer none` asks rustc for no unstable flag (the address
# sanitizer would need a nightly compiler, and the targets fuzz safe Rust). A crash stops the run
# with libFuzzer's report; the input lands in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
if [ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

quick=0
if [ "${1:-}" = "--quick" ]; then
  quick=1
  shift
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi

cargo fuzz build --fuzz-dir fuzz --sanitizer none
logs=$(mktemp -d)
for target in "${targets[@]}"; do
  if [ "$quick" = 1 ]; then
    corpus="$logs/corpus-$target"
    seconds=${QUICK_SECONDS:-12}
  else
    corpus=fuzz/corpus/$target
    seconds=${FUZZ_SECONDS:-600}
  fi
  mkdir -p "$corpus"
  # New inputs go to the first corpus directory; the committed seeds are only read.
  if cargo fuzz run --fuzz-dir fuzz --sanitizer none "$target" "$corpus" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -print_final_stats=1 >"$logs/$target.log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target.log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$target.log")
    cov=$(grep -oE 'cov: [0-9]+' "$logs/$target.log" | tail -1)
    echo "fuzz $target: $runs executions in ${seconds}s ($rate/s, $cov), no crash"
  else
    tail -n 40 "$logs/$target.log" >&2
    echo "fuzz $target: FAILED; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
rm -rf "$logs"
