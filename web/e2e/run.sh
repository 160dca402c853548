#!/usr/bin/env bash
# Browser tests: builds the server, then runs web/e2e/*.test.mjs with node's
# test runner; each test file starts the real binary on 127.0.0.1:0 with a
# temporary data folder and drives Debian's chromium through playwright-core.
# Outside CI they skip (and say so) when chromium, node or web/node_modules
# is missing; with CI=true a missing piece is a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
missing=""
[ -x "$CHROMIUM" ] || missing="$missing chromium($CHROMIUM)"
command -v node >/dev/null 2>&1 || missing="$missing node"
[ -d web/node_modules/playwright-core ] || missing="$missing web/node_modules (run: cd web && npm ci)"
if [ -n "$missing" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "browser tests: FAIL: missing$missing" >&2
    exit 1
  fi
  echo "NOTE: browser tests SKIPPED: missing$missing (apt-get install chromium; cd web && npm ci)"
  exit 0
fi
mkdir -p var/e2e var/screenshots
go build -o var/e2e/lifeline ./cmd/lifeline
export LIFELINE_BIN="$PWD/var/e2e/lifeline" CHROMIUM SCREENSHOTS="$PWD/var/screenshots"
node --test --test-concurrency=1 web/e2e/
