#!/usr/bin/env node
// Writes the golden reference of faceplugin's RFB-320 face detector (fr_detect.onnx, the engine's
// first detection pass) run by ONNX Runtime: for each image, the exact 320x240 input tensor, the
// net's raw outputs for all 4420 priors, and the faces left by score >= 0.65 and greedy NMS.
// Usage: node make-golden-detect.js OUTDIR [--force]
//
// Images: the six face-api demo photos shipped in the pinned reference package (1920 px wide,
// 22 faces: many faces, small faces), and crops cut from them around faces the net found on
// sample1, like the photos the engine meets most: a loose crop (face about a third of the
// side, as in LFW) and a tight crop (the face filling it, as in UTKFace's 200x200 chips).
// Everything comes from the repository and its pinned packages; nothing needs outside data.
// See docs/golden.md and the `conventions` block of OUTDIR/detect.json.
'use strict';

const fs = require('fs');
const path = require('path');
const ref = require('./lib');

const PACKAGE = 'faceplugin-face-recognition-js';
const MODEL = 'model/fr_detect.onnx';
const WIDTH = 320;
const HEIGHT = 240;
const PRIORS = 4420;
const MIN_SCORE = 0.65;   // lib/fr_detect.js confidence_threshold
const NMS_IOU = 0.4;      // lib/fr_detect.js nms_threshold
// Crops of sample1 around its faces (by descending RFB score): [face index, side / face width].
const CROPS = [[0, 3.0], [1, 3.0], [0, 1.1], [1, 1.1]];

const CONVENTIONS = {
  files: 'raw little-endian float32, row-major; *.rgb.bin is uint8 HxWx3 RGB decoded by jpeg-js',
  rfb_input: '240x320x3 HWC RGB float 0..255: the jpeg-js pixels stretched to 320x240 by OpenCV\'s ' +
             'INTER_LINEAR rule (src = (dst + 0.5) * in/out - 0.5, clamped to the edge pixels), weights ' +
             'and sums rounded to float32 as cv::resize does on CV_32F; the net is fed (x - 127) / 128 NCHW',
  rfb_scores: '[4420] softmax probability of class 1 (face), output "scores"[:, 1]',
  rfb_boxes: '[4420,4] output "boxes": x1, y1, x2, y2 normalised 0..1 to the input (the graph decodes the ' +
             'priors itself), may stray outside 0..1',
  faces: 'score >= 0.65, greedy NMS by descending score (drop a box whose IoU with a kept one exceeds ' +
         '0.4), at most 100; box [x, y, width, height] in image pixels = normalised * (W, H), not clipped',
};

function usage(msg) {
  if (msg) console.error(`make-golden-detect: ${msg}`);
  console.error('usage: node make-golden-detect.js OUTDIR [--force]');
  process.exit(2);
}

