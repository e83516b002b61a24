#!/usr/bin/env bash
# Installs the peers `PEERS=1 bench/run.sh` measures LatteStream against, outside the repository
# (nothing here is committed): soketi 1.6.1 from npm, sockudo 2.9.2 and 5.2.0 from crates.io.
# A peer already installed is skipped, so the script can be re-run after an interrupted build.
#
# Usage: bench/install-peers.sh [soketi] [sockudo-2.9.2] [sockudo-5.2.0]   (default: all three)
#   PEERS_DIR=/work/peers   where they go (the same variable bench/run.sh reads)
#
# The sockudo builds take about 15 minutes each on two cores; they run under `nice` so the
# machine stays usable.
set -euo pipefail

PEERS_DIR=${PEERS_DIR:-/work/peers}
WANTED=(soketi sockudo-2.9.2 sockudo-5.2.0)
if (($#)); then WANTED=("$@"); fi
export CARGO_TARGET_DIR=$PEERS_DIR/sockudo-target

log() { printf '\n==> %s\n' "$*" >&2; }

# soketi's uWebSockets.js dependency is a git URL; a registry build of the same library replaces it.
install_soketi() {
  local dir=$PEERS_DIR/soketi
  if [[ -f $dir/node_modules/@soketi/soketi/bin/server.js ]]; then log "soketi: installed"; return; fi
  log "soketi 1.6.1 (npm)"
  mkdir -p "$dir"
  cat >"$dir/package.json" <<'JSON'
{ "private": true, "dependencies": { "@soketi/soketi": "1.6.1" },
  "overrides": { "uWebSockets.js": "npm:@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0" } }
JSON
  (cd "$dir" && nice -n 19 npm install --no-audit --no-fund)
}

# sockudo's build compiles protobuf definitions, so it needs Debian's protoc.
need_protoc() {
  command -v protoc >/dev/null && return
  log "protobuf-compiler (apt)"
  apt-get install -y protobuf-compiler || { apt-get update && apt-get install -y protobuf-compiler; }
}

# Where run.sh looks: 5.2.0 (TARGET=sockudo) under $PEERS_DIR/bin, others under $PEERS_DIR/sockudo-X.Y.Z.
sockudo_root() { if [[ $1 == 5.2.0 ]]; then echo "$PEERS_DIR"; else echo "$PEERS_DIR/sockudo-$1"; fi; }

install_sockudo() {
  local version=$1 root features=()
  root=$(sockudo_root "$version")
  if [[ -x $root/bin/sockudo ]] && "$root/bin/sockudo" --version 2>/dev/null | grep -q "$version"; then
    log "sockudo $version: installed"; return
  fi
  # 5.2.0 without OpenTelemetry and the cloud backends, to shorten the build (the local adapter
  # and memory app manager the benchmark uses are all it needs); 2.9.2 with its defaults.
  [[ $version == 5.* ]] && features=(--no-default-features --features local,v2)
  need_protoc
  log "sockudo $version (crates.io) into $root"
  nice -n 19 cargo install sockudo --version "$version" --locked --root "$root" "${features[@]}"
}

for peer in "${WANTED[@]}"; do
  case $peer in
    soketi) install_soketi ;;
    sockudo-*) install_sockudo "${peer#sockudo-}" ;;
    *) echo "unknown peer $peer (soketi, sockudo-2.9.2, sockudo-5.2.0)" >&2; exit 2 ;;
  esac
done
log "peers in $PEERS_DIR; run: PEERS=1 bench/run.sh"
