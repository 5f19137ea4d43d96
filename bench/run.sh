#!/usr/bin/env bash
# Per-stage speed of our engine against the JavaScript reference (face-api 1.7.15 on
# tfjs-backend-wasm), same images, same run; prints ms per stage and the ratio JS/ours. A last
# row times faceplugin's feature net alone, ours (OpenCV DNN) against ONNX Runtime, both on one
# thread, on the same 112x112 chip (the reference writes it, so it runs first).
# Usage: bench/run.sh [--reps N] [--warmup N] [--threads N] [extra.jpg ...]
#   --threads applies to our engine only (OpenCV threads; 0 = OpenCV's default = all cores);
#   the feature-net row is one thread on both sides regardless.
#   tfjs-backend-wasm runs single-threaded under Node (it reports WASM_HAS_MULTITHREAD_SUPPORT false).
# Env: FACEGATE_BUILD (default build/) is configured and bench_engine built there if needed.
# See docs/bench.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${FACEGATE_BUILD:-$root/build}"
reps=5 warmup=2 threads=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --*) echo "bench: unknown option $1" >&2; exit 2 ;;
    *) extra+=("$(realpath "$1")"); shift ;;
  esac
done

"$root/tools/reference/setup.sh" >&2
[ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_engine >&2

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "bench: face-api wasm and the feature net on onnxruntime-node (reps $reps, warm-up $warmup)" >&2
node "$root/tools/reference/bench.js" --reps "$reps" --warmup "$warmup" --feature-chip "$out/chip.f32" \
  "${extra[@]}" >"$out/js.json"
echo "bench: our engine (reps $reps, warm-up $warmup, threads $threads)" >&2
"$build/bench/bench_engine" --reps "$reps" --warmup "$warmup" --threads "$threads" \
  --feature-chip "$out/chip.f32" "${extra[@]}" >"$out/ours.json"

node - "$out/ours.json" "$out/js.json" <<'JS'
const fs = require('fs');
const ours = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const js = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const stages = [
  ['detect_per_image', 'detection (SSD + NMS), per image'],
  ['landmarks_per_face', 'landmarks, per face'],
  ['recognition_per_face', 'recognition (crop + net), per face'],
  ['pipeline_per_face', 'detect + landmarks + descriptor, per face'],
  ['feature_per_chip', 'feature net (512-D) per chip, 1 thread'],
];
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
console.log(`images: ${ours.images.length}, faces: ours ${ours.faces}, face-api ${js.faces}; reps ${ours.reps}, warm-up ${ours.warmup}`);
console.log(`ours: OpenCV ${ours.backend.opencv}, ${ours.backend.threads} threads; ` +
            `face-api: tfjs ${js.backend.versions['@tensorflow/tfjs']} ${js.backend.backend}, ` +
            `SIMD ${js.backend.simd}, threads ${js.backend.threads}`);
if (js.feature) {
  const levels = Object.entries(js.feature.ort_ms).map(([l, ms]) => `${l} ${ms.toFixed(2)} ms`).join(', ');
  console.log(`feature net: ${js.feature.model.file} on the chip of ${js.feature.image} face ${js.feature.face}, ` +
              `${ours.feature.runs} runs; ours OpenCV DNN 1 thread, JS onnxruntime-node ` +
              `${js.feature.runtime['onnxruntime-node']} CPU 1 thread, graph optimisation ` +
              `${js.feature.runtime.graphOptimizationLevel} (the faster of: ${levels})`);
}
console.log(`${pad('stage', 44)}${lpad('ours ms', 10)}${lpad('JS ms', 10)}${lpad('JS/ours', 10)}`);
const fmt = (v) => (v == null ? 'n/a' : v.toFixed(2));
for (const [key, label] of stages) {
  const o = ours.stages_ms[key];
  const j = js.stages_ms[key];
  const ratio = o > 0 && j != null ? `${(j / o).toFixed(2)}x` : 'n/a';
  console.log(`${pad(label, 44)}${lpad(fmt(o), 10)}${lpad(fmt(j), 10)}${lpad(ratio, 10)}`);
}
// The shipped path (what verify runs: RFB-320, landmarks, fr_feature) against face-api's whole
// pipeline, per photo: the mean of the per-photo medians over the photos both found a face in.
// The demo photos (1920 px, many faces) and the extra photos (e.g. LFW, one face) apart.
const rows = { demo: [0, 0, 0], extra: [0, 0, 0] };
ours.images.forEach((o, i) => {
  const j = js.images[i];
  if (!j || !o.shipped_faces || !j.faces) return;
  const r = rows[i < 6 ? 'demo' : 'extra'];
  r[0] += o.shipped_pipeline_ms; r[1] += j.pipeline_ms; r[2] += 1;
});
for (const [which, [o, j, n]] of Object.entries(rows)) {
  if (!n) continue;
  const label = `shipped path, per photo (${which}, ${n} photos)`;
  console.log(`${pad(label, 44)}${lpad(fmt(o / n), 10)}${lpad(fmt(j / n), 10)}${lpad(`${(j / o).toFixed(2)}x`, 10)}`);
}
JS
