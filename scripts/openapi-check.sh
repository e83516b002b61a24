#!/usr/bin/env bash
# Keeps docs/openapi.yaml true: starts the debug server on a free port with a known app and rate limits
# off, runs schemathesis (pinned in tests/compat/requirements-schemathesis.txt, installed in .venv by
# scripts/test.sh) against it with a bounded number of examples per operation, then stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${LATTESTREAM_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/lattestream}"
SECRET=lsk_openapi_check_secret
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATA=$(mktemp -d)

LATTESTREAM_APP_ID=1 LATTESTREAM_APP_KEY=lspk_openapi_check LATTESTREAM_APP_SECRET=$SECRET \
LATTESTREAM_APP_CLIENT_EVENTS=true LATTESTREAM_APP_RATE_LIMIT=false LATTESTREAM_LOG=warn \
  "$BIN" --addr "127.0.0.1:$PORT" --data-dir "$DATA" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT

python3 - "$PORT" <<'PY'
import sys, time, urllib.request
for _ in range(200):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.05)
sys.exit("the server did not start")
PY

# One worker: with several threads, CPython 3.11's `ast` (used by hypothesis to describe filters) can
# fail with "AST constructor recursion depth mismatch", an error of the tool, not of the server.
.venv/bin/schemathesis run docs/openapi.yaml \
  --url "http://127.0.0.1:$PORT" \
  --header "Authorization: Bearer $SECRET" \
  --phases examples,coverage,fuzzing \
  --max-examples 30 \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --workers 1 \
  --seed 1
