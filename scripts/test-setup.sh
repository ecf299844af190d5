#!/usr/bin/env bash
# Installs and starts what the test suite needs on a fresh Debian 12 machine
# (idempotent: fast when everything is already there). Called by `pnpm test`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

need_apt=()
/usr/bin/python3 -c 'import websockets' 2>/dev/null || need_apt+=(python3-websockets)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test-setup: missing Debian packages ${need_apt[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "test-setup: installing ${need_apt[*]}"
  (apt-get update -qq || true) >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Further services (Slurm, PostgreSQL, Chromium) are brought up by the scripts below when present.
for extra in "$here"/test-setup.d/*.sh; do
  [ -e "$extra" ] || continue
  bash "$extra"
done
