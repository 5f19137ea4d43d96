#!/usr/bin/env bash
# Installs Redocly CLI (the linter of docs/openapi.yaml, see lint.sh) into tools/openapi/node_modules
# exactly as package-lock.json pins it. Idempotent: when the installed tree was made from the same
# lock it returns at once; a missing tree or any change of the lock runs `npm ci` again.
# Needs Node.js 20.19+ (or 22.12+) and npm: @redocly/cli 2.77.0 refuses older ones.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
command -v node >/dev/null || { echo "openapi: node not found; install Node 20 (apt-get install nodejs npm)" >&2; exit 1; }
command -v npm >/dev/null || { echo "openapi: npm not found; install it (apt-get install npm)" >&2; exit 1; }
if ! node -e '
  const [a, b] = process.versions.node.split(".").map(Number);
  process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a > 22 ? 0 : 1);'; then
  echo "openapi: node $(node --version) is too old for @redocly/cli 2.77.0; Node 20.19+ or 22.12+ is needed" >&2
  exit 1
fi
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.facegate-lock.sha256
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x node_modules/.bin/redocly ]; then
  echo "openapi: node_modules matches package-lock.json"
  exit 0
fi
echo "openapi: installing from package-lock.json (npm ci)"
# @redocly/cli ships bundled, with no dependencies and no install scripts.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "openapi: installed Redocly CLI $(node -p 'require("./node_modules/@redocly/cli/package.json").version') into $here/node_modules"
