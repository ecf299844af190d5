#!/usr/bin/env bash
# Brings up the loopback Grid Engine cluster that @gator/scheduler-sge's tests run against
# (idempotent and locked: fast when it is already up). Needs root to install and start it;
# without root, an already running cluster is accepted.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ "$(id -u)" != 0 ]; then
  if command -v qstat >/dev/null 2>&1 && qstat >/dev/null 2>&1; then exit 0; fi
  echo "test-setup: the Grid Engine test cluster is not running and starting it needs root (sudo bash $here/../sge/up.sh)" >&2
  exit 1
fi
# up.sh reports progress on stderr and a summary on stdout; keep `pnpm test` quiet unless it fails.
if ! out=$(bash "$here/../sge/up.sh" 2>&1); then
  printf '%s\n' "$out" >&2
  echo "test-setup: the Grid Engine test cluster did not come up (see above)" >&2
  exit 1
fi
