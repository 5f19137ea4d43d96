// `eval attributes` and `eval eyes`: accuracy of the analysis nets on the user's own labelled
// photos, under a research analysis grant: photos in memory only, nothing stored but the
// audited summary (REQ P3, AN1).
#include <facegate/service.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "common/tsv.h"
#include "service/service_impl.h"
#include "vision/attributes_eval.h"

namespace facegate::service {

namespace {

AttributeBandReport ToBand(const vision::AttributeStats& s) {
  AttributeBandReport b;
  b.band = s.band;
  b.photos = s.photos;
  b.no_face = s.no_face;
  b.age_mae = s.age_mae;
  b.age_bias = s.age_bias;
  b.gender_accuracy = s.gender_accuracy;
  b.gender_accuracy_found = s.gender_accuracy_found;
  return b;
}

struct EyeSample {
  std::string path;
  int label = 0;  // index into kEyeLabels
};

Result<std::vector<EyeSample>> ReadEyeSamples(const std::string& file) {
  std::vector<EyeSample> out;
  FG_RETURN_IF_ERROR(ForEachTsvRow(file, "eyes file", [&](const std::string& where,
                                                           const std::vector<std::string>& cols) {
    int label = -1;
    if (cols.size() == 2)
      for (int i = 0; i < EvalEyesReport::kLabels; ++i)
        if (cols[1] == kEyeLabels[i]) label = i;
    if (label < 0 || cols[0].empty())
      return Status::InvalidInput(where + ": expected path<TAB>open|closed|one_closed");
    out.push_back({cols[0], label});
    return Status::Ok();
  }));
  if (out.empty()) return Status::InvalidInput(file + " holds no labelled photos");
  return out;
}

int PredictionIndex(vision::EyeOpenness s) {
  switch (s) {
    case vision::EyeOpenness::kOpen: return 0;
    case vision::EyeOpenness::kClosed: return 1;
    case vision::EyeOpenness::kOneClosed: return 2;
    case vision::EyeOpenness::kUnsure: return 3;
  }
  return 3;
}

}  // namespace

Result<EvalAttributesReport> Service::EvalAttributes(const std::string& attributes_file,
                                                     const std::string& root, const std::string& actor,
                                                     bool faceapi_pipeline) {
  FG_ASSIGN_OR_RETURN(std::vector<vision::AttributeSample> samples,
                      vision::ReadAttributeSamples(attributes_file));
  FG_ASSIGN_OR_RETURN(vision::Engine * eng, engine());
  // Research analysis grant: attributes in memory only, nothing stored (REQ P3, AN1).
  const AnalysisGrant grant = policy::Gate::AuthorizeResearchAnalysis(attributes_file);
  const vision::AnalysisOptions opts =
      faceapi_pipeline ? vision::AnalysisOptions::FaceApi() : vision::AnalysisOptions{};
  FG_ASSIGN_OR_RETURN(std::vector<vision::AttributePrediction> preds,
                      vision::PredictAttributes(*eng, grant, samples, root, opts, 2));
  const vision::AttributeReport r = vision::SummariseAttributes(samples, preds);
  EvalAttributesReport rep;
  rep.faceapi_pipeline = faceapi_pipeline;
  rep.flip_average = opts.flip_average;
  rep.box_margin = opts.box_margin;
  rep.overall = ToBand(r.overall);
  for (const auto& b : r.bands) rep.bands.push_back(ToBand(b));
  rep.no_face_paths = r.no_face_paths;
  // Audited like every use of a grant: the summary only, no photo, path or per-photo value.
  FG_RETURN_IF_ERROR(impl_->Audit(actor, "eval.attributes", "", grant.purpose(), Status::Ok(),
                                  {{"grant", grant.id()},
                                   {"photos", rep.overall.photos},
                                   {"no_face", rep.overall.no_face},
                                   {"age_mae", rep.overall.age_mae},
                                   {"gender_accuracy", rep.overall.gender_accuracy},
                                   {"pipeline", faceapi_pipeline ? "face-api" : "default"}}));
  return rep;
}

Result<EvalEyesReport> Service::EvalEyes(const std::string& eyes_file, const std::string& root,
                                         const std::string& actor) {
  FG_ASSIGN_OR_RETURN(std::vector<EyeSample> samples, ReadEyeSamples(eyes_file));
  FG_ASSIGN_OR_RETURN(vision::Engine * eng, engine());
  const InferenceGrant grant = policy::Gate::AuthorizeResearchInference(eyes_file, SensitiveInference::kDrowsiness);
  std::vector<int> predicted(samples.size(), 4);  // 4: no face
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error = Status::Ok();
  auto worker = [&] {
    for (size_t i; (i = next++) < samples.size();) {
      auto rgb = vision::ReadImageFile(root + "/" + samples[i].path);
      if (!rgb.ok()) {
        // A missing file is the caller's mistake, not a missed face.
        if (rgb.status().kind() == ErrorKind::kNotFound) {
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.ok()) first_error = rgb.status();
        }
        continue;
      }
      auto faces = eng->EyeStates(grant, *rgb);
      if (!faces.ok() || faces->empty()) continue;
      // The labelled face is the one nearest the centre (as eval verify picks it).
      const cv::Point2f centre(rgb->cols / 2.f, rgb->rows / 2.f);
      auto dist = [&](const vision::EyeState& f) {
        return cv::norm(cv::Point2f(f.box.x + f.box.width / 2, f.box.y + f.box.height / 2) - centre);
      };
      const vision::EyeState& f = *std::min_element(
          faces->begin(), faces->end(), [&](auto& a, auto& b) { return dist(a) < dist(b); });
      predicted[i] = PredictionIndex(f.state);
    }
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < 2; ++w) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  FG_RETURN_IF_ERROR(first_error);
  EvalEyesReport rep;
  for (size_t i = 0; i < samples.size(); ++i) {
    ++rep.photos;
    ++rep.confusion[samples[i].label][predicted[i]];
    if (predicted[i] == samples[i].label) ++rep.correct;
    if (predicted[i] == 4) {
      ++rep.no_face;
      rep.no_face_paths.push_back(samples[i].path);
    }
  }
  rep.accuracy = static_cast<double>(rep.correct) / static_cast<double>(rep.photos);
  json confusion = json::object();
  for (int l = 0; l < EvalEyesReport::kLabels; ++l)
    for (int p = 0; p < EvalEyesReport::kPredicted; ++p)
      confusion[kEyeLabels[l]][kEyePredictions[p]] = rep.confusion[l][p];
  FG_RETURN_IF_ERROR(impl_->Audit(actor, "eval.eyes", "", grant.purpose(), Status::Ok(),
                                  {{"grant", grant.id()},
                                   {"photos", rep.photos},
                                   {"no_face", rep.no_face},
                                   {"accuracy", rep.accuracy},
                                   {"confusion", confusion}}));
  return rep;
}

}  // namespace facegate::service
