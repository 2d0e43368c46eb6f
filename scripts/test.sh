#!/usr/bin/env bash
# Runs every test: type check, unit and integration tests (Vitest, Node and real Chromium), then the
# Playwright end-to-end specs. Installs what is missing first (see ensure.sh). `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "") ;;
  -h|--help)
    echo "Usage: npm test    (or pnpm test; takes no options)"
    echo "Type check, Vitest (every project: packages, apps, repo), Playwright e2e; installs what is missing first."
    echo "One project: pnpm exec vitest run --project <name>; one spec: pnpm exec playwright test e2e/<file>"
    exit 0 ;;
  *) echo "test.sh: unexpected argument \"$1\" (see: npm test -- --help)" >&2; exit 2 ;;
esac
source scripts/ensure.sh
rm -rf .vitest-results && mkdir -p .vitest-results

status=0
echo "== type check"
pnpm exec tsc -p tsconfig.json --noEmit || status=1
echo "== vitest (node + browser projects)"
pnpm exec vitest run --passWithNoTests --reporter=default --reporter=json \
  --outputFile.json=.vitest-results/vitest.json || status=1
echo "== playwright (e2e)"
pnpm exec playwright test --pass-with-no-tests || status=1
node scripts/test-summary.mjs || status=1
exit $status
