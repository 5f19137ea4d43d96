// Engine's private state, in a header so the parts of Engine defined in other
// files (attributes.cpp: Analyze) share it. Not part of the public API.
#pragma once

#include <facegate/vision.h>

#include <memory>
#include <mutex>
#include <string>

#include "nn/model_files.h"
#include "nn/nets.h"
#include "vision/eyes.h"
#include "vision/pipeline.h"

namespace facegate::vision {

// The attribute nets, loaded on the first Analyze so engines that only verify or
// identify do not pay for them (vision/attributes.cpp).
struct AttributeNets {
  std::unique_ptr<nn::AgeGenderNet> age_gender;
  std::unique_ptr<nn::ExpressionNet> expression;
};

// The liveness nets (vision/liveness.cpp): the shipped check, loaded on the first Liveness or
// ScoreLiveness call; human-models' two, for measurement, on the first ScoreLiveness call only.
struct LivenessNets {
  std::unique_ptr<nn::FrLivenessNet> fr;
  std::unique_ptr<nn::AntiSpoofNet> antispoof;
  std::unique_ptr<nn::LivenessNet> liveness;
};

struct Engine::Impl {
  EngineConfig config;
  std::string model_version;
  std::unique_ptr<nn::RfbNet> rfb;  // null with Detector::kSsd
  std::unique_ptr<nn::SsdNet> ssd;
  std::unique_ptr<nn::LandmarkNet> landmarks;
  std::unique_ptr<nn::RecognitionNet> recognition;  // Recognizer::kFaceApi
  std::unique_ptr<nn::FeatureNet> feature;          // Recognizer::kFeatureNet
  DetectStrategy strategy;

  // Attribute nets: loaded once, under attributes_once; attributes_status keeps a load error.
  std::once_flag attributes_once;
  Status attributes_status = Status::Ok();
  AttributeNets attributes;

  // Liveness nets: each group loaded once, under its once_flag; its status keeps a load error.
  std::once_flag liveness_once, human_liveness_once;
  Status liveness_status = Status::Ok(), human_liveness_status = Status::Ok();
  LivenessNets liveness;

  // The eye and iris nets (vision/eyes.cpp): loaded on the first EyeStates or AnalyzeFrame,
  // under eye_once.
  std::once_flag eye_once;
  Status eye_status = Status::Ok();
  std::unique_ptr<nn::EyeNet> eye;
  std::unique_ptr<nn::IrisNet> iris;
};

// The eye-state nets, loaded once; the load error, if any, every time after.
// (A template over the engine's private Impl, which only Engine's members can name.)
template <class EngineImpl>
Result<EyeNets> EnsureEyeNets(EngineImpl& impl) {
  std::call_once(impl.eye_once, [&impl] {
    auto load = [&impl]() -> Status {
      FG_ASSIGN_OR_RETURN(nn::ModelFiles files, nn::ModelFiles::Open(impl.config.model_dir, impl.config.lock_file));
      FG_ASSIGN_OR_RETURN(impl.eye, nn::EyeNet::Load(files));
      FG_ASSIGN_OR_RETURN(impl.iris, nn::IrisNet::Load(files));
      return Status::Ok();
    };
    impl.eye_status = load();
  });
  FG_RETURN_IF_ERROR(impl.eye_status);
  return EyeNets{impl.eye.get(), impl.iris.get()};
}

}  // namespace facegate::vision
