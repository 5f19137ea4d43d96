// Engine::Liveness: faceplugin's fr_liveness net on its crop with context, placed by our
// detector's box; Engine::ScoreLiveness adds human-models' anti-spoof and liveness nets on
// human's face crop, for measurement (docs/liveness.md). Face operations: they take a Grant
// (REQ C1).
#include "vision/liveness.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <opencv2/imgproc.hpp>

#include "nn/model_files.h"
#include "nn/nets.h"
#include "vision/engine_impl.h"
#include "vision/image_ops.h"

namespace facegate::vision {

// Default thresholds: `facegate eval liveness ../shared/facedata/liveness.tsv` calibrates them
// on NUAA subjects 0001-0004 (real_from: 5% of their live faces below it; spoof_below: 1%) and
// reports the other subjects (docs/liveness.md, "Real attacks").
const float kDefaultLivenessSpoofBelow = 0.0091f;
const float kDefaultLivenessRealFrom = 0.1007f;

const char* ToString(LivenessVerdict v) {
  switch (v) {
    case LivenessVerdict::kReal:
      return "real";
    case LivenessVerdict::kSpoof:
      return "spoof";
    case LivenessVerdict::kUnsure:
      return "unsure";
  }
  return "?";
}

cv::Vec4f HumanFaceBox(const cv::Rect2f& b) {
  // enlargeBox: centre +- factor * size / 2; squarifyBox: centre +- max(size) / 2, rounded with
  // Math.round. In double, as JavaScript computes it.
  const double x1 = b.x, y1 = b.y, x2 = double(b.x) + b.width, y2 = double(b.y) + b.height;
  const double cx = x1 + (x2 - x1) / 2, cy = y1 + (y2 - y1) / 2;
  const double hw = kHumanBoxScale * (x2 - x1) / 2, hh = kHumanBoxScale * (y2 - y1) / 2;
  const double ex1 = cx - hw, ey1 = cy - hh, ex2 = cx + hw, ey2 = cy + hh;
  const double ccx = ex1 + (ex2 - ex1) / 2, ccy = ey1 + (ey2 - ey1) / 2;
  const double half = std::max(ex2 - ex1, ey2 - ey1) / 2;
  auto round_js = [](double v) { return static_cast<float>(std::floor(v + 0.5)); };
  return {round_js(ccx - half), round_js(ccy - half), round_js(ccx + half), round_js(ccy + half)};
}

cv::Mat HumanFaceCrop(const cv::Mat& rgbf, const cv::Vec4f& box, int size) {
  CV_Assert(rgbf.type() == CV_32FC3 && size > 1);
  const int h = rgbf.rows, w = rgbf.cols;
  // tf.image.cropAndResize on the normalised box human passes (y1/h, x1/w, y2/h, x2/w),
  // computed in float32 like tfjs.
  const float y1 = box[1] / h, x1 = box[0] / w, y2 = box[3] / h, x2 = box[2] / w;
  const float hs = (y2 - y1) * (h - 1) / (size - 1);
  const float ws = (x2 - x1) * (w - 1) / (size - 1);
  cv::Mat out(size, size, CV_32FC3, cv::Scalar::all(0));
  for (int y = 0; y < size; ++y) {
    const float in_y = y1 * (h - 1) + y * hs;
    if (in_y < 0 || in_y > h - 1) continue;  // extrapolation value 0
    const int top = static_cast<int>(std::floor(in_y));
    const int bottom = static_cast<int>(std::ceil(in_y));
    const float yl = in_y - top;
    const float* rt = rgbf.ptr<float>(top);
    const float* rb = rgbf.ptr<float>(bottom);
    float* o = out.ptr<float>(y);
    for (int x = 0; x < size; ++x) {
      const float in_x = x1 * (w - 1) + x * ws;
      if (in_x < 0 || in_x > w - 1) continue;
      const int left = static_cast<int>(std::floor(in_x));
      const int right = static_cast<int>(std::ceil(in_x));
      const float xl = in_x - left;
      for (int c = 0; c < 3; ++c) {
        const float tl = rt[left * 3 + c], tr = rt[right * 3 + c];
        const float bl = rb[left * 3 + c], br = rb[right * 3 + c];
        const float t = tl + (tr - tl) * xl;
        const float b = bl + (br - bl) * xl;
        o[x * 3 + c] = (t + (b - t) * yl) / 255.f;
      }
    }
  }
  return out;
}

cv::Rect FrLivenessBox(const cv::Rect2f& b) {
  // alignLivenessImage's box, kFrLivenessContext times the detector's about its centre. The
  // library shrinks and shifts it to stay inside the image; we keep it whole and fill what lies
  // outside with black (FrLivenessInput), which separates attacks better (docs/liveness.md).
  const float cx = b.x + b.width / 2, cy = b.y + b.height / 2;
  const float w = b.width * kFrLivenessContext, h = b.height * kFrLivenessContext;
  return cv::Rect(static_cast<int>(std::floor(cx - w / 2)), static_cast<int>(std::floor(cy - h / 2)),
                  std::max(static_cast<int>(w), 1), std::max(static_cast<int>(h), 1));
}

cv::Mat FrLivenessInput(const cv::Mat& rgb, const cv::Rect2f& box) {
  const cv::Rect want = FrLivenessBox(box);
  const cv::Rect inside = want & cv::Rect(0, 0, rgb.cols, rgb.rows);
  // The box on a black canvas, the image's part copied in; BGR, as the net was trained.
  cv::Mat canvas(want.size(), CV_8UC3, cv::Scalar::all(0));
  if (!inside.empty()) {
    cv::Mat part;
    cv::cvtColor(rgb(inside), part, cv::COLOR_RGB2BGR);
    part.copyTo(canvas(inside - want.tl()));
  }
  cv::Mat face, out;
  cv::resize(canvas, face, cv::Size(nn::FrLivenessNet::kInputSize, nn::FrLivenessNet::kInputSize));
  face.convertTo(out, CV_32FC3);
  return out;
}

LivenessVerdict JudgeLiveness(float score, const LivenessThresholds& t) {
  if (score < t.spoof_below) return LivenessVerdict::kSpoof;
  if (score >= t.real_from) return LivenessVerdict::kReal;
  return LivenessVerdict::kUnsure;
}

Status LivenessThresholds::Check() const {
  if (!(spoof_below >= 0 && spoof_below <= real_from && real_from <= 1)) {
    return Status::InvalidInput(
        "liveness thresholds must satisfy 0 <= spoof_below <= real_from <= 1 (defaults: "
        "docs/liveness.md)");
  }
  return Status::Ok();
}

namespace {

// Runs `load(files)` once under `once`; its error, or a model-files error, is kept in `status`
// and returned to every caller. A template so it can take the engine's private Impl.
template <typename EngineImpl, typename Load>
Status LoadOnce(EngineImpl& I, std::once_flag& once, Status& status, Load load) {
  std::call_once(once, [&] {
    auto files = nn::ModelFiles::Open(I.config.model_dir, I.config.lock_file);
    status = files.ok() ? load(*files) : files.status();
  });
  return status;
}

// The shipped net: all that Liveness needs.
template <typename EngineImpl>
Status LoadLivenessNet(EngineImpl& I) {
  return LoadOnce(I, I.liveness_once, I.liveness_status, [&](const nn::ModelFiles& files) -> Status {
    FG_ASSIGN_OR_RETURN(I.liveness.fr, nn::FrLivenessNet::Load(files));
    return Status::Ok();
  });
}

// human-models' two nets, only for measurement (ScoreLiveness).
template <typename EngineImpl>
Status LoadHumanLivenessNets(EngineImpl& I) {
  return LoadOnce(I, I.human_liveness_once, I.human_liveness_status, [&](const nn::ModelFiles& files) -> Status {
    FG_ASSIGN_OR_RETURN(I.liveness.antispoof, nn::AntiSpoofNet::Load(files));
    FG_ASSIGN_OR_RETURN(I.liveness.liveness, nn::LivenessNet::Load(files));
    return Status::Ok();
  });
}

Status CheckLivenessInput(const cv::Mat& rgb, const Face& face) {
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    return Status::InvalidInput("the image must be 8-bit RGB (CV_8UC3); use DecodeImage");
  }
  const cv::Rect2f& b = face.detection.box;
  if (!(b.width > 0 && b.height > 0) || !std::isfinite(b.x) || !std::isfinite(b.y)) {
    return Status::InvalidInput("the face has no valid detection box; pass a face from Detect");
  }
  return Status::Ok();
}

}  // namespace

