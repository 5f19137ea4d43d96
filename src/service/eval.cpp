// `eval verify`: accuracy on the user's own labelled pairs, under a research
// grant: photos are processed in memory only, nothing is stored (REQ P3).
#include <facegate/service.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <map>

#include "common/tsv.h"
#include "policy/gate.h"
#include "vision/metrics.h"
#include "vision/detection.h"

namespace facegate::service {

namespace {

struct PairLine {
  std::string a, b;
  bool same = false;
  int fold = -1;
};

Result<std::vector<PairLine>> ReadPairs(const std::string& file) {
  std::vector<PairLine> out;
  FG_RETURN_IF_ERROR(ForEachTsvRow(file, "pairs file", [&](const std::string& where,
                                                            const std::vector<std::string>& cols) {
    if (cols.size() < 3 || cols.size() > 4 || (cols[2] != "0" && cols[2] != "1"))
      return Status::InvalidInput(where + ": expected path1<TAB>path2<TAB>same(1|0)[<TAB>fold]");
    PairLine p{cols[0], cols[1], cols[2] == "1", -1};
    if (cols.size() == 4) {
      try {
        p.fold = std::stoi(cols[3]);
      } catch (...) {
        return Status::InvalidInput(where + ": fold '" + cols[3] + "' is not a number");
      }
    }
    out.push_back(p);
    return Status::Ok();
  }));
  if (out.empty()) return Status::InvalidInput(file + " holds no pairs");
  return out;
}

}  // namespace

Result<EvalReport> Service::EvalVerify(const std::string& pairs_file, const std::string& root,
                                       const std::string& actor) {
  FG_ASSIGN_OR_RETURN(std::vector<PairLine> pairs, ReadPairs(pairs_file));
  FG_ASSIGN_OR_RETURN(vision::Engine * eng, engine());
  Grant grant = policy::Gate::AuthorizeResearch(pairs_file);
  EvalReport rep;
  rep.threshold = config().verify_threshold;
  rep.pairs = static_cast<int64_t>(pairs.size());

  // One template per distinct photo, in memory only; the face nearest the
  // centre is the labelled one (LFW convention).
  std::map<std::string, std::optional<Template>> templates;
  for (const PairLine& p : pairs)
    for (const std::string* path : {&p.a, &p.b}) templates.emplace(*path, std::nullopt);
  // Photos are processed by one worker per core; the engine is thread-safe.
  std::vector<std::pair<const std::string, std::optional<Template>>*> work;
  for (auto& entry : templates) work.push_back(&entry);
  std::vector<std::string> missing(work.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> not_found{false};
  Status first_not_found;
  std::mutex mu;
  auto worker = [&] {
    for (size_t i; (i = next++) < work.size();) {
      const std::string& path = work[i]->first;
      auto rgb = vision::ReadImageFile(root + "/" + path);
      if (!rgb.ok()) {
        if (rgb.status().kind() == ErrorKind::kNotFound) {
          std::lock_guard<std::mutex> lock(mu);
          if (!not_found.exchange(true)) first_not_found = rgb.status();
        }
        missing[i] = path + " (" + rgb.status().message() + ")";
        continue;
      }
      auto faces = eng->Detect(grant, *rgb);
      if (!faces.ok() || faces->empty()) {
        missing[i] = path;
        continue;
      }
      const vision::Face& f = faces->at(vision::NearestToCentre(*faces, rgb->size()));
      auto t = eng->Extract(grant, *rgb, f);
      if (t.ok()) work[i]->second = std::move(t).value();
      else missing[i] = path;
    }
  };
  unsigned n = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned k = 0; k < n; ++k) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (not_found) return first_not_found;
  for (auto& m : missing)
    if (!m.empty()) rep.no_face_paths.push_back(m);
  rep.photos = static_cast<int64_t>(templates.size());
  rep.photos_without_face = static_cast<int64_t>(rep.no_face_paths.size());

  std::vector<vision::ScoredPair> scored;
  bool have_folds = true;
  for (const PairLine& p : pairs) have_folds = have_folds && p.fold >= 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const PairLine& p = pairs[i];
    vision::ScoredPair s;
    s.same = p.same;
    s.fold = have_folds ? p.fold : static_cast<int>(i % 10);  // folds made by the program
    const auto& ta = templates[p.a];
    const auto& tb = templates[p.b];
    if (ta && tb) s.distance = ta->DistanceTo(*tb);
    else s.failed = true, ++rep.pairs_with_missing_face;
    if (p.same) ++rep.same_pairs;
    scored.push_back(s);
  }
  int folds = 0;
  for (const auto& s : scored) folds = std::max(folds, s.fold + 1);
  rep.accuracy_at_threshold = vision::AccuracyAt(scored, rep.threshold);
  vision::CrossValidation cv = vision::CrossValidate(scored, std::max(folds, 2));
  rep.cv_accuracy = cv.mean_accuracy;
  rep.cv_accuracy_std = cv.stddev_accuracy;
  rep.cv_mean_threshold = cv.mean_threshold;
  rep.tar_at_far_1 = vision::TarAtFarTarget(scored, 0.01).tar;
  rep.tar_at_far_01 = vision::TarAtFarTarget(scored, 0.001).tar;
  // The ROC over every distance (REQ F3 report charts): accept when distance <= t.
  {
    std::vector<std::pair<float, bool>> d;
    int64_t same = 0, diff = 0;
    for (const auto& sp : scored) {
      sp.same ? ++same : ++diff;
      if (!sp.failed) d.emplace_back(sp.distance, sp.same);
    }
    std::sort(d.begin(), d.end());
    const size_t step = std::max<size_t>(1, d.size() / 200);
    int64_t ta = 0, fa = 0;
    for (size_t i = 0; i < d.size(); ++i) {
      d[i].second ? ++ta : ++fa;
      if ((i + 1) % step == 0 || i + 1 == d.size())
        rep.roc.push_back({diff ? double(fa) / diff : 0, same ? double(ta) / same : 0, d[i].first});
    }
  }
  for (auto& [path, tpl] : templates)
    if (tpl) tpl->Wipe();

  // Audited like every use of a grant; no photo, template or path list is stored.
  AuditEvent e;
  e.at = config().clock ? config().clock() : policy::SystemNow();
  e.actor = actor;
  e.action = "eval.verify";
  e.purpose = grant.purpose();
  e.outcome = "ok";
  e.detail = nlohmann::json{{"grant", grant.id()},
                            {"pairs", rep.pairs},
                            {"photos", rep.photos},
                            {"accuracy", rep.accuracy_at_threshold},
                            {"cv_accuracy", rep.cv_accuracy}}
                 .dump();
  auto a = store().AppendAudit(e);
  if (!a.ok()) return a.status();
  return rep;
}

}  // namespace facegate::service
