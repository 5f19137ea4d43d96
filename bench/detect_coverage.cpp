// Share of the facedata photos (all LFW + UTKFace) in which no face is found:
// by face-api's plain SSD pass and by the Engine's detector (plain pass, then
// a framed retry). Research use of labelled data under a research grant (REQ P3).
//   build-*/bench/detect_coverage [facedata_dir]
#include <facegate/vision.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "nn/model_files.h"
#include "nn/nets.h"
#include "policy/gate.h"
#include "vision/image_ops.h"
#include "vision/pipeline.h"

namespace fs = std::filesystem;
using namespace facegate;

namespace {

std::vector<std::string> Photos(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".jpg") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Tally {
  int photos = 0, plain_missed = 0, engine_missed = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string root = argc > 1 ? argv[1] : FACEGATE_FACEDATA;
  vision::EngineConfig config;
  config.model_dir = FACEGATE_MODELS;
  config.lock_file = FACEGATE_LOCK;
  auto engine = vision::Engine::Load(config);
  auto files = nn::ModelFiles::Open(config.model_dir, config.lock_file);
  if (!engine.ok() || !files.ok()) {
    std::fprintf(stderr, "cannot load the models: %s\n",
                 (!engine.ok() ? engine.status() : files.status()).ToString().c_str());
    return 1;
  }
  auto ssd = nn::SsdNet::Load(*files);
  if (!ssd.ok()) return 1;
  const Grant grant = policy::Gate::AuthorizeResearch("facedata: lfw + utkface detection coverage");
  const auto t0 = std::chrono::steady_clock::now();
  Tally total;
  for (const std::string set : {"lfw", "utkface"}) {
    Tally t;
    for (const std::string& path : Photos(root + "/" + set)) {
      auto img = vision::ReadImageFile(path);
      if (!img.ok()) {
        std::fprintf(stderr, "%s\n", img.status().ToString().c_str());
        return 1;
      }
      ++t.photos;
      auto plain = vision::DetectSsdPass(**ssd, vision::ToFloatRgb(*img), 0.5f);
      if (plain.ok() && plain->empty()) ++t.plain_missed;
      auto faces = (*engine)->Detect(grant, *img);
      if (!faces.ok()) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), faces.status().ToString().c_str());
        return 1;
      }
      if (faces->empty()) {
        ++t.engine_missed;
        std::printf("no face: %s\n", path.c_str());
      }
    }
    std::printf(
        "%-8s photos %4d  no face: face-api plain pass %4d (%5.2f%%)  engine %3d (%5.2f%%)\n",
        set.c_str(), t.photos, t.plain_missed, 100.0 * t.plain_missed / t.photos, t.engine_missed,
        100.0 * t.engine_missed / t.photos);
    total.photos += t.photos;
    total.plain_missed += t.plain_missed;
    total.engine_missed += t.engine_missed;
  }
  std::printf("%-8s photos %4d  no face: face-api plain pass %4d (%5.2f%%)  engine %3d (%5.2f%%)\n",
              "all", total.photos, total.plain_missed, 100.0 * total.plain_missed / total.photos,
              total.engine_missed, 100.0 * total.engine_missed / total.photos);
  std::printf("elapsed %.0f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}
