// DecodeImage / ReadImageFile: bytes to upright 8-bit RGB, refusing bad input
// with a message that says what is wrong and what to send instead.
#include <atomic>
#include <facegate/vision.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "vision/image_header.h"

namespace facegate::vision {
namespace {

std::string Megabytes(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

std::string Megapixels(double pixels) {
  char buf[32];
  const double mp = pixels / 1e6;
  std::snprintf(buf, sizeof buf, mp >= 10 ? "%.0f MP" : "%.1f MP", mp);
  return buf;
}

}  // namespace

namespace {
std::atomic<uint64_t> g_decode_calls{0};
}  // namespace

uint64_t DecodedImageCount() { return g_decode_calls.load(std::memory_order_relaxed); }

Result<cv::Mat> DecodeImage(std::string_view bytes, const DecodeLimits& limits) {
  g_decode_calls.fetch_add(1, std::memory_order_relaxed);
  if (bytes.empty()) {
    return Status::InvalidInput("the image is empty (0 bytes); send a JPEG, PNG, WebP or BMP photo");
  }
  if (static_cast<int64_t>(bytes.size()) > limits.max_bytes) {
    return Status::InvalidInput("the image is " + Megabytes(bytes.size()) + ", above the " +
                                Megabytes(limits.max_bytes) + " limit; send a smaller photo");
  }
  FG_ASSIGN_OR_RETURN(ImageHeader header, ReadImageHeader(bytes));
  // Checked from the header, before decoding: a small file can claim a huge image.
  // Divided, not multiplied: a PNG's two 32-bit sizes overflow int64_t (fuzz_decode).
  if (header.width > limits.max_pixels / header.height) {
    const double pixels = static_cast<double>(header.width) * static_cast<double>(header.height);
    return Status::InvalidInput("image is " + std::to_string(header.width) + "x" +
                                std::to_string(header.height) + " = " + Megapixels(pixels) +
                                ", above the " + Megapixels(limits.max_pixels) +
                                " limit; send a smaller photo");
  }
  // libjpeg fills a cut-short file with grey and only warns; refuse it instead.
  if (!header.complete) {
    return Status::InvalidInput("could not decode: the file is truncated or corrupt");
  }
  cv::Mat bgr;
  try {
    const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    // IMREAD_COLOR: grey and RGBA become 3 channels, 16-bit becomes 8-bit. Orientation
    // is applied below from our own EXIF parse, the same for every format. OpenCV picks
    // its decoder by the magic bytes, as ReadImageHeader did, never by a file name.
    bgr = cv::imdecode(buf, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
  } catch (const cv::Exception&) {
    bgr.release();
  }
  if (bgr.empty() || bgr.cols != header.width || bgr.rows != header.height) {
    return Status::InvalidInput("could not decode: the file is truncated or corrupt");
  }
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return ApplyOrientation(rgb, header.orientation);
}

Result<cv::Mat> ReadImageFile(const std::string& path, const DecodeLimits& limits) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound("no image file at " + path + "; check the path");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::NotFound("cannot read " + path + ": " + ec.message());
  if (static_cast<int64_t>(size) > limits.max_bytes) {
    return Status::InvalidInput(path + " is " + Megabytes(size) + ", above the " +
                                Megabytes(limits.max_bytes) + " limit; send a smaller photo");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path + "; check its permissions");
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) {
    return Status::Internal("could not read all of " + path);
  }
  auto img = DecodeImage(bytes, limits);
  if (!img.ok()) return Status(img.status().kind(), path + ": " + img.status().message());
  return img;
}

}  // namespace facegate::vision
