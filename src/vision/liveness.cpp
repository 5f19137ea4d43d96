// Engine::Liveness: human's anti-spoof and liveness nets on human's face crop, placed by our
// detector's box (docs/liveness.md). A face operation, so it takes a Grant (REQ C1).
#include "vision/liveness.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "nn/model_files.h"
#include "nn/nets.h"
#include "vision/engine_impl.h"
#include "vision/image_ops.h"

namespace facegate::vision {

// Default thresholds, chosen on bench/liveness_eval's scores (docs/liveness.md).
const float kDefaultLivenessSpoofBelow = 0.1f;
const float kDefaultLivenessRealFrom = 0.5f;

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

LivenessVerdict JudgeLiveness(float antispoof, float liveness, const LivenessThresholds& t) {
  if (antispoof < t.spoof_below || liveness < t.spoof_below) return LivenessVerdict::kSpoof;
  if (antispoof >= t.real_from && liveness >= t.real_from) return LivenessVerdict::kReal;
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

Result<LivenessResult> Engine::Liveness(const Grant& grant, const cv::Mat& rgb, const Face& face,
                                        const LivenessThresholds& thresholds) {
  // Every Grant operation processes a face (REQ C1); an AnalysisGrant cannot be passed.
  (void)grant;
  FG_RETURN_IF_ERROR(thresholds.Check());
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    return Status::InvalidInput("the image must be 8-bit RGB (CV_8UC3); use DecodeImage");
  }
  const cv::Rect2f& b = face.detection.box;
  if (!(b.width > 0 && b.height > 0) || !std::isfinite(b.x) || !std::isfinite(b.y)) {
    return Status::InvalidInput("the face has no valid detection box; pass a face from Detect");
  }
  auto& I = *impl_;
  std::call_once(I.liveness_once, [&] {
    auto files = nn::ModelFiles::Open(I.config.model_dir, I.config.lock_file);
    if (!files.ok()) {
      I.liveness_status = files.status();
      return;
    }
    auto antispoof = nn::AntiSpoofNet::Load(*files);
    if (!antispoof.ok()) {
      I.liveness_status = antispoof.status();
      return;
    }
    auto liveness = nn::LivenessNet::Load(*files);
    if (!liveness.ok()) {
      I.liveness_status = liveness.status();
      return;
    }
    I.liveness.antispoof = std::move(antispoof).value();
    I.liveness.liveness = std::move(liveness).value();
  });
  FG_RETURN_IF_ERROR(I.liveness_status);
  const cv::Mat crop = HumanFaceCrop(ToFloatRgb(rgb), HumanFaceBox(b));
  const cv::Mat in128 = ResizeBilinearTf(crop, nn::AntiSpoofNet::kInputSize,
                                         nn::AntiSpoofNet::kInputSize);
  const cv::Mat in32 = ResizeBilinearTf(crop, nn::LivenessNet::kInputSize,
                                        nn::LivenessNet::kInputSize);
  LivenessResult r;
  FG_ASSIGN_OR_RETURN(r.antispoof, I.liveness.antispoof->Run(in128));
  FG_ASSIGN_OR_RETURN(auto live, I.liveness.liveness->Run(in32));
  r.liveness = live[0];
  r.verdict = JudgeLiveness(r.antispoof, r.liveness, thresholds);
  return r;
}

}  // namespace facegate::vision