function writeF32(outdir, name, arr) {
  fs.writeFileSync(path.join(outdir, name), Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
  return name;
}

// cv::resize(INTER_LINEAR) of a uint8 RGB image to CV_32F values: per axis the source coordinate
// (dst + 0.5) * scale - 0.5 in float32, floor, weights (1 - f, f) in float32; left of the first
// pixel or right of the last, the edge pixel with weight 1. Horizontal pass then vertical, float32.
function axisTable(inSize, outSize) {
  const scale = inSize / outSize;
  const idx = new Int32Array(2 * outSize);
  const w = new Float32Array(2 * outSize);
  for (let d = 0; d < outSize; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (s < 0) { s = 0; f = 0; }
    if (s >= inSize - 1) { s = inSize - 1; f = 0; }
    idx[2 * d] = s;
    idx[2 * d + 1] = Math.min(s + 1, inSize - 1);
    w[2 * d] = Math.fround(1 - f);
    w[2 * d + 1] = f;
  }
  return { idx, w };
}

function resizeLinear(img, outW, outH) {
  const xs = axisTable(img.width, outW);
  const ys = axisTable(img.height, outH);
  const rowCache = new Map();
  const hrow = (y) => {
    if (rowCache.has(y)) return rowCache.get(y);
    const r = new Float32Array(outW * 3);
    for (let x = 0; x < outW; x++) {
      const a = xs.idx[2 * x], b = xs.idx[2 * x + 1];
      for (let c = 0; c < 3; c++) {
        const pa = img.data[(y * img.width + a) * 3 + c], pb = img.data[(y * img.width + b) * 3 + c];
        r[3 * x + c] = Math.fround(Math.fround(pa * xs.w[2 * x]) + Math.fround(pb * xs.w[2 * x + 1]));
      }
    }
    rowCache.set(y, r);
    return r;
  };
  const out = new Float32Array(outW * outH * 3);
  for (let y = 0; y < outH; y++) {
    const r0 = hrow(ys.idx[2 * y]), r1 = hrow(ys.idx[2 * y + 1]);
    const b0 = ys.w[2 * y], b1 = ys.w[2 * y + 1];
    for (let i = 0; i < outW * 3; i++) {
      out[y * outW * 3 + i] = Math.fround(Math.fround(r0[i] * b0) + Math.fround(r1[i] * b1));
    }
  }
  return out;
}

function iou(a, b) {  // [x1, y1, x2, y2]
  const aa = (a[2] - a[0]) * (a[3] - a[1]), ab = (b[2] - b[0]) * (b[3] - b[1]);
  if (aa <= 0 || ab <= 0) return 0;
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  return inter / (aa + ab - inter);
}

async function main() {
  const { outdir, stamp, indexFile, upToDate } =
      ref.goldenTarget(process.argv.slice(2), __filename, 'detect.json', usage);
  if (upToDate) {
    console.log(`make-golden-detect: ${indexFile} is up to date`);
    return;
  }

  const t0 = Date.now();
  const ort = require('onnxruntime-node');
  const { dir, version } = ref.cachedPackageDir(PACKAGE);
  const bytes = ref.readLocked(PACKAGE, dir, MODEL);  // refused unless its sha256 equals models.lock
  const got = require('crypto').createHash('sha256').update(bytes).digest('hex');
  const options = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1,
                    executionMode: 'sequential', graphOptimizationLevel: 'all' };
  const session = await ort.InferenceSession.create(bytes, options);
  if (session.inputNames.join() !== 'input' || session.outputNames.slice().sort().join() !== 'boxes,scores') {
    throw new Error(`${MODEL}: expected input "input" and outputs "scores", "boxes", got ` +
                    `${session.inputNames} -> ${session.outputNames}`);
  }

  async function run(input) {
    const n = WIDTH * HEIGHT;
    const x = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) x[c * n + i] = (input[3 * i + c] - 127) / 128;
    }
    const out = await session.run({ input: new ort.Tensor('float32', x, [1, 3, HEIGHT, WIDTH]) });
    if (out.scores.dims.join() !== `1,${PRIORS},2` || out.boxes.dims.join() !== `1,${PRIORS},4`) {
      throw new Error(`unexpected output shapes [${out.scores.dims}] and [${out.boxes.dims}]`);
    }
    const scores = new Float32Array(PRIORS);
    for (let i = 0; i < PRIORS; i++) scores[i] = out.scores.data[2 * i + 1];
    return { scores, boxes: Float32Array.from(out.boxes.data) };
  }

  const index = {
    generator: 'tools/reference/make-golden-detect.js', stamp, conventions: CONVENTIONS,
    runtime: { 'onnxruntime-node': ort.env.versions.node, ...options },
    model: { package: PACKAGE, version, file: MODEL, sha256: got },
    settings: { min_score: MIN_SCORE, nms_iou: NMS_IOU, max_results: 100 },
    images: [],
  };
  let faces = 0;
  async function detect(name, source, img, extra) {
    const rgbName = `${name}.rfb.rgb.bin`;
    fs.writeFileSync(path.join(outdir, rgbName), img.data);
    const input = resizeLinear(img, WIDTH, HEIGHT);
    const out = await run(input);
    const again = await run(input);
    if (Buffer.compare(Buffer.from(out.boxes.buffer), Buffer.from(again.boxes.buffer)) !== 0 ||
        Buffer.compare(Buffer.from(out.scores.buffer), Buffer.from(again.scores.buffer)) !== 0) {
      throw new Error(`${name}: onnxruntime gave different outputs for the same input`);
    }
    const order = [];
    for (let i = 0; i < PRIORS; i++) if (out.scores[i] >= MIN_SCORE) order.push(i);
    order.sort((a, b) => out.scores[b] - out.scores[a] || a - b);
    const kept = [];
    const corners = (i) => Array.from(out.boxes.slice(4 * i, 4 * i + 4));
    for (const i of order) {
      if (kept.length >= 100) break;
      if (kept.every((k) => iou(corners(i), corners(k)) <= NMS_IOU)) kept.push(i);
    }
    const found = kept.map((i) => {
      const [x1, y1, x2, y2] = corners(i);
      return { prior: i, score: out.scores[i],
               box: [x1 * img.width, y1 * img.height, (x2 - x1) * img.width, (y2 - y1) * img.height] };
    });
    faces += found.length;
    index.images.push({
      name, source, ...extra, width: img.width, height: img.height,
      rgb: rgbName,
      input: writeF32(outdir, `${name}.rfb.input.f32`, input), input_shape: [HEIGHT, WIDTH, 3],
      scores: writeF32(outdir, `${name}.rfb.scores.f32`, out.scores), scores_shape: [PRIORS],
      boxes: writeF32(outdir, `${name}.rfb.boxes.f32`, out.boxes), boxes_shape: [PRIORS, 4],
      faces: found,
    });
    console.log(`make-golden-detect: ${name} ${img.width}x${img.height}: ${found.length} faces`);
    return found;
  }

  let sample1 = null, sample1Faces = null;
  for (const s of ref.SAMPLES) {
    const file = path.join(ref.DEMO_DIR, `${s}.jpg`);
    const img = ref.decodeJpeg(file);
    const found = await detect(s, `face-api demo/${s}.jpg`, img, { jpeg_sha256: ref.sha256(file) });
    if (s === 'sample1') { sample1 = img; sample1Faces = found; }
  }
  // Square crops of sample1's pixels centred on a face: side = factor x the face's width,
  // rounded, clipped to the photo (so a crop near an edge is not square).
  for (const [k, [face, factor]] of CROPS.entries()) {
    if (face >= sample1Faces.length) throw new Error(`sample1 has no face ${face}`);
    const [bx, by, bw, bh] = sample1Faces[face].box;
    const side = Math.round(factor * bw);
    const x0 = Math.max(0, Math.round(bx + bw / 2 - side / 2));
    const y0 = Math.max(0, Math.round(by + bh / 2 - side / 2));
    const w = Math.min(sample1.width, x0 + side) - x0, h = Math.min(sample1.height, y0 + side) - y0;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      data.set(sample1.data.subarray(((y0 + y) * sample1.width + x0) * 3, ((y0 + y) * sample1.width + x0 + w) * 3),
               y * w * 3);
    }
    await detect(`crop${k}`, `face-api demo/sample1.jpg, face ${face}, ${factor}x its width`,
                 { width: w, height: h, data }, { crop: [x0, y0, w, h] });
  }
  fs.writeFileSync(indexFile, `${JSON.stringify(index, null, 1)}\n`);
  console.log(`make-golden-detect: wrote ${index.images.length} images, ${faces} faces to ${indexFile} in ` +
              `${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((e) => {
  console.error(`make-golden-detect: ${e.stack || e}`);
  process.exit(1);
});
