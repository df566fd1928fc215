#!/usr/bin/env bash
# The main job (`npm start`): installs the npm dependencies if they are missing, builds the
# library, the dashboard pages and the demo page, then starts the demo (scheduler + local
# workers on localhost).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
echo "== building bask (tsc)"
npm run build --silent
echo "== building the volunteer page (vite)"
npm run build:volunteer --silent >/dev/null
echo "== building the dashboard pages (vite)"
npm run build:pages --silent >/dev/null
echo "== building the demo page (vite)"
npm run build:demo --silent >/dev/null
exec node bin/bask.js demo "$@"
