#include "vision/pipeline.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "vision/detection.h"
#include "vision/image_ops.h"

namespace facegate::vision {

Result<std::vector<Detection>> DetectSsdPass(nn::SsdNet& ssd, const cv::Mat& rgbf,
                                             float min_score) {
  // face-api pads right/bottom to a square then resizes; done in one pass, no padded copy.
  const int side = std::max(rgbf.cols, rgbf.rows);
  const cv::Mat input = ResizeBilinearTfPaddedSquare(rgbf, side, nn::SsdNet::kInputSize);
  FG_ASSIGN_OR_RETURN(nn::SsdNet::Output out, ssd.Run(input));
  const std::vector<int> kept =
      NonMaxSuppression(out.boxes, out.scores, kSsdMaxResults, kSsdIouThreshold, min_score);
  std::vector<Detection> dets;
  for (int i : kept) {
    Detection d;
    d.box = SsdBoxToImage(out.boxes[i], static_cast<float>(side), rgbf.size());
    d.score = out.scores[i];
    if (d.box.width >= 1 && d.box.height >= 1) dets.push_back(d);
  }
  return dets;
}

Result<std::vector<Detection>> DetectFaces(nn::SsdNet& ssd, const cv::Mat& rgbf, float min_score,
                                           const DetectStrategy& strategy) {
  FG_ASSIGN_OR_RETURN(std::vector<Detection> dets, DetectSsdPass(ssd, rgbf, min_score));
  const cv::Scalar mean = cv::mean(rgbf);
  const cv::Rect2f photo(0, 0, static_cast<float>(rgbf.cols), static_cast<float>(rgbf.rows));
  for (const DetectPass& pass : strategy.fallbacks) {
    if (!dets.empty()) return dets;
    const int b = static_cast<int>(std::lround(pass.border * std::max(rgbf.cols, rgbf.rows)));
    cv::Mat framed;
    cv::copyMakeBorder(rgbf, framed, b, b, b, b, cv::BORDER_CONSTANT, mean);
    const float score = pass.min_score > 0 ? std::min(min_score, pass.min_score) : min_score;
    FG_ASSIGN_OR_RETURN(std::vector<Detection> found, DetectSsdPass(ssd, framed, score));
    for (Detection d : found) {
      const cv::Rect2f shifted(d.box.x - b, d.box.y - b, d.box.width, d.box.height);
      d.box = shifted & photo;
      // Keep faces that are mostly in the photo, not ghosts in the border.
      if (d.box.area() >= 0.5f * shifted.area() && d.box.width >= 1 && d.box.height >= 1) {
        dets.push_back(d);
      }
    }
  }
  return dets;
}

Result<std::vector<Detection>> DetectRfbPass(nn::RfbNet& rfb, const cv::Mat& rgbf, float min_score,
                                             const RfbBoxCalibration& calibration) {
  if (rgbf.empty() || rgbf.type() != CV_32FC3) {
    return Status::InvalidInput("the image for detection must be non-empty CV_32FC3 RGB; use ToFloatRgb");
  }
  cv::Mat input;
  cv::resize(rgbf, input, cv::Size(nn::RfbNet::kInputWidth, nn::RfbNet::kInputHeight), 0, 0,
             cv::INTER_LINEAR);
  FG_ASSIGN_OR_RETURN(nn::RfbNet::Output out, rfb.Run(input));
  // NonMaxSuppression keeps scores > its bound; fr_detect.js keeps scores >= 0.65.
  const float bound = std::nextafter(min_score, 0.f);
  const std::vector<int> kept =
      NonMaxSuppression(out.boxes, out.scores, kRfbMaxResults, kRfbIouThreshold, bound);
  std::vector<Detection> dets;
  for (int i : kept) {
    Detection d;
    d.box = RfbBoxToImage(out.boxes[i], calibration, rgbf.size());
    d.score = out.scores[i];
    if (d.box.width >= 1 && d.box.height >= 1) dets.push_back(d);
  }
  return dets;
}

Result<std::vector<Detection>> DetectFaces(nn::RfbNet* rfb, nn::SsdNet& ssd, const cv::Mat& rgbf,
                                           float min_score, const DetectStrategy& strategy) {
  if (rfb != nullptr) {
    FG_ASSIGN_OR_RETURN(std::vector<Detection> dets,
                        DetectRfbPass(*rfb, rgbf, std::max(min_score, kRfbMinScore)));
    if (!dets.empty()) return dets;
  }
  return DetectFaces(ssd, rgbf, min_score, strategy);
}

Result<std::vector<Detection>> DetectFacesSsdFirst(nn::SsdNet& ssd, nn::RfbNet* rfb, const cv::Mat& rgbf,
                                                   float min_score, const DetectStrategy& strategy) {
  FG_ASSIGN_OR_RETURN(std::vector<Detection> dets, DetectFaces(ssd, rgbf, min_score, strategy));
  if (!dets.empty() || rfb == nullptr) return dets;
  return DetectRfbPass(*rfb, rgbf, std::max(min_score, kRfbMinScore));
}

Result<Landmarks68> DetectLandmarks(nn::LandmarkNet& net, const cv::Mat& rgbf,
                                    const cv::Rect2f& box) {
  cv::Rect used;
  const cv::Mat crop = CropClipped(rgbf, box, &used);
  if (crop.empty()) {
    return Status::InvalidInput("the face box lies outside the image; detect faces on this image");
  }
  const PaddedSquare sq = PadToSquare(crop, PadPlacement::kCentred);
  const cv::Mat input = ResizeBilinearTf(sq.image, kLandmarkInput, kLandmarkInput);
  FG_ASSIGN_OR_RETURN(auto out, net.Run(input));
  // face-api crops the floored box but shifts the landmarks by the unfloored box origin
  // (extendWithFaceLandmarks); copied so landmarks and the descriptor crop equal face-api's.
  Landmarks68 lm = LandmarksToImage(out, used);
  for (auto& p : lm) {
    p.x += box.x - static_cast<float>(used.x);
    p.y += box.y - static_cast<float>(used.y);
  }
  return lm;
}

cv::Mat RecognitionChip(const cv::Mat& rgbf, const Landmarks68& landmarks, AlignMode mode) {
  switch (mode) {
    case AlignMode::kFaceApiCrop:
      return FaceApiChip(rgbf, landmarks);
    case AlignMode::kSimilarity:
      return SimilarityChip(rgbf, landmarks, ChipTemplate::kFivePoint);
  }
  return cv::Mat();
}

}  // namespace facegate::vision
