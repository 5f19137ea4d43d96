#include "vision/image_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace facegate::vision {

cv::Mat ToFloatRgb(const cv::Mat& rgb) {
  cv::Mat out;
  rgb.convertTo(out, CV_32F);
  return out;
}

cv::Mat ResizeBilinearTf(const cv::Mat& src, int out_width, int out_height) {
  CV_Assert(src.depth() == CV_32F && out_width > 0 && out_height > 0);
  const int in_h = src.rows, in_w = src.cols, ch = src.channels();
  cv::Mat dst(out_height, out_width, src.type());
  // Same arithmetic as tfjs-backend-cpu's resizeBilinear (doubles, then float32).
  const double row_ratio = static_cast<double>(in_h) / out_height;
  const double col_ratio = static_cast<double>(in_w) / out_width;
  std::vector<int> c0(out_width), c1(out_width);
  std::vector<double> cf(out_width);
  for (int x = 0; x < out_width; ++x) {
    const double sx = col_ratio * x;
    c0[x] = std::max(0, static_cast<int>(std::floor(sx)));
    c1[x] = std::min(in_w - 1, static_cast<int>(std::ceil(sx)));
    cf[x] = sx - c0[x];
  }
  for (int y = 0; y < out_height; ++y) {
    const double sy = row_ratio * y;
    const int r0 = std::max(0, static_cast<int>(std::floor(sy)));
    const int r1 = std::min(in_h - 1, static_cast<int>(std::ceil(sy)));
    const double rf = sy - r0;
    const float* top = src.ptr<float>(r0);
    const float* bot = src.ptr<float>(r1);
    float* out = dst.ptr<float>(y);
    for (int x = 0; x < out_width; ++x) {
      for (int c = 0; c < ch; ++c) {
        const double tl = top[c0[x] * ch + c], tr = top[c1[x] * ch + c];
        const double bl = bot[c0[x] * ch + c], br = bot[c1[x] * ch + c];
        const double t = tl + (tr - tl) * cf[x];
        const double b = bl + (br - bl) * cf[x];
        out[x * ch + c] = static_cast<float>(t + (b - t) * rf);
      }
    }
  }
  return dst;
}

namespace {

template <typename T>
void ResizePaddedRows(const cv::Mat& src, int side, int out, cv::Mat& dst) {
  const int in_h = src.rows, in_w = src.cols;
  const double ratio = static_cast<double>(side) / out;
  std::vector<int> c0(out), c1(out);
  std::vector<double> cf(out);
  for (int x = 0; x < out; ++x) {
    const double sx = ratio * x;
    c0[x] = std::max(0, static_cast<int>(std::floor(sx)));
    c1[x] = std::min(side - 1, static_cast<int>(std::ceil(sx)));
    cf[x] = sx - c0[x];
  }
  std::vector<double> zeros(3 * static_cast<size_t>(in_w), 0.0);
  auto px = [&](const T* row, int col, int c) -> double {
    return (row == nullptr || col >= in_w) ? 0.0 : static_cast<double>(row[col * 3 + c]);
  };
  for (int y = 0; y < out; ++y) {
    const double sy = ratio * y;
    const int r0 = std::max(0, static_cast<int>(std::floor(sy)));
    const int r1 = std::min(side - 1, static_cast<int>(std::ceil(sy)));
    const double rf = sy - r0;
    const T* top = r0 < in_h ? src.ptr<T>(r0) : nullptr;
    const T* bot = r1 < in_h ? src.ptr<T>(r1) : nullptr;
    float* o = dst.ptr<float>(y);
    for (int x = 0; x < out; ++x) {
      for (int c = 0; c < 3; ++c) {
        const double tl = px(top, c0[x], c), tr = px(top, c1[x], c);
        const double bl = px(bot, c0[x], c), br = px(bot, c1[x], c);
        const double t = tl + (tr - tl) * cf[x];
        const double b = bl + (br - bl) * cf[x];
        o[x * 3 + c] = static_cast<float>(t + (b - t) * rf);
      }
    }
  }
}

}  // namespace

cv::Mat ResizeBilinearTfPaddedSquare(const cv::Mat& src, int side, int out) {
  CV_Assert((src.type() == CV_8UC3 || src.type() == CV_32FC3) && side >= src.cols &&
            side >= src.rows && out > 0);
  cv::Mat dst(out, out, CV_32FC3);
  if (src.depth() == CV_8U)
    ResizePaddedRows<uint8_t>(src, side, out, dst);
  else
    ResizePaddedRows<float>(src, side, out, dst);
  return dst;
}

PaddedSquare PadToSquare(const cv::Mat& src, PadPlacement placement) {
  PaddedSquare out;
  const int w = src.cols, h = src.rows;
  if (w == h) {
    out.image = src;
    return out;
  }
  const int diff = std::abs(w - h);
  // face-api: append = round(diff * (centred ? 0.5 : 1)), prepend = the rest.
  const int after =
      placement == PadPlacement::kCentred ? static_cast<int>(std::floor(diff * 0.5 + 0.5)) : diff;
  const int before = diff - after;
  if (w < h) {
    out.offset_x = before;
    cv::copyMakeBorder(src, out.image, 0, 0, before, after,
                       cv::BORDER_CONSTANT | cv::BORDER_ISOLATED, cv::Scalar::all(0));
  } else {
    out.offset_y = before;
    cv::copyMakeBorder(src, out.image, before, after, 0, 0,
                       cv::BORDER_CONSTANT | cv::BORDER_ISOLATED, cv::Scalar::all(0));
  }
  return out;
}

cv::Mat CropClipped(const cv::Mat& image, const cv::Rect2f& box, cv::Rect* used) {
  const int x = static_cast<int>(std::floor(box.x)), y = static_cast<int>(std::floor(box.y));
  const int w = static_cast<int>(std::floor(box.width));
  const int h = static_cast<int>(std::floor(box.height));
  const int cx = std::max(x, 0), cy = std::max(y, 0);
  const int cw = std::min(x + w - cx, image.cols - cx);
  const int ch = std::min(y + h - cy, image.rows - cy);
  if (cw <= 0 || ch <= 0) {
    if (used) *used = cv::Rect();
    return cv::Mat();
  }
  const cv::Rect r(cx, cy, cw, ch);
  if (used) *used = r;
  return image(r);
}

}  // namespace facegate::vision
