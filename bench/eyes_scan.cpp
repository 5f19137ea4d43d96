// Lists the eye state Engine::EyeStates gives each photo (the face nearest the centre), to find
// the photos a labelled eyes file should hold, or those it judges wrong. Research grant, nothing stored. Usage: eyes_scan ROOT < paths.txt
// Prints path TAB state TAB left_open TAB right_open (state "no_face" when none was found).
#include <facegate/vision.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "policy/gate.h"

int main(int argc, char** argv) {
  using namespace facegate;
  if (argc != 2) {
    std::fprintf(stderr, "usage: eyes_scan ROOT < paths.txt\n");
    return 2;
  }
  vision::EngineConfig config;
  config.model_dir = FACEGATE_MODELS;
  config.lock_file = FACEGATE_LOCK;
  auto engine = vision::Engine::Load(config);
  if (!engine.ok()) {
    std::fprintf(stderr, "eyes_scan: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  const InferenceGrant grant =
      policy::Gate::AuthorizeResearchInference("eyes-scan", SensitiveInference::kDrowsiness);
  for (std::string rel; std::getline(std::cin, rel);) {
    if (rel.empty()) continue;
    auto rgb = vision::ReadImageFile(std::string(argv[1]) + "/" + rel);
    if (!rgb.ok()) {
      std::printf("%s\terror\t%s\n", rel.c_str(), rgb.status().message().c_str());
      continue;
    }
    auto faces = (*engine)->EyeStates(grant, *rgb);
    if (!faces.ok() || faces->empty()) {
      std::printf("%s\tno_face\t0\t0\n", rel.c_str());
      continue;
    }
    const cv::Point2f centre(rgb->cols / 2.f, rgb->rows / 2.f);
    const vision::EyeState* best = nullptr;
    double best_d = 1e18;
    for (const auto& f : *faces) {
      const double d = cv::norm(cv::Point2f(f.box.x + f.box.width / 2, f.box.y + f.box.height / 2) - centre);
      if (d < best_d) best_d = d, best = &f;
    }
    std::printf("%s\t%s\t%.3f\t%.3f\n", rel.c_str(), vision::ToString(best->state), best->left_open,
                best->right_open);
    std::fflush(stdout);
  }
  return 0;
}
