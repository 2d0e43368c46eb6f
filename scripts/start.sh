#!/usr/bin/env bash
# Starts the whole demo stack on embedded defaults (see README). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
ENSURE_SYSTEM=0 source scripts/ensure.sh
exec pnpm exec tsx scripts/stack.ts "$@"
