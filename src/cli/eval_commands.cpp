#include "cli/eval_commands.h"

#include "cli/cli_util.h"
#include "service/json_views.h"

#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

namespace facegate::cli {

namespace {

// The option values of `eval`: CLI11 fills them, the callbacks read them.
struct EvalCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);

  std::string ev_pairs, ev_root = ".";
  bool ev_list = false;
  std::string ei_gallery, ei_probes, ei_root = ".";
  float ei_threshold = 0;
  std::string ea_file, ea_root = ".";
  bool ea_faceapi = false, ea_list = false;
  std::string ee_file, ee_root = ".";
  bool ee_list = false;
  std::string el_file, el_root = ".", el_net = "fr_liveness", el_calibrate;
  double el_bpcer = 0.05;
  bool el_list = false;
};

// One table of `eval liveness`: a row per label, then the ACER.
std::string LivenessTable(const vision::LivenessFigures& f) {
  std::ostringstream h;
  h << std::fixed;
  h << "| kind | images | no face | REAL | SPOOF | UNSURE | APCER / BPCER | ROC AUC (live vs kind) |\n"
    << "|---|---|---|---|---|---|---|---|\n";
  for (const auto& k : f.kinds) {
    h << "| " << k.kind << " | " << k.images << " | " << k.no_face << " | " << k.real << " | " << k.spoof << " | "
      << k.unsure << " | " << (k.kind == "live" ? "BPCER " : "APCER ") << std::setprecision(1) << 100 * k.error_rate
      << "% | ";
    if (k.kind != "live") h << std::setprecision(3) << k.auc << " ";
    h << "|\n";
  }
  h << std::setprecision(1) << "ACER (worst APCER " << 100 * f.worst_apcer << "% + BPCER " << 100 * f.bpcer
    << "%) / 2: " << 100 * f.acer << "%";
  return h.str();
}

