#!/usr/bin/env node
// Times face-api 1.7.15 (tfjs-backend-wasm, SIMD, single thread under Node) per stage, and
// faceplugin's feature net on ONNX Runtime, and prints JSON.
// Usage: node bench.js [--reps N] [--warmup N] [--feature-chip OUT.f32] [extra.jpg ...]
// Images: the six demo images of the face-api package, plus any JPEG paths given. Decoding is
// outside every timed part. Stages (median over all samples, ms):
//   detect_per_image       locateFaces: pad, resize 512, SSD, NMS, boxes
//   landmarks_per_face     crop (extractFaceTensors) + pad + resize 112 + landmark net
//   recognition_per_face   dlib-style align box + crop + pad + resize 150 + recognition net
//   pipeline_per_face      detectAllFaces().withFaceLandmarks().withFaceDescriptors(), per image,
//                          sum of per-image medians / number of faces
//   feature_per_chip       fr_feature.onnx on onnxruntime-node (CPU, intra- and inter-op threads
//                          1): (x - 127) / 128 to NCHW + session.run, on the five-point 112x112
//                          chip of the first face of the first image (make-golden.js's chip);
//                          median of 10 x reps runs after 5 x warmup (at least 1). Two sessions
//                          are timed, interleaved: graph optimisation 'all' (ORT's default, with
//                          the NCHWc layout transform) and 'extended' (the same fusions without
//                          it); the faster median is the reference (feature.ort_ms has both).
// --feature-chip writes that chip (112x112x3 float32 HWC RGB 0..255) so bench_engine can time our
// FeatureNet on the same input. bench/run.sh runs this and bench_engine in the same run and
// prints the ratios.
'use strict';

const path = require('path');
const ref = require('./lib');

const { tf, faceapi } = ref;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return null;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function parseArgs(argv) {
  const o = { reps: 5, warmup: 2, files: [], featureChip: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--reps') o.reps = parseInt(argv[++i], 10);
    else if (argv[i] === '--warmup') o.warmup = parseInt(argv[++i], 10);
    else if (argv[i] === '--feature-chip') o.featureChip = path.resolve(argv[++i]);
    else if (argv[i].startsWith('--')) throw new Error(`unknown option ${argv[i]}`);
    else o.files.push(path.resolve(argv[i]));
  }
  if (!(o.reps >= 1) || !(o.warmup >= 0)) throw new Error('--reps must be >= 1 and --warmup >= 0');
  return o;
}

async function pipeline(tensor) {
  return faceapi.detectAllFaces(tensor, ref.defaultOptions()).withFaceLandmarks().withFaceDescriptors();
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const env = await ref.init();
  const files = ref.SAMPLES.map((s) => path.join(ref.DEMO_DIR, `${s}.jpg`)).concat(opts.files);
  const images = files.map((f) => {
    const img = ref.decodeJpeg(f);
    return { file: f, name: path.basename(f), width: img.width, height: img.height, img, tensor: ref.imageTensor(img) };
  });

  for (let w = 0; w < opts.warmup; w++) {
    for (const im of images) await pipeline(im.tensor);
  }

  const detect = [];
  const landmarks = [];
  const recognition = [];
  let pipelineSum = 0;
  let faceSum = 0;
  const perImage = [];
  const now = () => performance.now();

  for (const im of images) {
    const pipeMs = [];
    let faces = 0;
    for (let r = 0; r < opts.reps; r++) {
      let t = now();
      const results = await pipeline(im.tensor);
      pipeMs.push(now() - t);
      faces = results.length;

      t = now();
      const dets = await faceapi.nets.ssdMobilenetv1.locateFaces(im.tensor, ref.defaultOptions());
      detect.push(now() - t);

      for (const det of dets) {
        t = now();
        const [face] = await faceapi.extractFaceTensors(im.tensor, [det]);
        await faceapi.nets.faceLandmark68Net.detectLandmarks(face);
        face.dispose();
        landmarks.push(now() - t);
      }
      for (const res of results) {
        t = now();
        const box = res.landmarks.align(null, { useDlibAlignment: true });
        const [face] = await faceapi.extractFaceTensors(im.tensor, [box]);
        await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(face);
        face.dispose();
        recognition.push(now() - t);
      }
    }
    const m = median(pipeMs);
    perImage.push({ image: im.name, width: im.width, height: im.height, faces, pipeline_ms: m });
    if (faces > 0) {
      pipelineSum += m;
      faceSum += faces;
    }
  }

  // The feature net on one chip: the first face of the first image with a face.
  const levels = ['all', 'extended'];
  const sessions = [];
  for (const l of levels) sessions.push(await ref.loadFeatureNet({ graphOptimizationLevel: l }));
  let chipOf = null;
  for (const im of images) {
    const [first] = await pipeline(im.tensor);
    if (first) {
      chipOf = { image: im.name, face: 0, chip: ref.featureChip(im.img, first.landmarks.positions.map((p) => [p.x, p.y])) };
      break;
    }
  }
  images.forEach((im) => im.tensor.dispose());
  let featureMs = null;
  let featureUsed = null;
  const ortMs = {};
  const featureRuns = 10 * opts.reps;
  if (chipOf) {
    const chip = chipOf.chip.input;
    if (opts.featureChip) {
      require('fs').writeFileSync(opts.featureChip, Buffer.from(chip.buffer, chip.byteOffset, chip.byteLength));
    }
    for (let w = 0; w < Math.max(1, 5 * opts.warmup); w++) {
      for (const s of sessions) await s.run(chip);
    }
    const ms = sessions.map(() => []);
    for (let r = 0; r < featureRuns; r++) {
      for (const [k, s] of sessions.entries()) {
        const t = now();
        await s.run(chip);
        ms[k].push(now() - t);
      }
    }
    levels.forEach((l, k) => {
      ortMs[l] = median(ms[k]);
      if (featureMs === null || ortMs[l] < featureMs) {
        featureMs = ortMs[l];
        featureUsed = k;
      }
    });
  }

  const out = {
    tool: 'face-api',
    backend: env,
    reps: opts.reps,
    warmup: opts.warmup,
    images: perImage,
    faces: faceSum,
    feature: chipOf && { image: chipOf.image, face: chipOf.face, runs: featureRuns, model: sessions[0].package,
                         runtime: sessions[featureUsed].runtime, ort_ms: ortMs },
    stages_ms: {
      detect_per_image: median(detect),
      landmarks_per_face: median(landmarks),
      recognition_per_face: median(recognition),
      pipeline_per_face: faceSum ? pipelineSum / faceSum : null,
      feature_per_chip: featureMs,
    },
  };
  console.log(JSON.stringify(out, null, 1));
}

main().catch((e) => {
  console.error(`bench: ${e.stack || e}`);
  process.exit(1);
});
