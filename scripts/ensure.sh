#!/usr/bin/env bash
# Installs what the project needs when it is missing, so that `npm start` and `npm test` work on a
# fresh machine that has only Node 20 and npm. Sourced by start.sh and test.sh.
#   ENSURE_SYSTEM=0   skip the Debian packages (chromium, redis-server)
set -euo pipefail

ensure_system_packages() {
  local missing=()
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "ensure: installing Debian packages: ${missing[*]}" >&2
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "ensure: need root (or sudo) to apt-get install ${missing[*]}; install them and run again" >&2
      return 1
    fi
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_pnpm() {
  command -v pnpm >/dev/null 2>&1 && return 0
  local want
  want=$(node -p "require('./package.json').packageManager.split('@')[1]")
  echo "ensure: installing pnpm@$want" >&2
  npm install -g "pnpm@$want" >/dev/null 2>&1 || {
    # No write access to the global prefix: keep pnpm inside the checkout instead.
    npm install --prefix .tmp/pnpm "pnpm@$want" >/dev/null
    export PATH="$PWD/.tmp/pnpm/node_modules/.bin:$PATH"
  }
}

ensure_dependencies() {
  if [ -n "${CI:-}" ]; then pnpm install --frozen-lockfile --reporter=silent
  else pnpm install --reporter=silent; fi
}

if [ "${ENSURE_SYSTEM:-1}" != 0 ]; then ensure_system_packages; fi
ensure_pnpm
ensure_dependencies
