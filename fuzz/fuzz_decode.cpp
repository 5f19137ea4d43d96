// Fuzzes facegate::vision::DecodeImage (src/vision/decode.cpp): the header checks,
// then OpenCV's imdecode (libjpeg / libpng from Debian, not instrumented: a crash
// or an ASan-intercepted overflow in them is still caught, but they give no
// coverage feedback) and the EXIF orientation. Limits are small (4 MP) so one input
// cannot exhaust the fuzzer's memory. PNG chunk CRCs are rewritten before decoding
// (WithPngCrcs) so libpng reads the mutated chunks instead of refusing them.
#include <facegate/vision.h>

#include <cstddef>
#include <cstdint>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "check.h"
#include "vision/image_header.h"

namespace {

uint32_t Crc32(const char* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= static_cast<unsigned char>(p[i]);
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
  }
  return c ^ 0xFFFFFFFFu;
}

// libpng refuses a chunk whose CRC is wrong before it reads the chunk, and a
// mutation almost never keeps the CRC right (a first 60 s run without this logged
// about 30,000 CRC errors from libpng). So the CRCs of a PNG input are rewritten
// before decoding; the header parser ignores them anyway.
std::string WithPngCrcs(std::string b) {
  if (b.size() < 8 || b.compare(0, 8, "\x89PNG\r\n\x1a\n", 8) != 0) return b;
  for (size_t pos = 8; pos + 12 <= b.size();) {
    const auto* u = reinterpret_cast<const unsigned char*>(b.data() + pos);
    const size_t len = (size_t{u[0]} << 24) | (size_t{u[1]} << 16) | (size_t{u[2]} << 8) | u[3];
    if (len > b.size() - pos - 12) break;
    const uint32_t crc = Crc32(b.data() + pos + 4, len + 4);  // type and data
    for (int k = 0; k < 4; ++k) b[pos + 8 + len + k] = static_cast<char>(crc >> (24 - 8 * k));
    pos += 12 + len;
  }
  return b;
}

facegate::vision::DecodeLimits Limits() {
  facegate::vision::DecodeLimits limits;
  limits.max_bytes = 1 << 20;      // larger than any input the fuzzer makes (-max_len)
  limits.max_pixels = 4'000'000;  // 4 MP: at most 12 MB of BGR, then 12 MB of RGB
  return limits;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cv::setNumThreads(0);  // decode on the fuzzer's thread (2 shared cores)
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = WithPngCrcs(std::string(reinterpret_cast<const char*>(data), size));
  const std::string_view bytes(input);
  static const facegate::vision::DecodeLimits limits = Limits();

  auto image = facegate::vision::DecodeImage(bytes, limits);
  if (!image.ok()) {
    FUZZ_CHECK(image.status().kind() == facegate::ErrorKind::kInvalidInput,
               "bad bytes are the client's error");
    return 0;
  }
  const cv::Mat& m = *image;
  FUZZ_CHECK(!m.empty() && m.type() == CV_8UC3, "decoded images are 8-bit, 3 channels");
  FUZZ_CHECK(int64_t{m.rows} * m.cols <= limits.max_pixels, "the pixel limit holds");

  // The decoded size is the header's, turned for EXIF orientations 5..8.
  auto header = facegate::vision::ReadImageHeader(bytes);
  FUZZ_CHECK(header.ok(), "a decoded image has a readable header");
  int64_t w = header->width, h = header->height;
  if (header->orientation >= 5) std::swap(w, h);
  FUZZ_CHECK(m.cols == w && m.rows == h, "decoded size matches the header");
  return 0;
}
