#!/usr/bin/env bash
# Installs what is needed, builds, and runs the whole test suite (unit,
# golden, integration) through CTest.
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
"$root/scripts/setup.sh"
cd "${FACEGATE_BUILD:-$root/build}"
ctest --output-on-failure -j 2 --timeout 1500 "$@"
