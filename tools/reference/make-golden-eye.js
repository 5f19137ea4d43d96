#!/usr/bin/env node
// Writes the golden reference of faceplugin's eye-state net (fr_eye.onnx) run by ONNX Runtime:
// 24x24 grey inputs (0..1, NCHW 1x1x24x24) and the net's raw two outputs for each.
// Usage: node make-golden-eye.js OUTDIR [--force]
//
// Inputs: 24x24 patches cut from the six face-api demo photos shipped in the pinned reference
// package (grey as lib/fr_eye.js makes it from a canvas: COLOR_BGR2GRAY on RGBA, so red weighs
// 0.114 and blue 0.299), every 160 px across each photo and shrunk 4:1 by box averaging, plus
// four flat and gradient patches. What the net sees of an eye in the engine is the same kind
// of tensor; the crop placement is tested apart (docs/golden.md, docs/drowsiness.md).
'use strict';

const fs = require('fs');
const path = require('path');
const ref = require('./lib');

const PACKAGE = 'faceplugin-face-recognition-js';
const MODEL = 'model/fr_eye.onnx';
const SIZE = 24;

function usage(msg) {
  if (msg) console.error(`make-golden-eye: ${msg}`);
  console.error('usage: node make-golden-eye.js OUTDIR [--force]');
  process.exit(2);
}

// A 24x24 grey patch (0..1) from a 96x96 block of `img` at (x0, y0), 4x4 box averages.
function patch(img, x0, y0) {
  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      let sum = 0;
      for (let dy = 0; dy < 4; dy++) {
        for (let dx = 0; dx < 4; dx++) {
          const i = ((y0 + 4 * y + dy) * img.width + (x0 + 4 * x + dx)) * 3;
          sum += 0.114 * img.data[i] + 0.587 * img.data[i + 1] + 0.299 * img.data[i + 2];
        }
      }
      out[y * SIZE + x] = Math.fround(sum / 16 / 255);
    }
  }
  return out;
}

async function main() {
  const { outdir, stamp, indexFile, upToDate } =
      ref.goldenTarget(process.argv.slice(2), __filename, 'eye.json', usage);
  if (upToDate) {
    console.log(`make-golden-eye: ${indexFile} is up to date`);
    return;
  }
  const { ort, session, version, options } = await ref.lockedOnnxSession(PACKAGE, MODEL);
  const inputs = [];
  for (const s of ref.SAMPLES) {
    const img = ref.decodeJpeg(path.join(ref.DEMO_DIR, `${s}.jpg`));
    for (let y0 = 0; y0 + 96 <= img.height; y0 += 160) {
      for (let x0 = 0; x0 + 96 <= img.width; x0 += 160) inputs.push(patch(img, x0, y0));
    }
  }
  for (const f of [(x, y) => 0, (x, y) => 1, (x, y) => x / 23, (x, y) => (x + y) % 2]) {
    const p = new Float32Array(SIZE * SIZE);
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) p[y * SIZE + x] = f(x, y);
    inputs.push(p);
  }
  const all = new Float32Array(inputs.length * SIZE * SIZE);
  const outs = new Float32Array(inputs.length * 2);
  for (const [k, p] of inputs.entries()) {
    const out = await session.run({ input: new ort.Tensor('float32', p, [1, 1, SIZE, SIZE]) });
    if (out.output.dims.join() !== '1,2') throw new Error(`unexpected output shape [${out.output.dims}]`);
    all.set(p, k * SIZE * SIZE);
    outs.set(out.output.data, 2 * k);
  }
  fs.writeFileSync(path.join(outdir, 'eye.inputs.f32'), Buffer.from(all.buffer));
  fs.writeFileSync(path.join(outdir, 'eye.outputs.f32'), Buffer.from(outs.buffer));
  const index = {
    generator: 'tools/reference/make-golden-eye.js', stamp,
    conventions: { inputs: `[n,24,24] float32 grey 0..1 (the net's NCHW input, n of them)`,
                   outputs: '[n,2] float32, the net\'s raw output "output" (before the softmax)' },
    runtime: { 'onnxruntime-node': ort.env.versions.node, ...options },
    model: { package: PACKAGE, version, file: MODEL },
    count: inputs.length, inputs: 'eye.inputs.f32', outputs: 'eye.outputs.f32',
  };
  fs.writeFileSync(indexFile, `${JSON.stringify(index, null, 1)}\n`);
  console.log(`make-golden-eye: wrote ${inputs.length} inputs to ${indexFile}`);
}

main().catch((e) => {
  console.error(`make-golden-eye: ${e.stack || e}`);
  process.exit(1);
});
