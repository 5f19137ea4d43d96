// face-api's FaceFeatureExtractor (src/faceFeatureExtractor): four dense blocks of separable
// convs and a 7x7 average pool, 112x112 input -> [1, 256] features. Shared by the 68-point
// landmark net and the expression net, which differ only in their final dense layer.
#pragma once

#include <facegate/status.h>

#include "nn/onnx_graph.h"
#include "nn/tf_weights.h"

namespace facegate::nn {

inline constexpr int kFaceFeatureInput = 112;
// face-api's mean RGB, subtracted before dividing by 255 (recognition uses the same).
inline constexpr std::array<float, 3> kFaceApiMeanRgb = {122.782f, 117.001f, 104.298f};

// Adds the extractor reading weights "dense0/..." .. "dense3/..."; `input` is the normalised
// [1, 3, 112, 112] image. Returns the flattened [1, 256] features.
Result<OnnxValue> AddFaceFeatureExtractor(OnnxGraph& g, const TfWeights& w, const OnnxValue& input);

}  // namespace facegate::nn
