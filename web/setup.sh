#!/usr/bin/env bash
# Installs the web pages' build tools and browser-test libraries (esbuild, TypeScript,
# openapi-typescript, openapi-fetch, puppeteer-core, axe-core) into web/node_modules exactly as
# package-lock.json pins them. Idempotent: a tree made from the same lock returns at once.
# Nothing runs at install time (--ignore-scripts): esbuild's binary comes as its own package.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
command -v node >/dev/null || { echo "web: node not found; install Node 20 (apt-get install nodejs npm)" >&2; exit 1; }
command -v npm >/dev/null || { echo "web: npm not found; install it (apt-get install npm)" >&2; exit 1; }
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.facegate-lock.sha256
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x node_modules/.bin/esbuild ]; then
  echo "web: node_modules matches package-lock.json"
  exit 0
fi
echo "web: installing from package-lock.json (npm ci)"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "web: installed the page build tools into $here/node_modules"