Result<LivenessResult> Engine::Liveness(const Grant& grant, const cv::Mat& rgb, const Face& face,
                                        const LivenessThresholds& thresholds) {
  // Every Grant operation processes a face (REQ C1); an AnalysisGrant cannot be passed.
  (void)grant;
  FG_RETURN_IF_ERROR(thresholds.Check());
  FG_RETURN_IF_ERROR(CheckLivenessInput(rgb, face));
  auto& I = *impl_;
  FG_RETURN_IF_ERROR(LoadLivenessNet(I));
  FG_ASSIGN_OR_RETURN(auto p, I.liveness.fr->Run(FrLivenessInput(rgb, face.detection.box)));
  LivenessResult r;
  r.score = p[nn::FrLivenessNet::kLiveClass];
  r.verdict = JudgeLiveness(r.score, thresholds);
  return r;
}

Result<LivenessScores> Engine::ScoreLiveness(const Grant& grant, const cv::Mat& rgb, const Face& face) {
  (void)grant;  // a face operation (REQ C1)
  FG_RETURN_IF_ERROR(CheckLivenessInput(rgb, face));
  auto& I = *impl_;
  FG_RETURN_IF_ERROR(LoadLivenessNet(I));
  FG_RETURN_IF_ERROR(LoadHumanLivenessNets(I));
  LivenessScores s;
  FG_ASSIGN_OR_RETURN(auto p, I.liveness.fr->Run(FrLivenessInput(rgb, face.detection.box)));
  s.fr_liveness = p[nn::FrLivenessNet::kLiveClass];
  const cv::Mat crop = HumanFaceCrop(ToFloatRgb(rgb), HumanFaceBox(face.detection.box));
  const cv::Mat in128 = ResizeBilinearTf(crop, nn::AntiSpoofNet::kInputSize, nn::AntiSpoofNet::kInputSize);
  const cv::Mat in32 = ResizeBilinearTf(crop, nn::LivenessNet::kInputSize, nn::LivenessNet::kInputSize);
  FG_ASSIGN_OR_RETURN(s.antispoof, I.liveness.antispoof->Run(in128));
  FG_ASSIGN_OR_RETURN(auto live, I.liveness.liveness->Run(in32));
  s.liveness = live[0];
  return s;
}

}  // namespace facegate::vision