void EvalCommands::Add(CLI::App& app) {
  // eval verify
  auto* eval = app.add_subcommand("eval", "measure accuracy on your own labelled photos (research grant, REQ P3)");
  eval->require_subcommand(1);
  auto* evv = eval->add_subcommand("verify", "verification accuracy on PAIRS.tsv (path1 TAB path2 TAB same(1|0) [TAB fold])");
  evv->add_option("pairs", ev_pairs, "pairs file; paths relative to --root")->required();
  evv->add_option("--root", ev_root, "folder the paths are relative to");
  evv->add_flag("--list-missing", ev_list, "list the photos where no face was found");
  evv->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->EvalVerify(ev_pairs, ev_root, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json j = {{"ok", true}, {"pairs", r->pairs}, {"same_pairs", r->same_pairs}, {"photos", r->photos},
              {"photos_without_face", r->photos_without_face}, {"pairs_with_missing_face", r->pairs_with_missing_face},
              {"threshold", r->threshold}, {"accuracy_at_threshold", r->accuracy_at_threshold},
              {"cv_accuracy", r->cv_accuracy}, {"cv_accuracy_std", r->cv_accuracy_std},
              {"cv_mean_threshold", r->cv_mean_threshold}, {"tar_at_far_1pct", r->tar_at_far_1},
              {"tar_at_far_0_1pct", r->tar_at_far_01}, {"no_face", r->no_face_paths},
              {"roc", r->roc}};  // (FAR, TAR, threshold): `facegate report compliance --eval` charts it
    std::ostringstream h;
    h << std::fixed << std::setprecision(2);
    h << "pairs: " << r->pairs << " (" << r->same_pairs << " same), photos: " << r->photos
      << ", no face found: " << r->photos_without_face << " photos (" << r->pairs_with_missing_face
      << " pairs, counted as errors)\n";
    h << "accuracy at threshold " << std::setprecision(3) << r->threshold << ": " << std::setprecision(2)
      << 100 * r->accuracy_at_threshold << "%\n";
    h << "10-fold cross-validated accuracy: " << 100 * r->cv_accuracy << "% +- " << 100 * r->cv_accuracy_std
      << " (mean threshold " << std::setprecision(3) << r->cv_mean_threshold << ")\n" << std::setprecision(2);
    h << "TAR at FAR 1%: " << 100 * r->tar_at_far_1 << "%, at FAR 0.1%: " << 100 * r->tar_at_far_01 << "%";
    if (ev_list)
      for (auto& p : r->no_face_paths) h << "\nno face: " << p;
    rc = Print(ctx, j, h.str());
  });

  // eval identify
  auto* evi = eval->add_subcommand(
      "identify", "open-set identification accuracy: GALLERY.tsv and PROBES.tsv (identity TAB path); "
                  "probe identities absent from the gallery are strangers");
  evi->add_option("gallery", ei_gallery, "gallery file; paths relative to --root")->required();
  evi->add_option("probes", ei_probes, "probes file; paths relative to --root")->required();
  evi->add_option("--root", ei_root, "folder the paths are relative to");
  evi->add_option("--threshold", ei_threshold, "decision threshold (default: the scope rule for the gallery's size)");
  evi->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->EvalIdentify(ei_gallery, ei_probes, ei_root, ctx.actor, ei_threshold);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json j = {{"ok", true}, {"gallery_photos", r->gallery_photos}, {"gallery_identities", r->gallery_identities},
              {"probes", r->probes}, {"enrolled_probes", r->enrolled_probes}, {"stranger_probes", r->stranger_probes},
              {"photos_without_face", r->photos_without_face}, {"threshold", r->threshold},
              {"threshold_from_scope_rule", r->threshold_from_scope_rule},
              {"expected_stranger_accept_rate", r->expected_stranger_accept}, {"rank1", r->rank1},
              {"identified", r->identified}, {"misidentified", r->misidentified},
              {"strangers_rejected", r->strangers_rejected}, {"no_face", r->no_face_paths}};
    std::ostringstream h;
    h << std::fixed << std::setprecision(2);
    h << "gallery: " << r->gallery_identities << " identities (" << r->gallery_photos
      << " photos, one mean template each); probes: " << r->enrolled_probes << " enrolled, " << r->stranger_probes
      << " strangers; no face found: " << r->photos_without_face << " photos (counted as errors)\n";
    h << "threshold " << std::setprecision(4) << r->threshold
      << (r->threshold_from_scope_rule ? " (scope rule for this size)" : " (given)") << std::setprecision(2)
      << ", expected stranger false-accept rate " << 100 * r->expected_stranger_accept << "%\n";
    h << "rank-1: " << 100 * r->rank1 << "%; enrolled probes identified correctly: " << 100 * r->identified
      << "% (as somebody else: " << 100 * r->misidentified << "%); strangers rejected: "
      << 100 * r->strangers_rejected << "%";
    rc = Print(ctx, j, h.str());
  });

  // eval attributes
  auto* eva = eval->add_subcommand(
      "attributes", "age and gender accuracy on ATTRS.tsv (path TAB age TAB gender(M|F)), per age band");
  eva->add_option("attributes", ea_file, "attributes file; paths relative to --root")->required();
  eva->add_option("--root", ea_root, "folder the paths are relative to");
  eva->add_flag("--faceapi", ea_faceapi, "face-api's pipeline as is (no flip averaging)");
  eva->add_flag("--list-missing", ea_list, "list the photos where no face was found");
  eva->callback([&] {
    if (!open()) return;
    // Research analysis grant in the service: in memory only, audited, nothing stored (REQ P3, AN1).
    auto res = ctx.svc->EvalAttributes(ea_file, ea_root, ctx.actor, ea_faceapi);
    if (!res.ok()) { rc = Report(ctx, res.status()); return; }
    const service::EvalAttributesReport& r = *res;
    auto stats_json = [](const service::AttributeBandReport& s) {
      return json{{"band", s.band}, {"photos", s.photos}, {"no_face", s.no_face},
                  {"age_mae", s.age_mae}, {"age_bias", s.age_bias},
                  {"gender_accuracy", s.gender_accuracy},
                  {"gender_accuracy_found", s.gender_accuracy_found}};
    };
    json bands = json::array();
    for (const auto& b : r.bands) bands.push_back(stats_json(b));
    json j = {{"ok", true}, {"pipeline", r.faceapi_pipeline ? "face-api" : "default"},
              {"flip_average", r.flip_average},
              {"box_margin", r.box_margin}, {"overall", stats_json(r.overall)},
              {"bands", bands}, {"no_face_paths", r.no_face_paths}};
    std::ostringstream h;
    h << std::fixed << std::setprecision(2);
    h << "photos: " << r.overall.photos << ", no face found: " << r.overall.no_face
      << " (counted as gender errors; excluded from the age error)\n";
    h << "band    photos  no face  age MAE  age bias  gender acc  (where found)\n";
    std::vector<const service::AttributeBandReport*> rows;
    for (const auto& b : r.bands) rows.push_back(&b);
    rows.push_back(&r.overall);
    for (const auto* s : rows) {
      h << std::left << std::setw(8) << s->band << std::right << std::setw(6) << s->photos
        << std::setw(9) << s->no_face << std::setw(9) << s->age_mae << std::setw(10) << s->age_bias
        << std::setw(11) << 100 * s->gender_accuracy << "%" << std::setw(13)
        << 100 * s->gender_accuracy_found << "%\n";
    }
    std::string human = h.str();
    if (ea_list)
      for (auto& p : r.no_face_paths) human += "no face: " + p + "\n";
    rc = Print(ctx, j, human.substr(0, human.size() - 1));
  });

  // eval eyes
  auto* eve = eval->add_subcommand(
      "eyes", "eye-state accuracy on EYES.tsv (path TAB open|closed|one_closed) with a confusion table; "
              "no face or unsure counted as errors (docs/drowsiness.md)");
  eve->add_option("eyes", ee_file, "eyes file; paths relative to --root")->required();
  eve->add_option("--root", ee_root, "folder the paths are relative to");
  eve->add_flag("--list-missing", ee_list, "list the photos where no face was found");
  eve->callback([&] {
    if (!open()) return;
    auto res = ctx.svc->EvalEyes(ee_file, ee_root, ctx.actor);
    if (!res.ok()) { rc = Report(ctx, res.status()); return; }
    const service::EvalEyesReport& r = *res;
    json confusion = json::object();
    for (int l = 0; l < service::EvalEyesReport::kLabels; ++l)
      for (int p = 0; p < service::EvalEyesReport::kPredicted; ++p)
        confusion[service::kEyeLabels[l]][service::kEyePredictions[p]] = r.confusion[l][p];
    // Per-class recall: of the photos labelled so, the share judged so (no face and unsure count
    // as misses), the figure the targets in docs/drowsiness.md are set on.
    json recall = json::object();
    std::ostringstream rec;
    for (int l = 0; l < service::EvalEyesReport::kLabels; ++l) {
      int64_t row = 0;
      for (int p = 0; p < service::EvalEyesReport::kPredicted; ++p) row += r.confusion[l][p];
      if (row == 0) continue;
      const double v = static_cast<double>(r.confusion[l][l]) / static_cast<double>(row);
      recall[service::kEyeLabels[l]] = v;
      rec << (rec.tellp() > 0 ? ", " : "") << service::kEyeLabels[l] << " " << std::fixed << std::setprecision(1)
          << 100 * v << "% of " << row;
    }
    json j = {{"ok", true}, {"photos", r.photos}, {"correct", r.correct}, {"accuracy", r.accuracy},
              {"no_face", r.no_face}, {"confusion", confusion}, {"recall", recall},
              {"no_face_paths", r.no_face_paths}};
    std::ostringstream h;
    h << "photos: " << r.photos << ", correct: " << r.correct << " (" << std::fixed << std::setprecision(1)
      << 100 * r.accuracy << "%), no face found: " << r.no_face << " (counted as errors, as is unsure)\n"
      << "recall: " << rec.str() << "\n";
    h << std::left << std::setw(14) << "label \\ judged";
    for (const char* p : service::kEyePredictions) h << std::right << std::setw(12) << p;
    for (int l = 0; l < service::EvalEyesReport::kLabels; ++l) {
      h << "\n" << std::left << std::setw(14) << service::kEyeLabels[l];
      for (int p = 0; p < service::EvalEyesReport::kPredicted; ++p) h << std::right << std::setw(12) << r.confusion[l][p];
    }
    if (ee_list)
      for (auto& p : r.no_face_paths) h << "\nno face: " << p;
    rc = Print(ctx, j, h.str());
  });

  // eval liveness
  auto* evl = eval->add_subcommand(
      "liveness", "presentation-attack detection on LIST.tsv (path TAB live|print|replay|<attack kind> TAB "
                  "subject=ID), ISO/IEC 30107-3: APCER per attack kind, BPCER, ACER, ROC AUC; thresholds "
                  "calibrated on some subjects and reported on the others (docs/liveness.md)");
  evl->add_option("list", el_file, "labelled images; paths relative to --root")->required();
  evl->add_option("--root", el_root, "folder the paths are relative to");
  evl->add_option("--net", el_net, "fr_liveness (the engine's check) or human (human-models' two nets)")
      ->check(CLI::IsMember({"fr_liveness", "human"}));
  evl->add_option("--calibrate", el_calibrate,
                  "comma-separated subjects whose images set the thresholds (default: the first half of the "
                  "subjects in sorted order); the others are held out");
  evl->add_option("--target-bpcer", el_bpcer, "share of live faces the calibrated threshold may refuse")
      ->check(CLI::Range(0.0, 0.99));
  evl->add_flag("--list-missing", el_list, "list the images where no face was found");
  evl->callback([&] {
    if (!open()) return;
    service::EvalLivenessOptions o;
    o.net = el_net;
    o.target_bpcer = el_bpcer;
    std::stringstream subjects(el_calibrate);
    for (std::string s; std::getline(subjects, s, ',');)
      if (!s.empty()) o.calibration_subjects.push_back(s);
    auto res = ctx.svc->EvalLiveness(el_file, el_root, ctx.actor, o);
    if (!res.ok()) { rc = Report(ctx, res.status()); return; }
    const service::EvalLivenessReport& r = *res;
    json j = service::EvalLivenessJson(r);
    j["ok"] = true;
    auto join = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
      return out;
    };
    std::ostringstream h;
    h << std::fixed << std::setprecision(3);
    h << r.images << " images; net " << r.net << "; thresholds in force: SPOOF below " << r.thresholds.spoof_below
      << ", REAL from " << r.thresholds.real_from << "\n\nEvery image at these thresholds:\n"
      << LivenessTable(r.at_thresholds) << "\n\nCalibrated on subjects " << join(r.calibration_subjects)
      << " for BPCER <= " << std::setprecision(1) << 100 * r.target_bpcer << "%: SPOOF below " << std::setprecision(4)
      << r.calibrated.spoof_below << ", REAL from " << r.calibrated.real_from << "\n\nHeld-out subjects ("
      << join(r.held_out_subjects) << ") at the calibrated thresholds:\n" << LivenessTable(r.held_out);
    if (el_list)
      for (auto& p : r.no_face_paths) h << "\nno face: " << p;
    rc = Print(ctx, j, h.str());
  });
}

}  // namespace

void AddEvalCommands(CLI::App& app, Cli& cli) { AddFamily<EvalCommands>(app, cli); }

}  // namespace facegate::cli
