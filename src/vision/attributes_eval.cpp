#include "vision/attributes_eval.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include "common/tsv.h"

namespace facegate::vision {

Result<std::vector<AttributeSample>> ReadAttributeSamples(const std::string& file) {
  std::vector<AttributeSample> out;
  FG_RETURN_IF_ERROR(ForEachTsvRow(file, "attributes file", [&](const std::string& where,
                                                                 const std::vector<std::string>& cols) {
    if (cols.size() != 3 || (cols[2] != "M" && cols[2] != "F")) {
      return Status::InvalidInput(where + ": expected path<TAB>age<TAB>gender(M|F)");
    }
    AttributeSample s;
    s.path = cols[0];
    size_t used = 0;
    try {
      s.age = std::stoi(cols[1], &used);
    } catch (...) {
      used = 0;
    }
    if (used != cols[1].size() || s.age < 0 || s.age > 130) {
      return Status::InvalidInput(where + ": age '" + cols[1] + "' is not a whole number of years");
    }
    s.female = cols[2] == "F";
    out.push_back(std::move(s));
    return Status::Ok();
  }));
  if (out.empty()) return Status::InvalidInput(file + " holds no labelled photos");
  return out;
}

Result<std::vector<AttributePrediction>> PredictAttributes(Engine& engine,
                                                           const AnalysisGrant& grant,
                                                           const std::vector<AttributeSample>& samples,
                                                           const std::string& root,
                                                           const AnalysisOptions& options,
                                                           int threads) {
  std::vector<AttributePrediction> out(samples.size());
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error = Status::Ok();
  auto worker = [&] {
    for (size_t i; (i = next++) < samples.size();) {
      auto rgb = ReadImageFile(root + "/" + samples[i].path);
      if (!rgb.ok()) {
        // A missing file is the caller's mistake, not a missed face.
        if (rgb.status().kind() == ErrorKind::kNotFound) {
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.ok()) first_error = rgb.status();
        }
        continue;
      }
      auto faces = engine.Analyze(grant, *rgb, options);
      if (!faces.ok() || faces->empty()) continue;
      // The labelled face is the one nearest the centre (as eval verify picks it).
      const cv::Point2f centre(rgb->cols / 2.f, rgb->rows / 2.f);
      auto dist = [&](const FaceAttributes& f) {
        const cv::Point2f c(f.box.x + f.box.width / 2, f.box.y + f.box.height / 2);
        return cv::norm(c - centre);
      };
      const FaceAttributes& f = *std::min_element(
          faces->begin(), faces->end(), [&](auto& a, auto& b) { return dist(a) < dist(b); });
      out[i] = {true, f.age, f.p_female};
    }
  };
  std::vector<std::thread> pool;
  for (int k = 0; k < std::max(1, threads); ++k) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  FG_RETURN_IF_ERROR(first_error);
  return out;
}

const char* AgeBandName(int band) {
  static const char* kNames[kAgeBands] = {"0-12", "13-19", "20-39", "40-59", "60+"};
  return band >= 0 && band < kAgeBands ? kNames[band] : "?";
}

int AgeBandOf(int age) {
  if (age <= 12) return 0;
  if (age <= 19) return 1;
  if (age <= 39) return 2;
  if (age <= 59) return 3;
  return 4;
}

namespace {

struct Acc {
  int photos = 0, no_face = 0, found = 0, correct = 0;
  double abs_err = 0, err = 0;
  void Add(const AttributeSample& s, const AttributePrediction& p) {
    ++photos;
    if (!p.found) {
      ++no_face;
      return;
    }
    ++found;
    abs_err += std::fabs(p.age - s.age);
    err += p.age - s.age;
    if ((p.p_female >= 0.5f) == s.female) ++correct;
  }
  AttributeStats Stats(const std::string& band) const {
    AttributeStats st;
    st.band = band;
    st.photos = photos;
    st.no_face = no_face;
    st.age_mae = found ? abs_err / found : 0;
    st.age_bias = found ? err / found : 0;
    st.gender_accuracy = photos ? double(correct) / photos : 0;
    st.gender_accuracy_found = found ? double(correct) / found : 0;
    return st;
  }
};

}  // namespace

AttributeReport SummariseAttributes(const std::vector<AttributeSample>& samples,
                                    const std::vector<AttributePrediction>& predictions) {
  Acc all;
  std::vector<Acc> bands(kAgeBands);
  AttributeReport r;
  for (size_t i = 0; i < samples.size() && i < predictions.size(); ++i) {
    all.Add(samples[i], predictions[i]);
    bands[AgeBandOf(samples[i].age)].Add(samples[i], predictions[i]);
    if (!predictions[i].found) r.no_face_paths.push_back(samples[i].path);
  }
  r.overall = all.Stats("all");
  for (int b = 0; b < kAgeBands; ++b) r.bands.push_back(bands[b].Stats(AgeBandName(b)));
  return r;
}

AgeLine FitAgeLine(const std::vector<AttributeSample>& samples,
                   const std::vector<AttributePrediction>& predictions,
                   const std::vector<bool>& use) {
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!use[i] || !predictions[i].found) continue;
    const double x = predictions[i].age, y = samples[i].age;
    n += 1, sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  AgeLine line;
  const double den = n * sxx - sx * sx;
  if (n < 2 || std::fabs(den) < 1e-9) return line;
  line.slope = (n * sxy - sx * sy) / den;
  line.intercept = (sy - line.slope * sx) / n;
  return line;
}

std::vector<AttributePrediction> CrossValidatedAgeCorrection(
    const std::vector<AttributeSample>& samples, const std::vector<AttributePrediction>& predictions,
    int folds) {
  std::vector<AttributePrediction> out = predictions;
  for (int k = 0; k < folds; ++k) {
    std::vector<bool> train(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) train[i] = static_cast<int>(i % folds) != k;
    const AgeLine line = FitAgeLine(samples, predictions, train);
    for (size_t i = 0; i < samples.size(); ++i) {
      if (!train[i] && out[i].found) out[i].age = static_cast<float>(line.Apply(predictions[i].age));
    }
  }
  return out;
}

}  // namespace facegate::vision
