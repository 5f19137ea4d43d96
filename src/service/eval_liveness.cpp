// `facegate eval liveness` (docs/liveness.md): every labelled image's largest face scored by the
// chosen net under a research grant, nothing stored (REQ P3); the figures are
// vision::MeasureLiveness's, at the thresholds in force and on held-out subjects.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "policy/gate.h"
#include "service/json_views.h"
#include "service/service_impl.h"

namespace facegate::service {

namespace {

// The human-models nets' former thresholds, on the smaller of their two scores: what
// `--net human` is judged at before calibration.
vision::LivenessThresholds HumanThresholds() {
  vision::LivenessThresholds t;
  t.spoof_below = 0.1f;
  t.real_from = 0.5f;
  return t;
}

json FiguresJson(const vision::LivenessFigures& f) {
  json kinds = json::array();
  for (const auto& k : f.kinds)
    kinds.push_back({{"kind", k.kind}, {"images", k.images}, {"no_face", k.no_face}, {"real", k.real},
                     {"spoof", k.spoof}, {"unsure", k.unsure}, {k.kind == "live" ? "bpcer" : "apcer", k.error_rate},
                     {"auc", k.auc}});
  return {{"kinds", kinds}, {"bpcer", f.bpcer}, {"worst_apcer", f.worst_apcer}, {"acer", f.acer}};
}

}  // namespace

json EvalLivenessJson(const EvalLivenessReport& r) {
  auto th = [](const vision::LivenessThresholds& t) {
    return json{{"spoof_below", t.spoof_below}, {"real_from", t.real_from}};
  };
  return {{"net", r.net},
          {"images", r.images},
          {"thresholds", th(r.thresholds)},
          {"at_thresholds", FiguresJson(r.at_thresholds)},
          {"calibration_subjects", r.calibration_subjects},
          {"held_out_subjects", r.held_out_subjects},
          {"target_bpcer", r.target_bpcer},
          {"calibrated", th(r.calibrated)},
          {"calibration", FiguresJson(r.calibration)},
          {"held_out", FiguresJson(r.held_out)},
          {"no_face_paths", r.no_face_paths}};
}

Result<EvalLivenessReport> Service::EvalLiveness(const std::string& list_file, const std::string& root,
                                                 const std::string& actor, const EvalLivenessOptions& options) {
  if (options.net != "fr_liveness" && options.net != "human")
    return Status::InvalidInput("unknown liveness net '" + options.net +
                                "'; use fr_liveness (the engine's check) or human (human-models' nets)");
  FG_ASSIGN_OR_RETURN(std::vector<vision::LivenessSample> samples, vision::ReadLivenessSamples(list_file));
  std::set<std::string> subjects;
  for (const auto& s : samples) subjects.insert(s.subject);
  const std::vector<std::string> calibrate = options.calibration_subjects.empty()
                                                 ? vision::DefaultCalibrationSubjects(samples)
                                                 : options.calibration_subjects;
  const std::set<std::string> calibrating(calibrate.begin(), calibrate.end());
  for (const auto& c : calibrate)
    if (!subjects.count(c))
      return Status::InvalidInput("calibration subject '" + c + "' is not in " + list_file +
                                  "; name subjects from its third column (subject=ID)");
  FG_ASSIGN_OR_RETURN(vision::Engine * eng, engine());
  // Research grant: the images are processed in memory only; nothing is stored (REQ P3).
  const Grant grant = policy::Gate::AuthorizeResearch(list_file);
  const bool fr = options.net == "fr_liveness";
  std::vector<vision::LivenessOutcome> outcomes(samples.size());
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error = Status::Ok();
  auto worker = [&] {
    for (size_t i; (i = next++) < samples.size();) {
      auto fail = [&](const Status& s) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) first_error = Status(s.kind(), samples[i].path + ": " + s.message());
      };
      auto rgb = vision::ReadImageFile(root + "/" + samples[i].path);
      if (!rgb.ok()) {
        // A missing file is the caller's mistake; an unreadable image is a failure to acquire.
        if (rgb.status().kind() == ErrorKind::kNotFound) fail(rgb.status());
        continue;
      }
      auto faces = eng->Detect(grant, *rgb);
      if (!faces.ok() || faces->empty()) continue;
      auto s = eng->ScoreLiveness(grant, *rgb, faces->front());  // the largest face
      if (!s.ok()) {
        fail(s.status());
        continue;
      }
      outcomes[i] = {true, fr ? s->fr_liveness : std::min(s->antispoof, s->liveness)};
    }
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < 2; ++w) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  FG_RETURN_IF_ERROR(first_error);

  EvalLivenessReport rep;
  rep.net = options.net;
  rep.images = static_cast<int64_t>(samples.size());
  rep.thresholds = fr ? impl_->config.liveness_thresholds : HumanThresholds();
  rep.at_thresholds = vision::MeasureLiveness(samples, outcomes, {}, rep.thresholds);
  rep.calibration_subjects = calibrate;
  for (const auto& s : subjects)
    if (!calibrating.count(s)) rep.held_out_subjects.push_back(s);
  std::vector<size_t> cal, held;
  for (size_t i = 0; i < samples.size(); ++i) {
    (calibrating.count(samples[i].subject) ? cal : held).push_back(i);
    if (!outcomes[i].found) rep.no_face_paths.push_back(samples[i].path);
  }
  rep.target_bpcer = options.target_bpcer;
  FG_ASSIGN_OR_RETURN(rep.calibrated, vision::CalibrateLiveness(samples, outcomes, cal, options.target_bpcer));
  rep.calibration = vision::MeasureLiveness(samples, outcomes, cal, rep.calibrated);
  if (!held.empty()) rep.held_out = vision::MeasureLiveness(samples, outcomes, held, rep.calibrated);
  // Audited like every use of a grant: the figures only, no image, path or per-image score.
  FG_RETURN_IF_ERROR(impl_->Audit(actor, "eval.liveness", "", grant.purpose(), Status::Ok(),
                                  {{"grant", grant.id()},
                                   {"net", rep.net},
                                   {"images", rep.images},
                                   {"acer", rep.at_thresholds.acer},
                                   {"held_out_acer", rep.held_out.acer}}));
  return rep;
}

}  // namespace facegate::service
