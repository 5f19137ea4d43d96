#include "vision/spoof_images.h"

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>
#include <vector>

namespace facegate::vision {

const char* ToString(SpoofKind kind) {
  switch (kind) {
    case SpoofKind::kPhotoInPhoto:
      return "photo_in_photo";
    case SpoofKind::kScreenMoire:
      return "screen_moire";
    case SpoofKind::kFlatPrint:
      return "flat_print";
  }
  return "?";
}

namespace {

// The photo as a print held in a hand: white border, a thumb over the lower border, a small
// perspective tilt, inside a blurred scene 1.6 times larger.
cv::Mat PhotoInPhoto(const cv::Mat& photo, const cv::Mat& scene, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(0.f, 1.f);
  const int border = std::max(4, photo.cols / 14);
  cv::Mat print;
  cv::copyMakeBorder(photo, print, border, border * 2, border, border, cv::BORDER_CONSTANT,
                     cv::Scalar(236, 234, 228));
  // A thumb: a skin-coloured ellipse over the lower border.
  const cv::Point thumb(static_cast<int>(print.cols * (0.3f + 0.4f * u(rng))), print.rows - border);
  cv::ellipse(print, thumb, cv::Size(border * 2, border * 3), 10, 0, 360, cv::Scalar(205, 160, 135),
              cv::FILLED, cv::LINE_AA);
  const int w = static_cast<int>(print.cols * 1.6f), h = static_cast<int>(print.rows * 1.6f);
  cv::Mat bg;
  if (scene.empty()) {
    bg = cv::Mat(h, w, CV_8UC3, cv::Scalar(120, 110, 100));
  } else {
    cv::resize(scene, bg, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  }
  cv::GaussianBlur(bg, bg, cv::Size(0, 0), std::max(w, h) / 25.0);  // no face survives this
  // Tilt: the corners of the print move by up to 6% of its size.
  const float jx = print.cols * 0.06f, jy = print.rows * 0.06f;
  const float ox = (w - print.cols) * (0.3f + 0.4f * u(rng));
  const float oy = (h - print.rows) * (0.3f + 0.4f * u(rng));
  std::vector<cv::Point2f> src = {{0, 0},
                                  {float(print.cols), 0},
                                  {float(print.cols), float(print.rows)},
                                  {0, float(print.rows)}};
  std::vector<cv::Point2f> dst;
  for (const auto& p : src) dst.push_back({ox + p.x + jx * (u(rng) - 0.5f) * 2, oy + p.y + jy * (u(rng) - 0.5f) * 2});
  const cv::Mat m = cv::getPerspectiveTransform(src, dst);
  cv::Mat mask(print.size(), CV_8U, cv::Scalar(255)), warped, warped_mask;
  cv::warpPerspective(print, warped, m, bg.size(), cv::INTER_LINEAR);
  cv::warpPerspective(mask, warped_mask, m, bg.size(), cv::INTER_LINEAR);
  warped.copyTo(bg, warped_mask);
  return bg;
}

// The photo on a screen, photographed: two pixel grids at a small angle beat into moire bands,
// plus a glare gradient, a blue cast and the screen's soft focus.
cv::Mat ScreenMoire(const cv::Mat& photo, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(0.f, 1.f);
  const float angle = 0.05f + 0.15f * u(rng);  // radians between screen and sensor grids
  const float pitch = 2.2f + 1.2f * u(rng);     // screen pixel pitch in image pixels
  const float depth = 0.25f + 0.1f * u(rng);
  const float ca = std::cos(angle), sa = std::sin(angle);
  cv::Mat out(photo.size(), CV_8UC3);
  cv::Mat soft;
  cv::GaussianBlur(photo, soft, cv::Size(0, 0), 0.8);
  const float two_pi = 6.2831853f;
  for (int y = 0; y < photo.rows; ++y) {
    const cv::Vec3b* in = soft.ptr<cv::Vec3b>(y);
    cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < photo.cols; ++x) {
      const float xs = x * ca + y * sa, ys = -x * sa + y * ca;  // screen coordinates
      // Sub-pixel stripes R, G, B across each screen pixel and dark rows between pixel rows,
      // sampled by the sensor's grid: aliasing gives the moire.
      const float row = 0.5f + 0.5f * std::cos(two_pi * ys / pitch);
      const float glare = 1.f + 0.25f * (1.f - float(x + y) / float(photo.cols + photo.rows));
      for (int c = 0; c < 3; ++c) {
        const float stripe = 0.5f + 0.5f * std::cos(two_pi * (xs / pitch - c / 3.f));
        const float m = 1.f - depth + depth * stripe * (0.6f + 0.4f * row);
        const float cast = c == 2 ? 1.12f : c == 1 ? 1.02f : 0.92f;
        o[x][c] = cv::saturate_cast<uchar>(in[x][c] * m * cast * glare + 6);
      }
    }
  }
  return out;
}

// The photo printed on paper: ink cannot reach black nor paper white, colours drift warm and
// duller, paper grain shows, and ink spreads a little.
cv::Mat FlatPrint(const cv::Mat& photo, std::mt19937& rng) {
  std::normal_distribution<float> n(0.f, 1.f);
  cv::Mat f;
  photo.convertTo(f, CV_32FC3, 1.0 / 255);
  cv::GaussianBlur(f, f, cv::Size(0, 0), 1.0);
  cv::Mat grain(photo.size(), CV_32F);
  for (int y = 0; y < grain.rows; ++y)
    for (int x = 0; x < grain.cols; ++x) grain.at<float>(y, x) = n(rng);
  cv::GaussianBlur(grain, grain, cv::Size(0, 0), 1.2);
  for (int y = 0; y < f.rows; ++y) {
    cv::Vec3f* p = f.ptr<cv::Vec3f>(y);
    const float* g = grain.ptr<float>(y);
    for (int x = 0; x < f.cols; ++x) {
      const float grey = (p[x][0] + p[x][1] + p[x][2]) / 3;
      for (int c = 0; c < 3; ++c) {
        float v = grey + 0.7f * (p[x][c] - grey);        // duller colours
        v = 0.16f + 0.68f * v;                            // dynamic range 41..214 of 255
        v *= c == 0 ? 1.06f : c == 1 ? 1.01f : 0.86f;    // warm ink and paper
        v *= 1.f + 0.06f * g[x];                          // paper texture
        p[x][c] = v;
      }
    }
  }
  cv::Mat out;
  f.convertTo(out, CV_8UC3, 255.0);
  return out;
}

}  // namespace

cv::Mat MakeSpoof(SpoofKind kind, const cv::Mat& face_photo, const cv::Mat& scene, uint32_t seed) {
  CV_Assert(face_photo.type() == CV_8UC3 && !face_photo.empty());
  std::mt19937 rng(seed);
  switch (kind) {
    case SpoofKind::kPhotoInPhoto:
      return PhotoInPhoto(face_photo, scene, rng);
    case SpoofKind::kScreenMoire:
      return ScreenMoire(face_photo, rng);
    case SpoofKind::kFlatPrint:
      return FlatPrint(face_photo, rng);
  }
  return {};
}

}  // namespace facegate::vision
