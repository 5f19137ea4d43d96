#!/usr/bin/env bash
# Installs the JavaScript reference (face-api 1.7.15 on tfjs-backend-wasm, jpeg-js, and
# onnxruntime-node 1.30.0 for faceplugin's feature net) into tools/reference/node_modules exactly
# as package-lock.json pins it. Idempotent: when the installed tree was made from the same lock,
# it returns at once; any change of the lock reinstalls. Needs node >= 18 and npm.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
command -v node >/dev/null || { echo "reference: node not found; install Node 20 (apt-get install nodejs npm)" >&2; exit 1; }
command -v npm >/dev/null || { echo "reference: npm not found; install it (apt-get install npm)" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "reference: node $(node --version) is too old; Node 18 or newer is needed" >&2
  exit 1
fi
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.facegate-lock.sha256
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -f node_modules/@vladmandic/face-api/dist/face-api.node-wasm.js ] &&
   [ -f node_modules/onnxruntime-node/package.json ]; then
  echo "reference: node_modules matches package-lock.json"
  exit 0
fi
echo "reference: installing from package-lock.json (npm ci)"
# No install scripts are needed: tfjs's wasm binaries and onnxruntime-node's CPU binaries
# (bin/napi-v6/<os>/<arch>) ship inside the packages; onnxruntime-node's postinstall would only
# fetch the optional CUDA provider.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "reference: installed into $here/node_modules"
