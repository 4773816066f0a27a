#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, builds,
# and runs every test with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx tsc -p .
# Only *.test.js: helpers and fixtures under test/ are not tests themselves.
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [ "$#" -gt 0 ]; then files=("$@"); fi
exec node --test --test-concurrency=2 "${files[@]}"
