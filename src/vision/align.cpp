#include "vision/align.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "vision/image_ops.h"

namespace facegate::vision {
namespace {

cv::Point2d Mean(const Landmarks68& lm, int begin, int end) {
  cv::Point2d s(0, 0);
  for (int i = begin; i < end; ++i) s += cv::Point2d(lm[i].x, lm[i].y);
  return s / static_cast<double>(end - begin);
}

// dlib's get_face_chip_details: 5-point template.
constexpr double kFive[5][2] = {{0.8595674595992, 0.2134981538014},
                                {0.6460604764104, 0.2289674387677},
                                {0.1205750620789, 0.2137274526848},
                                {0.3340850613712, 0.2290642403242},
                                {0.4901123135679, 0.6277975316475}};
// The 68-landmark points dlib's 5-point model marks: outer/inner corners of the
// image-right eye, outer/inner corners of the image-left eye, base of the nose.
constexpr int kFiveIndex[5] = {45, 42, 36, 39, 33};

// dlib's mean face shape, points 17..67.
constexpr double kMeanX[51] = {
    0.000213256, 0.0752622, 0.18113,  0.29077,  0.393397, 0.586856, 0.689483, 0.799124, 0.904991,
    0.98004,     0.490127,  0.490127, 0.490127, 0.490127, 0.36688,  0.426036, 0.490127, 0.554217,
    0.613373,    0.121737,  0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428,
    0.793132,    0.858516,  0.79751,  0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395,
    0.639268,    0.726104,  0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379, 0.428096,
    0.490127,    0.552157,  0.689874, 0.553364, 0.490127, 0.42689};
constexpr double kMeanY[51] = {
    0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915,
    0.106454, 0.203352, 0.307009,  0.409805,  0.515625,  0.587326,  0.609345,  0.628106,  0.609345,
    0.587326, 0.216423, 0.178758,  0.179852,  0.231733,  0.245099,  0.244077,  0.231733,  0.179852,
    0.178758, 0.216423, 0.244077,  0.245099,  0.780233,  0.745405,  0.727388,  0.742578,  0.727388,
    0.745405, 0.780233, 0.864805,  0.902192,  0.909281,  0.902192,  0.864805,  0.784792,  0.778746,
    0.785343, 0.778746, 0.784792,  0.824182,  0.831803,  0.824182};

}  // namespace

Landmarks68 LandmarksToImage(const std::array<float, 136>& out, const cv::Rect& crop) {
  const double w = crop.width, h = crop.height;
  const double side = std::max(w, h);
  // face-api's postProcess subtracts |w-h|/2 (unrounded) on the short side.
  const double pad_x = w < h ? (h - w) / 2 : 0;
  const double pad_y = h < w ? (w - h) / 2 : 0;
  Landmarks68 lm;
  for (int i = 0; i < 68; ++i) {
    lm[i].x = static_cast<float>(out[2 * i] * side - pad_x + crop.x);
    lm[i].y = static_cast<float>(out[2 * i + 1] * side - pad_y + crop.y);
  }
  return lm;
}

cv::Rect2f FaceApiAlignBox(const Landmarks68& lm) {
  const cv::Point2d left_eye = Mean(lm, 36, 42), right_eye = Mean(lm, 42, 48);
  const cv::Point2d mouth = Mean(lm, 48, 68);
  const double d = (cv::norm(mouth - left_eye) + cv::norm(mouth - right_eye)) / 2;
  const double size = std::floor(d / 0.45);
  const cv::Point2d ref = (left_eye + right_eye + mouth) / 3.0;
  const double x = std::floor(std::max(0.0, ref.x - 0.5 * size));
  const double y = std::floor(std::max(0.0, ref.y - 0.43 * size));
  return cv::Rect2f(static_cast<float>(x), static_cast<float>(y), static_cast<float>(size),
                    static_cast<float>(size));
}

cv::Mat FaceApiChip(const cv::Mat& rgbf, const Landmarks68& landmarks) {
  cv::Mat crop = CropClipped(rgbf, FaceApiAlignBox(landmarks));
  if (crop.empty()) return cv::Mat();
  const PaddedSquare sq = PadToSquare(crop, PadPlacement::kCentred);
  return ResizeBilinearTf(sq.image, kChipSize, kChipSize);
}

std::vector<std::pair<int, cv::Point2d>> ChipTemplatePoints(ChipTemplate kind, int size,
                                                            double padding) {
  std::vector<std::pair<int, cv::Point2d>> pts;
  auto place = [&](double x, double y) {
    return cv::Point2d((padding + x) / (2 * padding + 1) * size,
                       (padding + y) / (2 * padding + 1) * size);
  };
  if (kind == ChipTemplate::kFivePoint) {
    for (int i = 0; i < 5; ++i) pts.emplace_back(kFiveIndex[i], place(kFive[i][0], kFive[i][1]));
  } else {
    for (int i = 17; i < 68; ++i) {
      if ((55 <= i && i <= 59) || (65 <= i && i <= 67)) continue;  // lower lip
      if (i <= 26) continue;                                       // eyebrows
      pts.emplace_back(i, place(kMeanX[i - 17], kMeanY[i - 17]));
    }
  }
  return pts;
}

cv::Mat FitSimilarity(const std::vector<cv::Point2d>& from, const std::vector<cv::Point2d>& to) {
  CV_Assert(from.size() == to.size() && !from.empty());
  const double n = static_cast<double>(from.size());
  cv::Point2d mf(0, 0), mt(0, 0);
  for (size_t i = 0; i < from.size(); ++i) {
    mf += from[i];
    mt += to[i];
  }
  mf /= n;
  mt /= n;
  double sxx = 0, dot = 0, cross = 0;
  for (size_t i = 0; i < from.size(); ++i) {
    const cv::Point2d p = from[i] - mf, q = to[i] - mt;
    sxx += p.dot(p);
    dot += p.dot(q);
    cross += p.x * q.y - p.y * q.x;
  }
  const double a = sxx > 0 ? dot / sxx : 1, b = sxx > 0 ? cross / sxx : 0;
  cv::Mat m = (cv::Mat_<double>(2, 3) << a, -b, 0, b, a, 0);
  m.at<double>(0, 2) = mt.x - (a * mf.x - b * mf.y);
  m.at<double>(1, 2) = mt.y - (b * mf.x + a * mf.y);
  return m;
}

cv::Mat SimilarityChipToImage(const Landmarks68& landmarks, ChipTemplate kind, int size,
                              double padding) {
  std::vector<cv::Point2d> from, to;
  for (const auto& [index, p] : ChipTemplatePoints(kind, size, padding)) {
    from.push_back(p);
    to.emplace_back(landmarks[index].x, landmarks[index].y);
  }
  const cv::Mat t = FitSimilarity(from, to);
  const double a = t.at<double>(0, 0), b = t.at<double>(1, 0);
  const double scale = std::hypot(a, b), angle = std::atan2(b, a);
  // chip_details: rect = centered_drect(T(size/2, size/2), size*scale, size*scale),
  // whose corners (width-1 apart) become the corner pixel centres 0 and size-1.
  const double half = size / 2.0;
  const cv::Point2d c(a * half - b * half + t.at<double>(0, 2),
                      b * half + a * half + t.at<double>(1, 2));
  const double k = (size * scale - 1) / (size - 1);
  const double ca = k * std::cos(angle), sa = k * std::sin(angle);
  const double mid = (size - 1) / 2.0;
  cv::Mat m = (cv::Mat_<double>(2, 3) << ca, -sa, 0, sa, ca, 0);
  m.at<double>(0, 2) = c.x - (ca * mid - sa * mid);
  m.at<double>(1, 2) = c.y - (sa * mid + ca * mid);
  return m;
}

cv::Mat SimilarityChip(const cv::Mat& rgbf, const Landmarks68& landmarks, ChipTemplate kind,
                       int size, double padding) {
  return SampleChip(rgbf, SimilarityChipToImage(landmarks, kind, size, padding), size);
}

cv::Mat SampleChip(const cv::Mat& rgbf, cv::Mat m, int size) {
  const double scale = std::hypot(m.at<double>(0, 0), m.at<double>(1, 0));
  // Like extract_image_chip: bilinear sampling of a face shrunk more than 2x
  // aliases, so sample a pyramid level instead.
  cv::Mat src = rgbf;
  double s = scale;
  while (s > 2.0 && std::min(src.cols, src.rows) >= 4) {
    cv::Mat down;
    cv::pyrDown(src, down);
    src = down;
    s /= 2;
    m = m / 2.0;  // pyrDown's pixel i sits at 2i of the level above
  }
  // dlib's interpolate_bilinear: exact weights; a sample whose 2x2 neighbourhood
  // leaves the image is black (cv::warpAffine would quantise weights to 1/32).
  cv::Mat chip(size, size, CV_32FC3, cv::Scalar::all(0));
  const double m00 = m.at<double>(0, 0), m01 = m.at<double>(0, 1), m02 = m.at<double>(0, 2);
  const double m10 = m.at<double>(1, 0), m11 = m.at<double>(1, 1), m12 = m.at<double>(1, 2);
  for (int v = 0; v < size; ++v) {
    auto* out = chip.ptr<cv::Vec3f>(v);
    for (int u = 0; u < size; ++u) {
      const double x = m00 * u + m01 * v + m02, y = m10 * u + m11 * v + m12;
      const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
      if (x0 < 0 || y0 < 0 || x0 + 1 >= src.cols || y0 + 1 >= src.rows) continue;
      const double fx = x - x0, fy = y - y0;
      const auto* r0 = src.ptr<cv::Vec3f>(y0);
      const auto* r1 = src.ptr<cv::Vec3f>(y0 + 1);
      for (int c = 0; c < 3; ++c) {
        const double top = (1 - fx) * r0[x0][c] + fx * r0[x0 + 1][c];
        const double bottom = (1 - fx) * r1[x0][c] + fx * r1[x0 + 1][c];
        out[u][c] = static_cast<float>((1 - fy) * top + fy * bottom);
      }
    }
  }
  return chip;
}

std::vector<cv::Point2d> FivePoints(const Landmarks68& lm) {
  return {Mean(lm, 36, 42), Mean(lm, 42, 48), cv::Point2d(lm[30].x, lm[30].y),
          cv::Point2d(lm[48].x, lm[48].y), cv::Point2d(lm[54].x, lm[54].y)};
}

cv::Mat FivePointChipToImage(const Landmarks68& landmarks) {
  std::vector<cv::Point2d> ref;
  for (const auto& p : kFivePointReference) ref.emplace_back(p[0], p[1]);
  cv::Mat image_to_chip = FitSimilarity(FivePoints(landmarks), ref), m;
  cv::invertAffineTransform(image_to_chip, m);
  return m;
}

cv::Mat FivePointChip(const cv::Mat& rgbf, const Landmarks68& landmarks) {
  return SampleChip(rgbf, FivePointChipToImage(landmarks), kFeatureChipSize);
}

}  // namespace facegate::vision
