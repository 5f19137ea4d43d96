#include "service/liveness_check.h"

#include <cstdio>

namespace facegate::service {

nlohmann::json LivenessJson(const vision::LivenessResult& r) {
  return {{"verdict", vision::ToString(r.verdict)}, {"score", r.score}};
}

Status RequireLiveness(vision::Engine& engine, const Grant& grant, const cv::Mat& rgb,
                       const vision::Face& face, const PurposeRecord& purpose, Operation op,
                       const vision::LivenessThresholds& thresholds,
                       std::optional<vision::LivenessResult>* out) {
  out->reset();
  const bool required = op == Operation::kEnrol ? RequiresLivenessAtEnrol(purpose.liveness)
                                                : RequiresLivenessAtVerify(purpose.liveness);
  if (!required) return Status::Ok();
  FG_ASSIGN_OR_RETURN(vision::LivenessResult r, engine.Liveness(grant, rgb, face, thresholds));
  *out = r;
  if (r.verdict == vision::LivenessVerdict::kReal) return Status::Ok();
  // The scores stay in the audit detail; the message carries the verdict only, so a refused
  // caller cannot tune a forged photo against them (docs/security.md, "score oracle").
  std::string alternatives;
  for (const auto& a : purpose.alternatives) alternatives += (alternatives.empty() ? "" : ", ") + a;
  const std::string instead =
      alternatives.empty() ? "" : ", or use the alternative on offer: " + alternatives;
  const std::string what = op == Operation::kEnrol      ? "enrolment"
                           : op == Operation::kIdentify ? "identification"
                                                        : "verification";
  if (r.verdict == vision::LivenessVerdict::kSpoof) {
    return Status::InvalidInput(
        "purpose '" + purpose.name + "' requires a live face for " + what +
        " and this one looks like a photo, print or screen held up to the camera (liveness "
        "verdict: spoof); present your own face to the camera" + instead);
  }
  return Status::InvalidInput(
      "purpose '" + purpose.name + "' requires a live face for " + what +
      " and the liveness check could not confirm one (liveness verdict: unsure); retake facing the "
      "camera in even light with no photo or screen in view" + instead);
}

}  // namespace facegate::service
