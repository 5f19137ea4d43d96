#include "nn/model_files.h"

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace facegate::nn {
namespace {

constexpr const char* kInstallHint = "run scripts/install-models.sh (or `facegate models install`)";

bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> ReadWholeFile(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + file);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Internal("error while reading " + file);
  return ss.str();
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof digest);
  for (unsigned char b : digest) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex;
}

}  // namespace

Result<ModelFiles> ModelFiles::Open(const std::string& model_dir, const std::string& lock_file) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  auto lock = ReadWholeFile(lock_file);
  if (!lock.ok()) {
    return Status::NotFound("model lock file " + lock_file +
                            " not found; pass the models.lock of the facegate source tree");
  }
  ModelFiles files;
  files.model_dir_ = model_dir;
  files.lock_file_ = lock_file;
  std::istringstream lines(*lock);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream fields(line);
    std::string package, version, path, sha, extra;
    fields >> package >> version >> path >> sha;
    const std::string where = lock_file + " line " + std::to_string(number);
    if (sha.empty() || (fields >> extra)) {
      return Status::InvalidInput(
          where + ": expected 4 fields 'package version path sha256', got: " + line);
    }
    if (!IsHex64(sha)) {
      return Status::InvalidInput(where + ": sha256 must be 64 lowercase hex digits, got '" + sha +
                                  "'");
    }
    if (path.find("..") != std::string::npos || path.front() == '/') {
      return Status::InvalidInput(where + ": path '" + path + "' must stay inside the package");
    }
    auto [it, fresh] = files.versions_.emplace(package, version);
    if (!fresh && it->second != version) {
      return Status::InvalidInput(where + ": package " + package + " pinned at two versions (" +
                                  it->second + " and " + version + ")");
    }
    if (!files.pins_.emplace(std::make_pair(package, path), Pin{version, sha}).second) {
      return Status::InvalidInput(where + ": " + package + " " + path + " pinned twice");
    }
  }
  if (files.pins_.empty()) {
    return Status::InvalidInput(lock_file +
                                " pins no model files; restore it from the source tree");
  }
  for (const auto& [key, pin] : files.pins_) {
    const std::string file = files.PathOf(key.first, key.second);
    if (!std::filesystem::is_regular_file(file)) {
      return Status::NotFound("model file " + file + " is missing; " + kInstallHint);
    }
  }
  return files;
}

std::vector<std::pair<std::string, std::string>> ModelFiles::Pinned() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, pin] : pins_) out.push_back(key);
  return out;
}

std::string ModelFiles::PathOf(const std::string& package, const std::string& path) const {
  auto it = versions_.find(package);
  const std::string version = it == versions_.end() ? "?" : it->second;
  return (std::filesystem::path(model_dir_) / (package + "@" + version) / path).string();
}

Result<std::string> ModelFiles::PackageVersion(const std::string& package) const {
  auto it = versions_.find(package);
  if (it == versions_.end()) {
    return Status::NotFound("package " + package + " is not pinned in " + lock_file_);
  }
  return package + "@" + it->second;
}

Result<std::string> ModelFiles::Read(const std::string& package, const std::string& path) const {
  auto it = pins_.find({package, path});
  if (it == pins_.end()) {
    return Status::NotFound(package + " " + path + " is not pinned in " + lock_file_ +
                            "; only pinned model files can be loaded");
  }
  const std::string file = PathOf(package, path);
  auto data = ReadWholeFile(file);
  if (!data.ok()) return Status::NotFound("model file " + file + " is missing; " + kInstallHint);
  const std::string actual = Sha256Hex(*data);
  if (actual != it->second.sha256_hex) {
    return Status::Integrity("model file " + file + " has sha256 " + actual + " but " + lock_file_ +
                             " pins " + it->second.sha256_hex +
                             "; refusing to load it. Delete it and " + kInstallHint);
  }
  return std::move(data).value();
}

}  // namespace facegate::nn
