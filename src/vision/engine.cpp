// vision::Engine: loads its nets once (detectors, landmarks, recognizer) and runs detect,
// landmarks, align and embed under a Grant (REQ C1). Holds no per-call state,
// so concurrent Detect/Extract calls are safe (the nets serialise their own
// forwards).
#include <facegate/vision.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <opencv2/core.hpp>

#include "nn/model_files.h"
#include "nn/nets.h"
#include "vision/detection.h"
#include "vision/engine_impl.h"
#include "vision/image_ops.h"
#include "vision/pipeline.h"
#include "vision/projection.h"
#include "vision/align.h"
#include "vision/quality.h"

namespace facegate::vision {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

const char* AlignName(AlignMode mode) {
  return mode == AlignMode::kSimilarity ? "similarity" : "faceapi-crop";
}

// Only grants for operations that need a face processed reach the nets (REQ C1).
Status CheckGrant(const Grant& grant) {
  switch (grant.operation()) {
    case Operation::kEnrol:
    case Operation::kVerify:
    case Operation::kIdentify:
    case Operation::kResearch:
      return Status::Ok();
    case Operation::kDisclose:  // opens stored templates only; never sees a photo
      break;
  }
  return Status::Refused("C1", std::string("a grant for ") + ToString(grant.operation()) +
                                   " does not allow face detection or template extraction");
}

Status CheckImage(const cv::Mat& rgb) {
  if (rgb.empty()) return Status::InvalidInput("the image is empty; decode a photo first");
  if (rgb.type() != CV_8UC3) {
    return Status::InvalidInput("the image must be 8-bit RGB (CV_8UC3); use DecodeImage");
  }
  return Status::Ok();
}

// Detect's detection stage, shared with DetectInArea: converts the image to float RGB (into
// *rgbf, for the landmark stage) and gives the boxes of every face, in detector order.
// (A template because Engine::Impl is private to Engine.)
template <class EngineImpl>
Result<std::vector<Detection>> DetectStage(EngineImpl& impl, const cv::Mat& rgb, cv::Mat* rgbf,
                                           StageTimings* timings) {
  const auto t0 = Clock::now();
  *rgbf = ToFloatRgb(rgb);
  FG_ASSIGN_OR_RETURN(std::vector<Detection> dets,
                      DetectFaces(impl.rfb.get(), *impl.ssd, *rgbf, impl.config.min_detection_score,
                                  impl.strategy));
  if (timings) timings->detect_ms = MsSince(t0);
  return dets;
}

// The landmarks of one detected face on the float image, shared by Detect and Landmark.
Result<Face> LandmarkStage(nn::LandmarkNet& net, const cv::Mat& rgbf, const Detection& detection) {
  Face f;
  f.detection = detection;
  FG_ASSIGN_OR_RETURN(f.landmarks, DetectLandmarks(net, rgbf, detection.box));
  return f;
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Load(const EngineConfig& config) {
  if (config.min_detection_score <= 0 || config.min_detection_score >= 1) {
    return Status::InvalidInput("min_detection_score must lie in (0, 1)");
  }
  if (config.threads > 0) cv::setNumThreads(config.threads);
  FG_ASSIGN_OR_RETURN(nn::ModelFiles files,
                      nn::ModelFiles::Open(config.model_dir, config.lock_file));
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  // Templates from different nets, chips or projections are not comparable, so all three
  // are part of the model identity recorded with each template.
  if (config.recognizer == Recognizer::kFaceApi) {
    FG_ASSIGN_OR_RETURN(std::string package, files.PackageVersion(nn::kFaceApiPackage));
    impl->model_version = package + "/face_recognition_model+" + AlignName(config.align);
    FG_ASSIGN_OR_RETURN(impl->recognition, nn::RecognitionNet::Load(files));
  } else {
    FG_ASSIGN_OR_RETURN(std::string package, files.PackageVersion(nn::kFeatureNetPackage));
    impl->model_version =
        package + "/fr_feature+five-point+" + projection_data::kSource;
    FG_ASSIGN_OR_RETURN(impl->feature, nn::FeatureNet::Load(files));
  }
  if (config.detector == Detector::kRfbThenSsd) {
    FG_ASSIGN_OR_RETURN(impl->rfb, nn::RfbNet::Load(files));
  }
  FG_ASSIGN_OR_RETURN(impl->ssd, nn::SsdNet::Load(files));
  FG_ASSIGN_OR_RETURN(impl->landmarks, nn::LandmarkNet::Load(files));
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Result<std::vector<Face>> Engine::Detect(const Grant& grant, const cv::Mat& rgb,
                                         StageTimings* timings) {
  FG_RETURN_IF_ERROR(CheckGrant(grant));
  FG_RETURN_IF_ERROR(CheckImage(rgb));
  cv::Mat rgbf;
  FG_ASSIGN_OR_RETURN(std::vector<Detection> dets,
                      DetectStage(*impl_, rgb, &rgbf, timings));
  const auto t0 = Clock::now();
  std::vector<Face> faces;
  faces.reserve(dets.size());
  for (const Detection& d : dets) {
    FG_ASSIGN_OR_RETURN(Face f, LandmarkStage(*impl_->landmarks, rgbf, d));
    faces.push_back(f);
  }
  SortLargestFirst(faces);
  if (timings) timings->landmarks_ms = MsSince(t0);
  return faces;
}

Result<std::vector<Detection>> Engine::DetectInArea(const Grant& grant, const cv::Mat& rgb,
                                                    const CollectionArea& area, StageTimings* timings,
                                                    int* dropped) {
  if (dropped) *dropped = 0;
  FG_RETURN_IF_ERROR(CheckGrant(grant));
  FG_RETURN_IF_ERROR(CheckImage(rgb));
  FG_RETURN_IF_ERROR(area.Check());
  cv::Mat rgbf;
  FG_ASSIGN_OR_RETURN(std::vector<Detection> dets,
                      DetectStage(*impl_, rgb, &rgbf, timings));
  // A face outside the area goes no further than its box: no landmark, template or output (D2).
  const auto outside = std::remove_if(dets.begin(), dets.end(), [&](const Detection& d) {
    return !area.Contains(d.box, rgb.size());
  });
  if (dropped) *dropped = static_cast<int>(dets.end() - outside);
  dets.erase(outside, dets.end());
  // Detect's order (SortLargestFirst): largest box first, ties higher score first.
  std::stable_sort(dets.begin(), dets.end(), [](const Detection& a, const Detection& b) {
    const float aa = a.box.area(), ab = b.box.area();
    if (aa != ab) return aa > ab;
    return a.score > b.score;
  });
  return dets;
}

Result<Face> Engine::Landmark(const Grant& grant, const cv::Mat& rgb, const Detection& detection,
                              StageTimings* timings) {
  FG_RETURN_IF_ERROR(CheckGrant(grant));
  FG_RETURN_IF_ERROR(CheckImage(rgb));
  const cv::Rect2f& b = detection.box;
  if (!std::isfinite(b.x) || !std::isfinite(b.y) || !std::isfinite(b.width) || !std::isfinite(b.height) ||
      b.width <= 0 || b.height <= 0) {
    return Status::InvalidInput("the detection has an empty or invalid box; pass a detection from "
                                "DetectInArea on this image");
  }
  const auto t0 = Clock::now();
  FG_ASSIGN_OR_RETURN(Face face, LandmarkStage(*impl_->landmarks, ToFloatRgb(rgb), detection));
  if (timings) timings->landmarks_ms = MsSince(t0);
  return face;
}

Result<Template> Engine::Extract(const Grant& grant, const cv::Mat& rgb, const Face& face,
                                 StageTimings* timings) {
  FG_RETURN_IF_ERROR(CheckGrant(grant));
  FG_RETURN_IF_ERROR(CheckImage(rgb));
  for (const auto& p : face.landmarks) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      return Status::InvalidInput("the face has invalid landmarks; pass a face from Detect");
    }
  }
  auto t0 = Clock::now();
  const bool feature = impl_->feature != nullptr;
  const cv::Mat chip = feature ? FivePointChip(ToFloatRgb(rgb), face.landmarks)
                               : RecognitionChip(ToFloatRgb(rgb), face.landmarks, impl_->config.align);
  if (chip.empty()) {
    return Status::InvalidInput("the face lies outside the image; pass a face detected on it");
  }
  if (timings) timings->align_ms = MsSince(t0);
  t0 = Clock::now();
  std::array<float, kTemplateDim> values;
  if (feature) {
    FG_ASSIGN_OR_RETURN(auto raw, impl_->feature->Run(chip));
    values = ProjectFeature(raw);
    std::fill(raw.begin(), raw.end(), 0.f);  // the unprojected vector identifies as well (REQ S2)
  } else {
    FG_ASSIGN_OR_RETURN(values, impl_->recognition->Run(chip));
  }
  if (timings) timings->embed_ms = MsSince(t0);
  return Template(values, impl_->model_version);
}

Result<FaceQuality> Engine::Quality(const Grant& grant, const cv::Mat& rgb, const Face& face) {
  FG_RETURN_IF_ERROR(CheckGrant(grant));
  FG_RETURN_IF_ERROR(CheckImage(rgb));
  for (const auto& p : face.landmarks) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      return Status::InvalidInput("the face has invalid landmarks; pass a face from Detect");
    }
  }
  return AssessQuality(rgb, face.landmarks);
}

const std::string& Engine::model_version() const {
  return impl_->model_version;
}
const EngineConfig& Engine::config() const {
  return impl_->config;
}

}  // namespace facegate::vision
