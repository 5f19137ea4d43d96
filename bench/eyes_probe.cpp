// Research probe of eye state (docs/drowsiness.md, "How the crop and the rule were chosen").
//   eyes_probe FACEDATA_DIR < eyes.tsv > rows.tsv
// For every labelled photo and each of the four quarter turns: the face nearest the centre, its
// detection score, eye widths, UprightConfidence, and the eye net's P(open) of each eye on three
// crops: lib/fr_eye.js's (2.0 eye widths, not levelled), the levelled 1.6 crop alone, and the
// engine's EyeOpenProbability (levelled 1.6 crop and its mirror image); and the iris net's lid
// opening of each eye (EyeLidOpening). Columns:
//   path label turn found score box_w left_w right_w upright jsL jsR levL levR engL engR lidL lidR
//   eyes_probe --video CLIP
// Every frame of a clip through Engine::EyeStates, upright as Service::Drowsiness runs it: frame,
// ms, state, left and right P(open), left and right lid opening.
// Research grants only; nothing is stored (REQ P3).
#include <facegate/vision.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "nn/model_files.h"
#include "nn/nets.h"
#include "policy/gate.h"
#include "vision/eyes.h"
#include "vision/image_ops.h"
#include "vision/pipeline.h"
#include "vision/video.h"

using namespace facegate;

