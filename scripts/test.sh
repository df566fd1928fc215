#!/usr/bin/env bash
# Runs every check and test, bringing what they need: npm dependencies (npm ci) and Debian's
# Chromium for the browser tests. This is what `npm test` and `.ci/run` run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/ensure-chromium.sh
echo "== build" && npm run build --silent
echo "== build volunteer page" && npm run build:volunteer --silent
echo "== build dashboard pages" && npm run build:pages --silent
echo "== build demo" && npm run build:demo --silent
echo "== typecheck" && npx tsc -p tsconfig.json --noEmit
echo "== lint" && npx eslint .
echo "== format" && npx prettier --check . >/dev/null
echo "== tests" && npx vitest run "$@"
