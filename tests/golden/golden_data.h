// Reads the reference data written by tools/reference/make-golden.js (face-api 1.7.15 on
// tfjs-backend-wasm) into FACEGATE_GOLDEN: index.json plus raw float32 / uint8 files.
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace facegate::golden {

// Directory of the golden data (the FACEGATE_GOLDEN compile definition).
std::string Dir();

// index.json, parsed once. Fails the calling test (ADD_FAILURE) and returns null JSON when the
// data are missing, saying how to generate them.
const nlohmann::json& Index();

// Raw little-endian float32 file of exactly `count` values (fails the test otherwise).
std::vector<float> ReadF32(const std::string& name, size_t count);

// A HxWx3 float32 file as a CV_32FC3 image (values 0..255 RGB, as the net saw them).
cv::Mat ReadTensorImage(const std::string& name, int height, int width);

// The jpeg-js decoded image: CV_8UC3 RGB, height x width.
cv::Mat ReadRgb(const std::string& name, int width, int height);

// The bytes of a file in the golden directory.
std::string ReadBytes(const std::string& name);

// Index entries of one net ("ssd_mobilenetv1", "face_landmark_68", "face_recognition", "feature", ...).
std::vector<nlohmann::json> NetCases(const std::string& net);

// Maximum absolute difference of two equally long float ranges.
float MaxAbsDiff(const float* a, const float* b, size_t n);

// Cosine of the angle between two equally long float vectors (in double).
double Cosine(const float* a, const float* b, size_t n);

}  // namespace facegate::golden