namespace {

// lib/fr_eye.js's crop: 2.0 x the corner-to-corner width about the mean of the four lid points,
// not turned with the eye.
float FrEyeJsP(nn::EyeNet& net, const cv::Mat& rgb, const vision::Landmarks68& lm, int first) {
  const cv::Point2f c = (lm[first + 1] + lm[first + 2] + lm[first + 4] + lm[first + 5]) * 0.25f;
  const float side = std::max(2.f, static_cast<float>(cv::norm(lm[first + 3] - lm[first]))) * 2.0f;
  cv::Mat m = (cv::Mat_<double>(2, 3) << 24 / side, 0, 12 - c.x * 24 / side, 0, 24 / side, 12 - c.y * 24 / side);
  cv::Mat crop, grey, f;
  cv::warpAffine(rgb, crop, m, cv::Size(24, 24), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::cvtColor(crop, grey, cv::COLOR_BGR2GRAY);
  grey.convertTo(f, CV_32F, 1.0 / 255);
  auto p = net.Run(f);
  return p.ok() ? (*p)[1] : -1;
}

float LevelP(nn::EyeNet& net, const cv::Mat& rgb, const vision::Landmarks68& lm, int first) {
  auto p = net.Run(vision::EyeCrop(rgb, lm, first, 1.6f, false));
  return p.ok() ? (*p)[1] : -1;
}

int Video(const char* path) {
  vision::EngineConfig config;
  config.model_dir = FACEGATE_MODELS;
  config.lock_file = FACEGATE_LOCK;
  auto engine = vision::Engine::Load(config);
  auto video = vision::VideoReader::OpenFile(path, 0);
  if (!engine.ok() || !video.ok()) {
    std::fprintf(stderr, "eyes_probe: %s\n",
                 (engine.ok() ? video.status() : engine.status()).ToString().c_str());
    return 1;
  }
  const InferenceGrant grant = policy::Gate::AuthorizeResearchInference("eyes-probe", SensitiveInference::kDrowsiness);
  cv::Mat rgb;
  int64_t t = 0;
  for (int i = 0; *(*video)->Next(&rgb, &t); ++i) {
    auto faces = (*engine)->EyeStates(grant, rgb, vision::Engine::Turns::kUpright);  // as Service::Drowsiness
    if (!faces.ok() || faces->empty()) {
      std::printf("%d\t%lld\tno_face\n", i, static_cast<long long>(t));
      continue;
    }
    const vision::EyeState& f = faces->front();
    std::printf("%d\t%lld\t%s\t%.3f\t%.3f\t%.3f\t%.3f\n", i, static_cast<long long>(t), vision::ToString(f.state),
                f.left_open, f.right_open, f.left_lid, f.right_lid);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--video") return Video(argv[2]);
  if (argc != 2) {
    std::fprintf(stderr, "usage: eyes_probe FACEDATA_DIR < eyes.tsv\n       eyes_probe --video CLIP\n");
    return 2;
  }
  const std::string root = argv[1];
  auto files = nn::ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
  if (!files.ok()) {
    std::fprintf(stderr, "eyes_probe: %s\n", files.status().ToString().c_str());
    return 1;
  }
  auto ssd = nn::SsdNet::Load(*files);
  auto lmnet = nn::LandmarkNet::Load(*files);
  auto rfb = nn::RfbNet::Load(*files);
  auto eye = nn::EyeNet::Load(*files);
  auto iris = nn::IrisNet::Load(*files);
  if (!ssd.ok() || !lmnet.ok() || !rfb.ok() || !eye.ok() || !iris.ok()) return 1;
  std::vector<std::pair<std::string, std::string>> rows;
  for (std::string line; std::getline(std::cin, line);) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos && line[0] != '#') rows.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  std::atomic<size_t> next{0};
  std::mutex mu;
  const vision::DetectStrategy strategy;
  auto work = [&] {
    for (size_t i; (i = next++) < rows.size();) {
      auto img = vision::ReadImageFile(root + "/" + rows[i].first);
      if (!img.ok()) continue;
      std::ostringstream out;
      for (int turn = 0; turn < 4; ++turn) {
        cv::Mat rgb = *img;
        if (turn) cv::rotate(*img, rgb, turn == 1 ? cv::ROTATE_90_CLOCKWISE
                                        : turn == 2 ? cv::ROTATE_180 : cv::ROTATE_90_COUNTERCLOCKWISE);
        const cv::Mat rgbf = vision::ToFloatRgb(rgb);
        auto dets = vision::DetectFacesSsdFirst(**ssd, rfb->get(), rgbf, 0.5f, strategy);
        out << rows[i].first << '\t' << rows[i].second << '\t' << turn * 90;
        const cv::Point2f centre(rgb.cols / 2.f, rgb.rows / 2.f);
        const vision::Detection* best = nullptr;
        double best_d = 1e18;
        for (const auto& d : dets.ok() ? *dets : std::vector<vision::Detection>{}) {
          const double dd = cv::norm(cv::Point2f(d.box.x + d.box.width / 2, d.box.y + d.box.height / 2) - centre);
          if (dd < best_d) best_d = dd, best = &d;
        }
        auto lm = best ? vision::DetectLandmarks(**lmnet, rgbf, best->box) : Result<vision::Landmarks68>(Status::NotFound("no face"));
        auto engL = lm.ok() ? vision::EyeOpenProbability(**eye, rgb, *lm, 36) : Result<float>(lm.status());
        auto engR = lm.ok() ? vision::EyeOpenProbability(**eye, rgb, *lm, 42) : Result<float>(lm.status());
        auto lidL = lm.ok() ? vision::EyeLidOpening(**iris, rgb, *lm, 36) : Result<float>(lm.status());
        auto lidR = lm.ok() ? vision::EyeLidOpening(**iris, rgb, *lm, 42) : Result<float>(lm.status());
        if (!engL.ok() || !engR.ok() || !lidL.ok() || !lidR.ok()) {
          out << "\t0\n";
          continue;
        }
        char buf[320];
        std::snprintf(buf, sizeof buf, "\t1\t%.3f\t%.0f\t%.1f\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\n",
                      best->score, best->box.width, vision::EyeWidth(*lm, 36), vision::EyeWidth(*lm, 42),
                      vision::UprightConfidence(*best, *lm), FrEyeJsP(**eye, rgb, *lm, 36),
                      FrEyeJsP(**eye, rgb, *lm, 42), LevelP(**eye, rgb, *lm, 36), LevelP(**eye, rgb, *lm, 42),
                      *engL, *engR, *lidL, *lidR);
        out << buf;
      }
      std::lock_guard<std::mutex> lock(mu);
      std::fputs(out.str().c_str(), stdout);
      std::fflush(stdout);
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  return 0;
}
