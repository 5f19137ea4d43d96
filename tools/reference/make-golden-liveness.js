#!/usr/bin/env node
// Writes the golden reference of faceplugin's presentation-attack net (fr_liveness.onnx) run by
// ONNX Runtime: 128x128 three-plane inputs (0..255, NCHW 1x3x128x128, as lib/fr_liveness.js lays
// out its canvas) and the net's raw three outputs for each.
// Usage: node make-golden-liveness.js OUTDIR [--force]
//
// Inputs: 128x128 patches cut from the six face-api demo photos shipped in the pinned reference
// package, every 240 px across each photo and shrunk 2:1 by box averaging (256x256 blocks),
// plus three flat and patterned patches. The crop the engine places around a face is tested
// apart (docs/golden.md, docs/liveness.md).
'use strict';

const fs = require('fs');
const path = require('path');
const ref = require('./lib');

const PACKAGE = 'faceplugin-face-recognition-js';
const MODEL = 'model/fr_liveness.onnx';
const SIZE = 128;
const PLANE = SIZE * SIZE;
const CLASSES = 3;

function usage(msg) {
  if (msg) console.error(`make-golden-liveness: ${msg}`);
  console.error('usage: node make-golden-liveness.js OUTDIR [--force]');
  process.exit(2);
}

// A 3x128x128 planar RGB patch (0..255) from a 256x256 block of `img` at (x0, y0), 2x2 averages.
function patch(img, x0, y0) {
  const out = new Float32Array(3 * PLANE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < 2; dy++) {
          for (let dx = 0; dx < 2; dx++) sum += img.data[((y0 + 2 * y + dy) * img.width + (x0 + 2 * x + dx)) * 3 + c];
        }
        out[c * PLANE + y * SIZE + x] = Math.fround(sum / 4);
      }
    }
  }
  return out;
}

async function main() {
  const { outdir, stamp, indexFile, upToDate } =
      ref.goldenTarget(process.argv.slice(2), __filename, 'liveness-fr.json', usage);
  if (upToDate) {
    console.log(`make-golden-liveness: ${indexFile} is up to date`);
    return;
  }
  const { ort, session, version, options } = await ref.lockedOnnxSession(PACKAGE, MODEL);
  const inputs = [];
  for (const s of ref.SAMPLES) {
    const img = ref.decodeJpeg(path.join(ref.DEMO_DIR, `${s}.jpg`));
    for (let y0 = 0; y0 + 2 * SIZE <= img.height; y0 += 240) {
      for (let x0 = 0; x0 + 2 * SIZE <= img.width; x0 += 240) inputs.push(patch(img, x0, y0));
    }
  }
  for (const f of [(x, y, c) => 0, (x, y, c) => 255, (x, y, c) => ((x + y + c) % 2) * 255]) {
    const p = new Float32Array(3 * PLANE);
    for (let c = 0; c < 3; c++) for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) p[c * PLANE + y * SIZE + x] = f(x, y, c);
    inputs.push(p);
  }
  const all = new Float32Array(inputs.length * 3 * PLANE);
  const outs = new Float32Array(inputs.length * CLASSES);
  for (const [k, p] of inputs.entries()) {
    const out = await session.run({ input: new ort.Tensor('float32', p, [1, 3, SIZE, SIZE]) });
    if (out.output.dims.join() !== `1,${CLASSES}`) throw new Error(`unexpected output shape [${out.output.dims}]`);
    all.set(p, k * 3 * PLANE);
    outs.set(out.output.data, CLASSES * k);
  }
  fs.writeFileSync(path.join(outdir, 'liveness-fr.inputs.f32'), Buffer.from(all.buffer));
  fs.writeFileSync(path.join(outdir, 'liveness-fr.outputs.f32'), Buffer.from(outs.buffer));
  const index = {
    generator: 'tools/reference/make-golden-liveness.js', stamp,
    conventions: { inputs: '[n,3,128,128] float32 0..255, planar (the net\'s NCHW input, n of them)',
                   outputs: '[n,3] float32, the net\'s raw output "output" (before the softmax)' },
    runtime: { 'onnxruntime-node': ort.env.versions.node, ...options },
    model: { package: PACKAGE, version, file: MODEL },
    count: inputs.length, inputs: 'liveness-fr.inputs.f32', outputs: 'liveness-fr.outputs.f32',
  };
  fs.writeFileSync(indexFile, `${JSON.stringify(index, null, 1)}\n`);
  console.log(`make-golden-liveness: wrote ${inputs.length} inputs to ${indexFile}`);
}

main().catch((e) => {
  console.error(`make-golden-liveness: ${e.stack || e}`);
  process.exit(1);
});
