#!/usr/bin/env node
// Times face-api 1.7.15 (tfjs-backend-wasm) analysing one frame: detectAllFaces()
// .withFaceLandmarks().withAgeAndGender().withFaceExpressions() (face-api has no eye state).
// Usage: node bench_analysis.js FRAME.jpg [--reps N] [--warmup N]. Prints JSON with the median
// ms per frame. bench/analysis.sh runs it and bench_analysis in the same run (docs/bench.md).
'use strict';

const path = require('path');
const ref = require('./lib');

const { faceapi } = ref;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

async function main() {
  const o = { reps: 10, warmup: 2, file: null };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--reps') o.reps = parseInt(argv[++i], 10);
    else if (argv[i] === '--warmup') o.warmup = parseInt(argv[++i], 10);
    else if (argv[i].startsWith('--')) throw new Error(`unknown option ${argv[i]}`);
    else o.file = path.resolve(argv[i]);
  }
  if (!o.file) throw new Error('usage: bench_analysis.js FRAME.jpg [--reps N] [--warmup N]');
  if (!(o.reps >= 1) || !(o.warmup >= 0)) throw new Error('--reps must be >= 1 and --warmup >= 0');
  const env = await ref.init();
  const img = ref.decodeJpeg(o.file);
  const tensor = ref.imageTensor(img);
  const run = () => faceapi.detectAllFaces(tensor, ref.defaultOptions())
    .withFaceLandmarks().withAgeAndGender().withFaceExpressions();
  for (let w = 0; w < o.warmup; w++) await run();
  const ms = [];
  let faces = 0;
  for (let r = 0; r < o.reps; r++) {
    const t = performance.now();
    const res = await run();
    ms.push(performance.now() - t);
    faces = res.length;
  }
  tensor.dispose();
  console.log(JSON.stringify({
    tool: 'face-api', backend: env, reps: o.reps, warmup: o.warmup,
    frame: { width: img.width, height: img.height }, faces, frame_ms: median(ms),
  }, null, 1));
}

main().catch((e) => {
  console.error(`bench_analysis: ${e.stack || e}`);
  process.exit(1);
});
