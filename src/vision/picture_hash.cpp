#include "vision/picture_hash.h"

#include <opencv2/imgproc.hpp>

namespace facegate::vision {

namespace {
constexpr int kHashW = 16, kHashH = 16;
}  // namespace

std::string PictureHash(const cv::Mat& rgb, const cv::Rect2f& box, bool mirror) {
  cv::Rect r = cv::Rect(box) & cv::Rect(0, 0, rgb.cols, rgb.rows);
  if (r.width < 4 || r.height < 4 || rgb.type() != CV_8UC3) return {};
  cv::Mat grey, small;
  cv::cvtColor(rgb(r), grey, cv::COLOR_RGB2GRAY);
  if (mirror) cv::flip(grey, grey, 1);
  cv::resize(grey, small, cv::Size(kHashW + 1, kHashH), 0, 0, cv::INTER_AREA);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(kHashW * kHashH / 4);
  for (int y = 0; y < kHashH; ++y)
    for (int x = 0; x < kHashW; x += 4) {
      int nibble = 0;
      for (int b = 0; b < 4; ++b)
        nibble = nibble << 1 | (small.at<uint8_t>(y, x + b) > small.at<uint8_t>(y, x + b + 1) ? 1 : 0);
      out += kHex[nibble];
    }
  return out;
}

int PictureHashDistance(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return 1 << 20;
  auto v = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  int d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += __builtin_popcount(static_cast<unsigned>(v(a[i]) ^ v(b[i])));
  return d;
}

}  // namespace facegate::vision
