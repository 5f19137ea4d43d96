// Model files pinned in models.lock, read only after their sha256 matches, so
// the engine never runs a tampered or half-downloaded model (DESIGN: Models).
#pragma once

#include <facegate/status.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace facegate::nn {

// The model cache plus the pins of models.lock. Cheap to copy; reads files lazily.
class ModelFiles {
 public:
  // model_dir = cache root (contains "@vladmandic/face-api@1.7.15/model/..."); lock_file =
  // models.lock. Fails kNotFound (naming the missing file and telling to run
  // scripts/install-models.sh) or kInvalidInput for a malformed lock.
  static Result<ModelFiles> Open(const std::string& model_dir, const std::string& lock_file);

  // Reads e.g. "model/face_recognition_model.bin" of package "@vladmandic/face-api" and checks
  // its sha256 against the lock: kIntegrity (naming file, expected and actual digest, and what to
  // do) if it differs, kNotFound if the file is not pinned or missing.
  Result<std::string> Read(const std::string& package, const std::string& path) const;

  // The pinned "package@version", e.g. "@vladmandic/face-api@1.7.15"; kNotFound if not pinned.
  Result<std::string> PackageVersion(const std::string& package) const;

  // Every pinned (package, path), in lock order of package then path.
  std::vector<std::pair<std::string, std::string>> Pinned() const;

  // Absolute path of a pinned file in the cache (no check; for messages and tools).
  std::string PathOf(const std::string& package, const std::string& path) const;

 private:
  struct Pin {
    std::string version;
    std::string sha256_hex;
  };
  std::string model_dir_;
  std::string lock_file_;
  std::map<std::string, std::string> versions_;              // package -> version
  std::map<std::pair<std::string, std::string>, Pin> pins_;  // (package, path) -> pin
};

}  // namespace facegate::nn
