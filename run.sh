#!/usr/bin/env bash
# Quick start: installs what is needed, builds, and runs the main job on the
# embedded SQLite store: a consenting person enrolled and verified end to end.
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
"$root/scripts/setup.sh"
exec "$root/scripts/demo.sh" "$@"
