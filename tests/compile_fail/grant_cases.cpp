// Compiled by CTest with one CASE_* macro defined; every case but CASE_CONTROL
// must fail to compile (see CMakeLists.txt). REQ C1: no extraction without a Grant.
#include <facegate/grant.h>
#include <facegate/template.h>
#include <facegate/vision.h>

#include "policy/gate.h"

using namespace facegate;

void Use(vision::Engine& engine, const cv::Mat& rgb, const vision::Face& face) {
#if defined(CASE_CONTROL)
  Grant g = policy::Gate::AuthorizeResearch("control");
  auto faces = engine.Detect(g, rgb);
  auto t = engine.Extract(g, rgb, face);
  auto live = engine.Liveness(g, rgb, face, vision::LivenessThresholds{});
  (void)faces;
  (void)t;
  (void)live;
  AnalysisGrant a = policy::Gate::AuthorizeResearchAnalysis("control");
  InferenceGrant d = policy::Gate::AuthorizeResearchInference("control", SensitiveInference::kDrowsiness);
  auto frame = engine.AnalyzeFrame(a, d, rgb, vision::AnalysisOptions{});
  auto eyes = engine.EyeStates(d, rgb);
  (void)frame;
  (void)eyes;
#elif defined(CASE_CONSTRUCT_GRANT)
  Grant g(Operation::kEnrol, "S1", "office-entry", 1, "forged");
  (void)engine.Extract(g, rgb, face);
#elif defined(CASE_EXTRACT_WITHOUT_GRANT)
  (void)engine.Extract(rgb, face);
#elif defined(CASE_DETECT_WITHOUT_GRANT)
  (void)engine.Detect(rgb);
#elif defined(CASE_FAKE_GRANT)
  struct LookAlike {
    Operation operation() const { return Operation::kEnrol; }
  } fake;
  (void)engine.Extract(fake, rgb, face);
#elif defined(CASE_COPY_GRANT)
  Grant g = policy::Gate::AuthorizeResearch("control");
  Grant copy = g;
  (void)copy;
#elif defined(CASE_ANALYSIS_GRANT_EXTRACTS)
  AnalysisGrant a = policy::Gate::AuthorizeResearchAnalysis("control");
  (void)engine.Extract(a, rgb, face);
#elif defined(CASE_LIVENESS_WITHOUT_GRANT)
  (void)engine.Liveness(rgb, face, vision::LivenessThresholds{});
#elif defined(CASE_ANALYSIS_GRANT_LIVENESS)
  AnalysisGrant a = policy::Gate::AuthorizeResearchAnalysis("control");
  (void)engine.Liveness(a, rgb, face, vision::LivenessThresholds{});
#elif defined(CASE_ANALYZE_FRAME_WITH_A_VERIFICATION_GRANT)
  Grant g = policy::Gate::AuthorizeResearch("control");
  InferenceGrant d = policy::Gate::AuthorizeResearchInference("control", SensitiveInference::kDrowsiness);
  (void)engine.AnalyzeFrame(g, d, rgb, vision::AnalysisOptions{});
#elif defined(CASE_CONSTRUCT_ANALYSIS_GRANT)
  AnalysisGrant a("shop-count", "forged");
  (void)a;
#elif defined(CASE_ANALYSIS_GRANT_INFERS_EYE_STATE)
  AnalysisGrant a = policy::Gate::AuthorizeResearchAnalysis("control");
  (void)engine.EyeStates(a, rgb);
#elif defined(CASE_CONSTRUCT_INFERENCE_GRANT)
  InferenceGrant d("driver-monitor", "forged", SensitiveInference::kDrowsiness);
  (void)d;
#elif defined(CASE_CONSTRUCT_TEMPLATE)
  Template t(std::array<float, kTemplateDim>{}, "forged");
  (void)t;
#else
#error "define one CASE_* macro"
#endif
}
