#include "golden_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace facegate::golden {

std::string Dir() { return FACEGATE_GOLDEN; }

std::string ReadBytes(const std::string& name) {
  const std::string path = Dir() + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path
                  << "; generate the golden data: ctest -R golden.generate (or node "
                     "tools/reference/make-golden.js "
                  << Dir() << ")";
    return {};
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const nlohmann::json& Index() {
  static const nlohmann::json index = [] {
    const std::string bytes = ReadBytes("index.json");
    if (bytes.empty()) return nlohmann::json();
    return nlohmann::json::parse(bytes);
  }();
  return index;
}

std::vector<float> ReadF32(const std::string& name, size_t count) {
  const std::string bytes = ReadBytes(name);
  if (bytes.size() != count * sizeof(float)) {
    ADD_FAILURE() << name << " has " << bytes.size() << " bytes, expected " << count * sizeof(float)
                  << " (" << count << " float32); regenerate the golden data";
    return {};
  }
  std::vector<float> v(count);
  std::memcpy(v.data(), bytes.data(), bytes.size());  // little-endian host, as the files
  return v;
}

cv::Mat ReadTensorImage(const std::string& name, int height, int width) {
  std::vector<float> v = ReadF32(name, static_cast<size_t>(height) * width * 3);
  if (v.empty()) return {};
  return cv::Mat(height, width, CV_32FC3, v.data()).clone();
}

cv::Mat ReadRgb(const std::string& name, int width, int height) {
  const std::string bytes = ReadBytes(name);
  if (bytes.size() != static_cast<size_t>(width) * height * 3) {
    ADD_FAILURE() << name << " has " << bytes.size() << " bytes, expected " << width << "x" << height
                  << "x3";
    return {};
  }
  return cv::Mat(height, width, CV_8UC3, const_cast<char*>(bytes.data())).clone();
}

std::vector<nlohmann::json> NetCases(const std::string& net) {
  std::vector<nlohmann::json> out;
  const nlohmann::json& index = Index();
  if (index.is_null()) return out;
  for (const auto& c : index.at("nets")) {
    if (c.at("net") == net) out.push_back(c);
  }
  if (out.empty()) ADD_FAILURE() << "index.json has no cases for net " << net;
  return out;
}

double Cosine(const float* a, const float* b, size_t n) {
  double dot = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    dot += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return dot / std::sqrt(aa * bb);
}

float MaxAbsDiff(const float* a, const float* b, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

}  // namespace facegate::golden
