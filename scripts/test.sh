#!/usr/bin/env bash
# Runs every check and test, bringing what they need: npm dependencies (npm ci) and Debian's
# Chromium for the browser tests; builds by packing the package. This is what `npm test` and
# `.ci/run` run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/ensure-chromium.sh
# The package as users get it: npm pack runs prepack (the library, the dashboard pages, the
# volunteer page, the demo); the tests install .pack/bask.tgz into the example apps.
echo "== npm pack (builds the library, the dashboard pages, the volunteer page and the demo)"
rm -rf .pack && mkdir .pack
npm pack --pack-destination .pack --silent >/dev/null
mv .pack/bask-*.tgz .pack/bask.tgz
echo "== typecheck" && npx tsc -p tsconfig.json --noEmit
echo "== lint" && npx eslint .
echo "== format" && npx prettier --check . >/dev/null
echo "== tests" && npx vitest run "$@"
