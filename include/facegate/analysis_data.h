// What the analysis scenario's service calls take and give (REQ SC3, AN1-AN3; docs/statistics.md,
// docs/analysis-video.md, docs/drowsiness.md, docs/attributes.md): the answer of a photo analysis,
// video windows, drowsiness runs and the research evaluations of attributes and eye state.
// Counts and states only, never a template, crop or landmark. Service (service.h) fills them.
#pragma once

#include <facegate/liveness_eval.h>
#include <facegate/records.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace facegate::service {

// What one analysis request took in (REQ SC3, AN1, AN2). Its faces are tallied into the
// purpose's open calendar window; the window's groups of at least k faces are released once,
// after it ends (Service::AnalysisStatistics), so no two answers differ by one person.
struct AnalyzeReport {
  int64_t images = 0, images_unreadable = 0;
  int64_t faces = 0;  // faces taken in, shown only when >= k
  int k = 5;
  // Faces left out as the same picture as one already counted in this window, by this request
  // or an earlier one (sent again, re-encoded, rescaled, mirrored): one picture sent k times,
  // at once or one by one, never makes a group of k (REQ AN2).
  int64_t repeated_faces = 0;
  UnixTime window_start = 0, window_end = 0;  // the window the faces went into
};

// Where video frames come from: a file (OpenCV videoio, FFmpeg) or a camera index.
struct VideoInput {
  std::string file;  // used when camera < 0
  int camera = -1;   // /dev/videoN
  int64_t max_ms = 0;  // stop after this much video time (0: the whole file; a camera until stopped)
};

// How a video is analysed: frames sampled at sample_fps of video time, grouped in windows.
struct VideoAnalyzeOptions {
  int k = 5;                 // REQ AN2: groups of fewer than k people are suppressed
  int64_t window_ms = 60'000;
  double sample_fps = 2;     // frames analysed per second of video (0: every frame)
  std::string subject;       // the consenting person analysed, when the purpose rests on consent (REQ AN4)
};

// One attribute group in one window of a video (REQ AN2). Without tracking (which would link
// faces across frames, REQ AN1) distinct people cannot be counted, so `people` is the most
// faces of the group seen in one sampled frame: a lower bound on the distinct people, and
// the number k is checked against. `mean` is the group's faces per sampled frame.
struct VideoGroupCount {
  std::string group;  // "age:20-39", "gender:female", "expression:happy"
  int64_t people = 0;
  double mean = 0;
};

struct VideoWindow {
  int64_t start_ms = 0, end_ms = 0;  // video time, end exclusive
  int64_t frames = 0;                // sampled frames analysed
  int64_t frames_with_faces = 0;
  int64_t people = -1;  // most faces in one frame; -1 when under k (suppressed)
  std::vector<VideoGroupCount> counts;   // groups with people >= k
  std::vector<std::string> suppressed;   // groups with 1..k-1 people, counts withheld
};

struct VideoAnalyzeReport {
  std::string source;  // "file x.mp4" or "camera 0"
  int k = 5;
  int64_t window_ms = 0;
  double sample_fps = 0, stream_fps = 0;
  int64_t frames_read = 0, frames_sampled = 0, duration_ms = 0;
  std::vector<VideoWindow> windows;
};

// Options of the drowsiness monitor over a video (docs/drowsiness.md).
struct DrowsinessOptions {
  double sample_fps = 0;      // 0: every frame (blinks need >= 20 fps)
  int64_t window_ms = 60'000;  // PERCLOS and event-count window
  int64_t min_observed_ms = 10'000;  // PERCLOS is reported once this much of the eyes was seen
  std::string subject;  // the driver, when the purpose rests on the driver's consent (REQ AN4)
};

// An in-car alert: the drowsiness level rose (REQ AN1: an alert is an allowed output).
struct DrowsinessAlert {
  int64_t t_ms = 0;
  std::string level;   // "low" or "high"
  std::string reason;  // why, e.g. "eyes closed for 0.6 s (micro-sleep)"
};

struct DrowsinessVideoReport {
  std::string source;
  int64_t frames = 0, frames_without_face = 0, duration_ms = 0;
  int blinks = 0, long_closures = 0, yawns = 0;
  std::optional<double> perclos;  // over the last window, once enough was observed
  std::string level, reason;      // at the end of the video
  std::string max_level;          // highest level reached
  std::vector<DrowsinessAlert> alerts;
};

// Age and gender accuracy of one age band (or "all") in `eval attributes`.
struct AttributeBandReport {
  std::string band;  // "0-12", "13-19", "20-39", "40-59", "60+", "all"
  int64_t photos = 0, no_face = 0;
  double age_mae = 0, age_bias = 0;  // over photos with a face
  double gender_accuracy = 0;        // correct / photos: no face counts as an error
  double gender_accuracy_found = 0;  // correct / photos with a face
};

// Report of `eval attributes` (REQ P3: research grant, audited, nothing stored).
struct EvalAttributesReport {
  bool faceapi_pipeline = false;  // face-api's crop, no flip averaging
  bool flip_average = true;
  float box_margin = 0.2f;
  AttributeBandReport overall;
  std::vector<AttributeBandReport> bands;  // the five bands in order
  std::vector<std::string> no_face_paths;
};

// Report of `eval eyes` (REQ P3): labels open | closed | one_closed against the engine's
// state; UNSURE and "no face" are errors.
struct EvalEyesReport {
  static constexpr int kLabels = 3;     // open, closed, one_closed
  static constexpr int kPredicted = 5;  // open, closed, one_closed, unsure, no_face
  int64_t photos = 0, correct = 0, no_face = 0;
  double accuracy = 0;  // correct / photos
  // confusion[label][predicted], in the orders above
  std::array<std::array<int64_t, kPredicted>, kLabels> confusion{};
  std::vector<std::string> no_face_paths;
};
inline constexpr std::array<const char*, EvalEyesReport::kLabels> kEyeLabels = {"open", "closed",
                                                                                 "one_closed"};
inline constexpr std::array<const char*, EvalEyesReport::kPredicted> kEyePredictions = {
    "open", "closed", "one_closed", "unsure", "no_face"};

// What `eval liveness` measures (docs/liveness.md): which net, and which subjects calibrate.
struct EvalLivenessOptions {
  // "fr_liveness" (the engine's check) or "human" (human-models' two nets, the smaller score).
  std::string net = "fr_liveness";
  // Subjects whose images set the thresholds; the others are held out. Empty: the first half of
  // the list's subjects in sorted order (vision::DefaultCalibrationSubjects).
  std::vector<std::string> calibration_subjects;
  double target_bpcer = 0.05;  // the calibrated real_from leaves at most this share of live faces out
};

// Report of `eval liveness` (REQ P3), ISO/IEC 30107-3 figures.
struct EvalLivenessReport {
  std::string net;
  int64_t images = 0;
  vision::LivenessThresholds thresholds;  // in force: the service's for fr_liveness
  vision::LivenessFigures at_thresholds;  // every image, at `thresholds`
  std::vector<std::string> calibration_subjects, held_out_subjects;
  double target_bpcer = 0.05;
  vision::LivenessThresholds calibrated;  // from the calibration subjects' live faces
  vision::LivenessFigures calibration;    // the calibration subjects at `calibrated`
  vision::LivenessFigures held_out;       // the held-out subjects at `calibrated`: the honest figure
  std::vector<std::string> no_face_paths;
};

}  // namespace facegate::service
