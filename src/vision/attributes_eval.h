// `eval attributes`: age and gender accuracy of Engine::Analyze on labelled photos (lines
// path<TAB>age<TAB>gender(M|F)), overall and per age band, under a research analysis grant:
// photos are processed in memory only and nothing is stored (REQ P3, AN1).
#pragma once

#include <facegate/grant.h>
#include <facegate/status.h>
#include <facegate/vision.h>

#include <string>
#include <vector>

namespace facegate::vision {

struct AttributeSample {
  std::string path;  // relative to the root folder
  int age = 0;       // years
  bool female = false;
};

// Reads path<TAB>age<TAB>M|F lines ('#' comments and blank lines skipped). kNotFound if the
// file is missing; kInvalidInput naming the line otherwise.
Result<std::vector<AttributeSample>> ReadAttributeSamples(const std::string& file);

// What Analyze said about one photo's labelled face (the face nearest the photo's centre).
struct AttributePrediction {
  bool found = false;  // false: no face found (or the photo could not be read)
  float age = 0;
  float p_female = 0;
};

// Runs engine.Analyze on every photo (root/path), `threads` workers (the engine is thread-safe).
// kNotFound if a photo file is missing.
Result<std::vector<AttributePrediction>> PredictAttributes(Engine& engine,
                                                           const AnalysisGrant& grant,
                                                           const std::vector<AttributeSample>& samples,
                                                           const std::string& root,
                                                           const AnalysisOptions& options,
                                                           int threads = 2);

// Age bands of the report: 0-12, 13-19, 20-39, 40-59, 60+.
inline constexpr int kAgeBands = 5;
const char* AgeBandName(int band);
int AgeBandOf(int age);

struct AttributeStats {
  std::string band;           // "all" or a band name
  int photos = 0;
  int no_face = 0;            // photos where no face was found (errors, REQ issue 3)
  double age_mae = 0;         // mean |predicted - true| over photos with a face
  double age_bias = 0;        // mean (predicted - true) over photos with a face
  double gender_accuracy = 0;        // correct / photos: a photo without a face counts as wrong
  double gender_accuracy_found = 0;  // correct / photos with a face
};

struct AttributeReport {
  AttributeStats overall;
  std::vector<AttributeStats> bands;  // kAgeBands entries, in band order
  std::vector<std::string> no_face_paths;
};

// Summarises predictions[i] against samples[i] (same length).
AttributeReport SummariseAttributes(const std::vector<AttributeSample>& samples,
                                    const std::vector<AttributePrediction>& predictions);

// A linear age correction true ~ slope * predicted + intercept (least squares).
struct AgeLine {
  double slope = 1, intercept = 0;
  double Apply(double age) const { return slope * age + intercept; }
};
// Fits over the samples with a face whose index i has `use(i)` true; identity if fewer than 2.
AgeLine FitAgeLine(const std::vector<AttributeSample>& samples,
                   const std::vector<AttributePrediction>& predictions,
                   const std::vector<bool>& use);
// k-fold cross-validation of the correction: sample i is in fold i % k (the file order, so a
// list sorted by age gives age-stratified folds); each fold is corrected by the line fitted on
// the other folds. Returns the corrected predictions (faces not found stay not found).
std::vector<AttributePrediction> CrossValidatedAgeCorrection(
    const std::vector<AttributeSample>& samples, const std::vector<AttributePrediction>& predictions,
    int folds);

}  // namespace facegate::vision
