// Engine::Analyze and its steps (vision/attributes.h). An analysis run keeps landmarks and
// crops in local variables only: what it returns is FaceAttributes (REQ AN1).
#include "vision/attributes.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <opencv2/core.hpp>

#include "nn/model_files.h"
#include "vision/engine_impl.h"
#include "vision/eyes.h"
#include "vision/image_ops.h"
#include "vision/pipeline.h"

namespace facegate::vision {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

Status CheckAnalysisImage(const cv::Mat& rgb) {
  if (rgb.empty()) return Status::InvalidInput("the image is empty; decode a photo first");
  if (rgb.type() != CV_8UC3) {
    return Status::InvalidInput("the image must be 8-bit RGB (CV_8UC3); use DecodeImage");
  }
  return Status::Ok();
}

Status CheckOptions(const AnalysisOptions& o) {
  if (!(o.box_margin >= 0 && o.box_margin <= 1)) {
    return Status::InvalidInput("AnalysisOptions.box_margin must lie in [0, 1] (face-api: 0.2)");
  }
  return Status::Ok();
}

}  // namespace

cv::Rect2f AttributeBox(const Landmarks68& landmarks, float margin) {
  // face-api's minBbox starts its max at 0 and its min at +inf.
  float min_x = std::numeric_limits<float>::infinity(), min_y = min_x, max_x = 0, max_y = 0;
  for (const auto& p : landmarks) {
    min_x = std::min(min_x, p.x);
    min_y = std::min(min_y, p.y);
    max_x = std::max(max_x, p.x);
    max_y = std::max(max_y, p.y);
  }
  const float w = max_x - min_x, h = max_y - min_y;
  const float pad_x = w * margin, pad_y = h * margin;
  return {min_x - pad_x / 2, min_y - pad_y / 2, w + pad_x, h + pad_y};
}

cv::Rect ClipAtImageBorders(const cv::Rect2f& box, cv::Size image) {
  const double x = std::max<double>(box.x, 0), y = std::max<double>(box.y, 0);
  const double w = std::min<double>(double(box.x) + box.width - x, image.width - x);
  const double h = std::min<double>(double(box.y) + box.height - y, image.height - y);
  const cv::Rect r(static_cast<int>(std::floor(x)), static_cast<int>(std::floor(y)),
                   static_cast<int>(std::floor(w)), static_cast<int>(std::floor(h)));
  if (r.width <= 0 || r.height <= 0) return {};
  return r & cv::Rect(0, 0, image.width, image.height);
}

cv::Mat AttributeInput(const cv::Mat& rgbf, const Landmarks68& landmarks, float margin) {
  const cv::Rect r = ClipAtImageBorders(AttributeBox(landmarks, margin), rgbf.size());
  if (r.empty()) return {};
  const PaddedSquare sq = PadToSquare(rgbf(r), PadPlacement::kCentred);
  return ResizeBilinearTf(sq.image, kAttributeInput, kAttributeInput);
}

Result<FaceAttributes> RunAttributeNets(nn::AgeGenderNet& age_gender, nn::ExpressionNet& expression,
                                        const cv::Mat& input112, const AnalysisOptions& options) {
  std::vector<cv::Mat> views = {input112};
  if (options.flip_average) {
    cv::Mat mirrored;
    cv::flip(input112, mirrored, 1);
    views.push_back(mirrored);
  }
  FaceAttributes a;
  double age = 0, p_female = 0;
  std::array<double, kExpressionCount> expr{};
  for (const cv::Mat& v : views) {
    FG_ASSIGN_OR_RETURN(nn::AgeGenderNet::Output ag, age_gender.Run(v));
    FG_ASSIGN_OR_RETURN(auto ex, expression.Run(v));
    age += ag.age;
    p_female += ag.p_female;
    for (int i = 0; i < kExpressionCount; ++i) expr[i] += ex[i];
  }
  const double n = static_cast<double>(views.size());
  a.age = static_cast<float>(age / n);
  a.p_female = static_cast<float>(p_female / n);
  for (int i = 0; i < kExpressionCount; ++i) a.expression[i] = static_cast<float>(expr[i] / n);
  return a;
}

Result<std::vector<FaceAttributes>> Engine::Analyze(const AnalysisGrant& grant, const cv::Mat& rgb,
                                                    StageTimings* timings) {
  return Analyze(grant, rgb, AnalysisOptions{}, timings);
}

