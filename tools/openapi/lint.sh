#!/usr/bin/env bash
# Lints docs/openapi.yaml with Redocly CLI's recommended rules, every warning raised to an error
# (tools/openapi/redocly.yaml). Exits non-zero on any problem, error or warning, so a pass means
# the file is clean: the web pages generate their API client from it. CTest: openapi.lint.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
if ! setup_log=$("$here/setup.sh" 2>&1); then
  echo "$setup_log" >&2
  echo "openapi: tools/openapi/setup.sh failed" >&2
  exit 1
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
# The locally installed binary (what `npx redocly` finds in tools/openapi), never a download.
"$here/node_modules/.bin/redocly" lint --config tools/openapi/redocly.yaml --max-problems 10000 \
  docs/openapi.yaml >"$out" 2>&1 || rc=$?
cat "$out"
if [ "$rc" -ne 0 ]; then
  echo "openapi: docs/openapi.yaml has lint problems (see above)" >&2
  exit "$rc"
fi
# A rule left at warn would not fail redocly itself; here it does.
if grep -Eq 'You have [0-9]+ warnings?\.' "$out"; then
  echo "openapi: docs/openapi.yaml has lint warnings (see above); clean means none" >&2
  exit 1
fi
echo "openapi: docs/openapi.yaml is clean"
