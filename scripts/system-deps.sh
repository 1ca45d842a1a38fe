#!/usr/bin/env bash
# Installs the Debian packages the tests need (browser tests, the voice loop, the production
# layout's load balancer), skipping what is already there. Called by `make system-deps` and by
# CI before `make test`.
set -euo pipefail
PATH="$PATH:/usr/sbin:/sbin"  # haproxy lives in /usr/sbin, off a normal user's PATH
# command -> Debian package
declare -A NEEDED=(
  [chromium]=chromium        # the web widget's browser tests (playwright drives it)
  [espeak-ng]=espeak-ng      # speech for the local voice loop and its tests
  [sox]=sox                  # resampling recorded/synthesised audio to 16 kHz
  [haproxy]=haproxy          # the load balancer of make run-production (docs/deploy.md)
)
missing=()
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEEDED[$cmd]}")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "System packages: all present (${!NEEDED[*]})."
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing system packages: ${missing[*]} (apt-get, a few minutes the first time)…"
started=$(date +%s)
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "System packages installed in $(( $(date +%s) - started )) s."
