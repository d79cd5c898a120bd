#!/usr/bin/env bash
# Sets up everything (scripts/setup.sh) and runs every check: types, lint, format, unit tests, and the e2e
# tests on the real bed (Temporal dev server, OpenClaw gateways under supervisor, HAProxy, clients).
# Extra arguments go to vitest (e.g. `bash scripts/test.sh test/e2e/devices.test.ts`).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-tls-server || exit 1
source scripts/env.sh
mkdir -p test-artifacts
started=$(date +%s)
echo "[test] typecheck"; npx tsc -p tsconfig.json --noEmit || exit 1
echo "[test] lint"; npx eslint . || exit 1
echo "[test] format (prettier --check; npm run format fixes it)"; npx prettier --check . || exit 1
echo "[test] vitest (unit + e2e)"
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@"
status=$?
node -e '
  const r = require("./test-artifacts/vitest.json");
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`\n[test] finished in ${Math.round((Date.now() / 1000) - Number(process.argv[1]))} s`);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$started" || true
exit $status
