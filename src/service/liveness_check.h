// The per-purpose liveness requirement applied by Enrol and Verify (docs/liveness.md): when the
// purpose asks for it, the face must be judged REAL before any template is extracted.
#pragma once

#include <facegate/records.h>
#include <facegate/status.h>
#include <facegate/vision.h>

#include <nlohmann/json.hpp>
#include <optional>

namespace facegate::service {

// Runs the liveness check of `face` when `purpose` requires it at `op` (kEnrol or kVerify) and
// stores the result in `out`; nothing is run (and `out` stays empty) otherwise. A face judged
// SPOOF or UNSURE gives kInvalidInput saying what was found and what to do: present the live
// face, retake, or use one of the purpose's alternatives.
Status RequireLiveness(vision::Engine& engine, const Grant& grant, const cv::Mat& rgb,
                       const vision::Face& face, const PurposeRecord& purpose, Operation op,
                       const vision::LivenessThresholds& thresholds,
                       std::optional<vision::LivenessResult>* out);

// {"verdict": "real|spoof|unsure", "score": p}: the CLI's --json, the REST
// API and the audit detail use this one shape.
nlohmann::json LivenessJson(const vision::LivenessResult& r);

}  // namespace facegate::service
