#!/usr/bin/env bash
# The real Python Gator, a peer for the interop tests (apps/cli/test/python): installed
# by its own setup script when ../shared/python-gator sits beside the repository.
# Without it those tests are skipped, with the reason in the test summary.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
peer="$root/../shared/python-gator"
if [ ! -d "$peer" ]; then
  echo "test-setup(python-gator): no $peer; the Python interop tests will be skipped" >&2
  exit 0
fi
if ! bash "$peer/setup.sh" >/dev/null; then
  echo "test-setup(python-gator): $peer/setup.sh failed; the Python interop tests will be skipped" >&2
fi