namespace {

// The attribute nets load on first use; later calls see the first outcome.
// (Templates over the engine's private Impl, which only Engine's members can name.)
template <class EngineImpl>
Status EnsureAttributeNets(EngineImpl& impl) {
  std::call_once(impl.attributes_once, [&impl] {
    auto load = [&impl]() -> Status {
      FG_ASSIGN_OR_RETURN(nn::ModelFiles files,
                          nn::ModelFiles::Open(impl.config.model_dir, impl.config.lock_file));
      FG_ASSIGN_OR_RETURN(impl.attributes.age_gender, nn::AgeGenderNet::Load(files));
      FG_ASSIGN_OR_RETURN(impl.attributes.expression, nn::ExpressionNet::Load(files));
      return Status::Ok();
    };
    impl.attributes_status = load();
  });
  return impl.attributes_status;
}

// Detection, landmarks and the attribute nets of every face, largest first; `eyes` (may be
// null) gets each face's eye state from the same landmarks. Landmarks stay local (REQ AN1).
template <class EngineImpl>
Result<std::vector<FaceAttributes>> RunAnalysis(EngineImpl& impl, const cv::Mat& rgb,
                                                const AnalysisOptions& options,
                                                StageTimings* timings, std::vector<EyeState>* eyes) {
  FG_RETURN_IF_ERROR(CheckAnalysisImage(rgb));
  FG_RETURN_IF_ERROR(CheckOptions(options));
  FG_RETURN_IF_ERROR(EnsureAttributeNets(impl));
  EyeNets eye_nets;
  if (eyes) {
    FG_ASSIGN_OR_RETURN(eye_nets, EnsureEyeNets(impl));
  }
  auto t0 = Clock::now();
  const cv::Mat rgbf = ToFloatRgb(rgb);
  // The SSD first: the attribute and eye-state thresholds were measured on its boxes (the
  // RFB-320 boxes move the landmarks enough to change eye states); RFB-320 only where it finds
  // nothing (tight crops). Detect runs the other way round.
  FG_ASSIGN_OR_RETURN(std::vector<Detection> dets,
                      DetectFacesSsdFirst(*impl.ssd, impl.rfb.get(), rgbf, impl.config.min_detection_score,
                                          impl.strategy));
  if (timings) timings->detect_ms = MsSince(t0);
  std::sort(dets.begin(), dets.end(),
            [](const Detection& a, const Detection& b) { return a.box.area() > b.box.area(); });
  std::vector<FaceAttributes> out;
  double landmarks_ms = 0, align_ms = 0, nets_ms = 0;
  for (const Detection& d : dets) {
    t0 = Clock::now();
    // Used to place the crop, then dropped with this scope (REQ AN1).
    FG_ASSIGN_OR_RETURN(const Landmarks68 landmarks, DetectLandmarks(*impl.landmarks, rgbf, d.box));
    landmarks_ms += MsSince(t0);
    t0 = Clock::now();
    const cv::Mat input = AttributeInput(rgbf, landmarks, options.box_margin);
    align_ms += MsSince(t0);
    if (input.empty()) continue;  // landmarks wholly outside the photo: no face to describe
    t0 = Clock::now();
    FG_ASSIGN_OR_RETURN(FaceAttributes a, RunAttributeNets(*impl.attributes.age_gender,
                                                           *impl.attributes.expression, input,
                                                           options));
    a.box = d.box;
    a.detection_score = d.score;
    if (eyes) {
      FG_ASSIGN_OR_RETURN(EyeState e, MeasureEyes(eye_nets, rgb, landmarks));
      e.box = d.box;
      e.detection_score = d.score;
      eyes->push_back(e);
    }
    nets_ms += MsSince(t0);
    out.push_back(a);
  }
  if (timings) {
    timings->landmarks_ms = landmarks_ms;
    timings->align_ms = align_ms;
    timings->embed_ms = nets_ms;
  }
  return out;
}

}  // namespace

Result<std::vector<FaceAttributes>> Engine::Analyze(const AnalysisGrant& grant, const cv::Mat& rgb,
                                                    const AnalysisOptions& options,
                                                    StageTimings* timings) {
  // The AnalysisGrant's type is the authorization (only policy::Gate makes one, REQ SC3);
  // there is nothing else to check on it here.
  (void)grant;
  return RunAnalysis(*impl_, rgb, options, timings, nullptr);
}

Result<std::vector<FrameAnalysis>> Engine::AnalyzeFrame(const AnalysisGrant& grant,
                                                        const InferenceGrant& drowsiness,
                                                        const cv::Mat& rgb,
                                                        const AnalysisOptions& options,
                                                        StageTimings* timings) {
  // As in Analyze and EyeStates, the types are the authorization; both must be of one purpose
  // and the second for the inference eye state serves (REQ AN3).
  if (drowsiness.inference() != SensitiveInference::kDrowsiness || drowsiness.purpose() != grant.purpose())
    return Status::Refused("AN3", "eye state needs the drowsiness grant of the same purpose as the analysis");
  std::vector<EyeState> eyes;
  FG_ASSIGN_OR_RETURN(std::vector<FaceAttributes> attrs,
                      RunAnalysis(*impl_, rgb, options, timings, &eyes));
  std::vector<FrameAnalysis> out(attrs.size());
  for (size_t i = 0; i < attrs.size(); ++i) out[i] = {attrs[i], eyes[i]};
  return out;
}

}  // namespace facegate::vision
