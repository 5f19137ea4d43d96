#!/usr/bin/env bash
# Analysis of a 640x480 frame with 5 faces (detection, landmarks, age/gender, expression and,
# ours only, eye state): our engine against the JavaScript reference (face-api 1.7.15 on
# tfjs-backend-wasm), same frame, same run; prints ms per frame and the ratio JS/ours.
# Usage: bench/analysis.sh [--reps N] [--warmup N] [--threads N]   (docs/bench.md)
#   --threads applies to our engine only (OpenCV threads; 0 = all cores); the wasm backend runs
#   single-threaded under Node.
# Env: FACEGATE_BUILD (default build/) is configured and bench_analysis built there if needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${FACEGATE_BUILD:-$root/build}"
reps=10 warmup=2 threads=0
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "bench: unknown option $1 (usage: bench/analysis.sh [--reps N] [--warmup N] [--threads N])" >&2; exit 2 ;;
  esac
done

"$root/tools/reference/setup.sh" >&2
[ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_analysis >&2

out=$(mktemp -d)  # the composed frame and the two JSON reports; removed on exit
trap 'rm -rf "$out"' EXIT
echo "bench: our engine (reps $reps, warm-up $warmup, threads $threads)" >&2
"$build/bench/bench_analysis" --frame "$out/frame.jpg" --reps "$reps" --warmup "$warmup" --threads "$threads" >"$out/ours.json"
echo "bench: face-api wasm (reps $reps, warm-up $warmup)" >&2
node "$root/tools/reference/bench_analysis.js" "$out/frame.jpg" --reps "$reps" --warmup "$warmup" >"$out/js.json"

node - "$out/ours.json" "$out/js.json" <<'JS'
const fs = require('fs');
const ours = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const js = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const f = (x) => x.toFixed(1);
console.log(`frame ${ours.frame.width}x${ours.frame.height}; faces found: ours ${ours.faces}, face-api ${js.faces}; reps ${ours.reps}, warm-up ${ours.warmup}`);
console.log(`ours: OpenCV ${ours.backend.opencv}, ${ours.backend.threads} threads; face-api: tfjs ${js.backend.versions['@tensorflow/tfjs']} ${js.backend.backend}, SIMD ${js.backend.simd}, threads ${js.backend.threads}`);
console.log(`${'analysis of one frame'.padEnd(64)}${'ms'.padStart(9)}${'JS/ours'.padStart(10)}`);
const row = (label, ms) => console.log(`${label.padEnd(64)}${f(ms).padStart(9)}${(ms > 0 ? (js.frame_ms / ms).toFixed(2) + 'x' : 'n/a').padStart(10)}`);
row('face-api: detect, landmarks, age/gender, expression', js.frame_ms);
row('ours, face-api pipeline (same nets and crops) + eye state', ours.frame_faceapi_ms);
row('ours, default (flip-averaged attributes) + eye state', ours.frame_default_ms);
const s = ours.stages_ms;
console.log(`ours, face-api pipeline by stage (ms): detect ${f(s.detect)}, landmarks ${f(s.landmarks)}, crops ${f(s.crops)}, attribute nets + eyes ${f(s.attribute_nets_and_eyes)}`);
JS
