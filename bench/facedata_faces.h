// Shared by the calibration tools: the engine loaded from the pinned models, the UTKFace crops,
// and a two-thread walk over photos that hands each one's labelled face (the one nearest the
// centre) to the caller, under the caller's research grant (REQ P3).
#pragma once

#include <facegate/vision.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "vision/detection.h"

namespace facegate::bench {

// The engine with `config`'s settings and the pinned models; null after printing why.
inline std::unique_ptr<vision::Engine> LoadEngine(vision::EngineConfig config = {}) {
  config.model_dir = FACEGATE_MODELS;
  config.lock_file = FACEGATE_LOCK;
  auto engine = vision::Engine::Load(config);
  if (!engine.ok()) {
    std::fprintf(stderr, "cannot load the models: %s\n", engine.status().ToString().c_str());
    return nullptr;
  }
  return std::move(engine).value();
}

// The UTKFace crops of a facedata folder, sorted.
inline std::vector<std::string> UtkFaceFiles(const std::string& root) {
  std::vector<std::string> files;
  for (const auto& f : std::filesystem::directory_iterator(root + "/utkface"))
    files.push_back(f.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// Calls fn(i, rgb, face) for every file whose photo decodes and has a face, on two threads;
// fn must only write to slot i of its own outputs.
inline void ForEachCentreFace(vision::Engine& engine, const Grant& grant,
                              const std::vector<std::string>& files,
                              const std::function<void(size_t, const cv::Mat&, const vision::Face&)>& fn) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < files.size();) {
      auto img = vision::ReadImageFile(files[i]);
      if (!img.ok()) continue;
      auto faces = engine.Detect(grant, *img);
      if (!faces.ok()) continue;
      const int c = vision::NearestToCentre(*faces, img->size());
      if (c >= 0) fn(i, *img, (*faces)[c]);
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
}

}  // namespace facegate::bench
