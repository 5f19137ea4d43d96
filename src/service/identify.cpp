// Identification (1:N) within a scope (REQ SC2) and `eval identify` (REQ P3).
#include <facegate/service.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/tsv.h"
#include "gallery/index.h"
#include "gallery/mean.h"
#include "service/calibration.h"
#include "service/liveness_check.h"
#include "service/service_impl.h"
#include "service/threshold_rule.h"
#include "vision/detection.h"

namespace facegate::service {

namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string Fixed(double v, int digits) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(digits);
  o << v;
  return o.str();
}

}  // namespace

void Service::SetScopeLoadProgress(
    std::function<void(const std::string& purpose, size_t done, size_t total)> progress) {
  impl_->Scopes().SetProgress(std::move(progress));
}

Result<IdentifyResult> Service::Identify(const std::string& purpose, const std::string& image_bytes,
                                         const std::string& actor) {
  return IdentifyIn(purpose, image_bytes, "", actor, nullptr);
}

Result<IdentifyResult> Service::Identify(const std::string& purpose, const std::string& image_bytes,
                                         const std::string& session, const std::string& actor) {
  return IdentifyIn(purpose, image_bytes, session, actor, nullptr);
}

Result<IdentifyResult> Service::IdentifyIn(const std::string& purpose, const std::string& image_bytes,
                                           const std::string& session, const std::string& actor,
                                           FrameScope* frame) {
  auto& I = *impl_;
  const char* act = "identify";
  // REQ A2, D7: a person who chose another method in this session is not captured; refused
  // before the photo is decoded.
  if (!session.empty()) {
    auto alt = I.store->OpenAlternativeInSession(purpose, session, I.Now());
    if (!alt.ok()) return I.Fail(actor, act, "", purpose, alt.status());
    if (*alt)
      return I.Fail(actor, act, "", purpose,
                    Status::Refused("A2", "the person chose another method (" + (*alt)->method +
                                              ", transaction " + std::to_string((*alt)->id) +
                                              ") in session '" + session +
                                              "': no face is captured there; finish that method instead"),
                    I.FrameDetail({{"session", session}}, frame));
  }
  // REQ SC2, N1: only a declared identification purpose with a notice is a scope.
  auto grant = I.gate->AuthorizeScopeSearch(purpose);
  if (!grant.ok()) return I.Fail(actor, act, "", purpose, grant.status());
  IdentifyResult res;
  res.alternatives = AlternativesOf(purpose);
  auto t0 = std::chrono::steady_clock::now();
  auto rgb = I.DecodeFrame(image_bytes, frame);
  res.timings.decode_ms = MsSince(t0);
  if (!rgb.ok()) return I.Fail(actor, act, "", purpose, rgb.status(), {{"grant", grant->id()}});
  // The engine first: scopes index only templates of its model.
  auto engine = I.Engine();
  if (!engine.ok()) return I.Fail(actor, act, "", purpose, engine.status(), {{"grant", grant->id()}});
  // Members: subjects with an active identification consent (REQ SC2, C1).
  auto scope = I.Scopes().Get(*grant, [&](const std::string& subject) {
    return I.gate->CandidateConsent(subject, purpose).ok();
  });
  if (!scope.ok()) return I.Fail(actor, act, "", purpose, scope.status(), {{"grant", grant->id()}});
  res.scope_size = (*scope)->Subjects();
  res.scope_templates = (*scope)->Templates();
  // The threshold for this size (issue 4 part 3): a stranger is accepted with
  // at most the target probability, or the scope is refused before any face
  // is processed.
  const ScopeThreshold rule = ThresholdForScope(res.scope_size, I.config.verify_threshold);
  res.threshold = rule.threshold;
  res.stranger_accept_rate = rule.stranger_far;
  res.genuine_accept_rate = rule.genuine_accept;
  res.max_scope_size = rule.max_supported;
  res.warning = rule.warning;
  if (const std::size_t other = (*scope)->OtherModelTemplates(); other > 0) {
    if (!res.warning.empty()) res.warning += "; ";
    res.warning += std::to_string(other) + " template(s) of this scope were made by another model than " +
                   (*engine)->model_version() +
                   " and are not searched: enrol those people again (facegate enrol)";
  }
  // The operator's stricter threshold, when set, may serve a scope the rule refuses (SC2).
  auto op = I.store->GetIdentifyThreshold(purpose);
  if (!op.ok()) {
    rgb->setTo(cv::Scalar::all(0));
    return I.Fail(actor, act, "", purpose, op.status(), {{"grant", grant->id()}});
  }
  const EffectiveThreshold eff = ApplyOperatorThreshold(rule, *op, res.scope_size);
  if (eff.from_operator) {
    res.operator_threshold = true;
    res.threshold = eff.threshold;
    res.stranger_accept_rate = eff.stranger_far;
    res.genuine_accept_rate = eff.genuine_accept;
    res.max_scope_size = Impostors().MaxScopeSize(eff.threshold, kDefaultStrangerFar);
    res.warning.clear();
    if (eff.genuine_accept < kWarnGenuineAccept)
      res.warning = "the operator's threshold " + Fixed(eff.threshold, 3) + " recognises only about " +
                    Fixed(100 * eff.genuine_accept, 0) +
                    "% of enrolled people; the others are answered \"unknown\" and use the alternative";
  }
  json base = {{"grant", grant->id()},
               {"scope_size", res.scope_size},
               {"threshold", res.threshold},
               {"operator_threshold", res.operator_threshold},
               {"stranger_accept_rate", res.stranger_accept_rate}};
  if (!session.empty()) base["session"] = session;
  base = I.FrameDetail(std::move(base), frame);
  if (eff.operator_too_loose) {
    rgb->setTo(cv::Scalar::all(0));
    return I.Fail(
        actor, act, "", purpose,
        Status::Refused("SC2", "scope '" + purpose + "' has grown to " + std::to_string(res.scope_size) +
                                   " members, past what the operator's threshold " +
                                   Fixed((*op)->threshold, 3) + " keeps within " +
                                   Fixed(100 * kDefaultStrangerFar, 0) +
                                   "% stranger false accepts; the scope rule would need " +
                                   Fixed(rule.threshold, 3) + ". Set a stricter threshold (facegate purpose "
                                   "threshold " + purpose + " --identify VALUE below " +
                                   Fixed(rule.threshold, 3) + " --reason ...) or split the scope"),
        base);
  }
  if (!eff.allowed) {
    rgb->setTo(cv::Scalar::all(0));
    return I.Fail(
        actor, act, "", purpose,
        Status::Refused(
            "SC2", "scope '" + purpose + "' has " + std::to_string(res.scope_size) +
                       " members: to keep strangers' false accepts at " +
                       Fixed(100 * kDefaultStrangerFar, 0) + "% its threshold would fall to " +
                       Fixed(rule.threshold, 3) + ", where only about " +
                       Fixed(100 * rule.genuine_accept, 0) +
                       "% of enrolled people would be recognised; this model serves at most " +
                       std::to_string(rule.max_supported) +
                       " members per scope. Split the scope (per site, floor or team), "
                       "verify 1:1 after a card or PIN instead, or set a stricter operator "
                       "threshold (facegate purpose threshold " + purpose + " --identify VALUE "
                       "below " + Fixed(rule.threshold, 3) + " --reason ...)"),
        base);
  }
  auto face = I.OneFace(*grant, *rgb, &res.timings, frame);
  if (!face.ok()) {
    rgb->setTo(cv::Scalar::all(0));
    return I.Fail(actor, act, "", purpose, face.status(), base);
  }
  vision::Engine* eng = *engine;
  // A photo held up is no more a person at 1:N than at 1:1: the purpose's liveness rule for
  // verification applies to identification too (docs/liveness.md).
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok()) {
    rgb->setTo(cv::Scalar::all(0));
    return I.Fail(actor, act, "", purpose, p.status(), base);
  }
  Status live = RequireLiveness(*eng, *grant, *rgb, *face, *p, Operation::kIdentify,
                                I.config.liveness_thresholds, &res.liveness);
  if (!live.ok()) {
    rgb->setTo(cv::Scalar::all(0));  // REQ D3: nothing of the probe is kept
    json detail = base;
    if (res.liveness) detail["liveness"] = LivenessJson(*res.liveness);
    return I.Fail(actor, act, "", purpose, live, detail);
  }
  auto probe = eng->Extract(*grant, *rgb, *face, &res.timings);
  rgb->setTo(cv::Scalar::all(0));
  if (!probe.ok()) return I.Fail(actor, act, "", purpose, probe.status(), base);
  res.model = probe->model();
  auto candidates = (*scope)->Search(gallery::Vector(probe->values()), 8);
  // Nothing of the probe is kept, match or not (REQ D3).
  probe->Wipe();
  if (!candidates.ok()) return I.Fail(actor, act, "", purpose, candidates.status(), base);
  res.distance = candidates->empty() ? std::numeric_limits<float>::infinity()
                                     : candidates->front().distance;
  std::optional<ConsentRecord> once;
  for (const ScopeCandidate& c : *candidates) {
    if (c.distance > res.threshold) break;  // nearest first: the rest are farther
    // The candidate is re-checked: a consent withdrawn, expired or spent since
    // the index was built makes them no member (REQ C1, C4, C5).
    auto consent = I.gate->CandidateConsent(c.subject, purpose);
    if (!consent.ok()) continue;
    if (consent->option == ConsentOption::kOnce) {
      // "Only this time": spent atomically by this identification (REQ C5).
      if (!I.store->MarkConsentUsed(consent->id, I.Now()).ok()) continue;
      once = *consent;
    }
    res.identified = true;
    res.subject = c.subject;
    res.distance = c.distance;
    res.consent_id = consent->id;
    break;
  }
  json detail = base;
  detail["identified"] = res.identified;
  // A non-match leaves nothing of the probe, not even its distance to the nearest member (REQ D3).
  if (res.identified) detail["distance"] = res.distance;
  detail["model"] = res.model;
  detail = I.FrameDetail(std::move(detail), frame);
  if (res.identified) detail["consent_id"] = res.consent_id;
  if (res.liveness) detail["liveness"] = LivenessJson(*res.liveness);
  // The subject is named in the audit only when matched; no template, no image. No answer
  // without its audit record (REQ S6).
  if (Status logged = I.Audit(actor, act, res.subject, purpose, Status::Ok(), detail); !logged.ok()) {
    if (once) I.ForgetSpentOnce(res.subject, purpose);
    return logged;
  }
  // A spent "once" consent takes its templates with it (REQ C5, S5, S7).
  if (once) I.ForgetSpentOnce(res.subject, purpose);
  if (!res.identified) res.consent_id = 0;
  return res;
}

namespace {

struct Labelled {
  std::string identity, path;
};

Result<std::vector<Labelled>> ReadLabelled(const std::string& file) {
  std::vector<Labelled> out;
  FG_RETURN_IF_ERROR(ForEachTsvRow(file, "file", [&](const std::string& where,
                                                      const std::vector<std::string>& cols) {
    if (cols.size() != 2 || cols[0].empty() || cols[1].empty())
      return Status::InvalidInput(where + ": expected identity<TAB>path");
    out.push_back({cols[0], cols[1]});
    return Status::Ok();
  }));
  if (out.empty()) return Status::InvalidInput(file + " holds no lines (identity<TAB>path)");
  return out;
}

}  // namespace

Result<EvalIdentifyReport> Service::EvalIdentify(const std::string& gallery_file,
                                                 const std::string& probes_file,
                                                 const std::string& root, const std::string& actor,
                                                 float threshold) {
  auto& I = *impl_;
  FG_ASSIGN_OR_RETURN(std::vector<Labelled> gallery, ReadLabelled(gallery_file));
  FG_ASSIGN_OR_RETURN(std::vector<Labelled> probes, ReadLabelled(probes_file));
  FG_ASSIGN_OR_RETURN(vision::Engine * eng, I.Engine());
  // Research grant: photos in memory only, nothing stored (REQ P3).
  Grant grant = policy::Gate::AuthorizeResearch(gallery_file + " + " + probes_file);

  // One template per distinct photo; the face nearest the centre is the labelled one.
  std::map<std::string, std::optional<std::array<float, kTemplateDim>>> templates;
  for (const auto* list : {&gallery, &probes})
    for (const Labelled& l : *list) templates.emplace(l.path, std::nullopt);
  std::vector<std::pair<const std::string, std::optional<std::array<float, kTemplateDim>>>*> work;
  for (auto& e : templates) work.push_back(&e);
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status failure;
  auto worker = [&] {
    for (size_t i; (i = next++) < work.size();) {
      auto rgb = vision::ReadImageFile(root + "/" + work[i]->first);
      if (!rgb.ok()) {
        if (rgb.status().kind() == ErrorKind::kNotFound) {
          std::lock_guard lock(mu);
          if (failure.ok()) failure = rgb.status();
        }
        continue;
      }
      auto faces = eng->Detect(grant, *rgb);
      if (!faces.ok() || faces->empty()) continue;
      const vision::Face& f = faces->at(vision::NearestToCentre(*faces, rgb->size()));
      auto t = eng->Extract(grant, *rgb, f);
      rgb->setTo(cv::Scalar::all(0));
      if (t.ok()) work[i]->second = t->values();
    }
  };
  unsigned nthreads = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned k = 0; k < nthreads; ++k) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (!failure.ok()) return failure;

  EvalIdentifyReport rep;
  for (auto& [path, v] : templates)
    if (!v) rep.no_face_paths.push_back(path);
  rep.photos_without_face = int64_t(rep.no_face_paths.size());
  // The gallery as a scope holds it: one mean template per identity.
  std::map<std::string, gallery::MeanAccumulator> sums;
  for (const Labelled& g : gallery) {
    ++rep.gallery_photos;
    const auto& v = templates[g.path];
    if (!v) continue;
    sums[g.identity].Add(v->data());
  }
  gallery::Index index;
  std::vector<std::string> identity_of;
  std::map<std::string, bool> enrolled;
  for (auto& [identity, acc] : sums) {
    std::array<float, kTemplateDim> mean = acc.Mean();
    FG_RETURN_IF_ERROR(index.Add(int64_t(identity_of.size()), gallery::Vector(mean)));
    identity_of.push_back(identity);
    enrolled[identity] = true;
  }
  rep.gallery_identities = int64_t(enrolled.size());
  if (index.NeedsRebuild()) FG_RETURN_IF_ERROR(index.Rebuild());
  const ScopeThreshold rule = ThresholdForScope(uint64_t(index.Size()), I.config.verify_threshold);
  rep.threshold_from_scope_rule = threshold <= 0;
  rep.threshold = threshold > 0 ? threshold : rule.threshold;
  rep.expected_stranger_accept = Impostors().StrangerAcceptRate(rep.threshold, index.Size());

  int64_t rank1 = 0, identified = 0, wrong = 0, rejected = 0;
  for (const Labelled& p : probes) {
    const bool is_enrolled = enrolled.count(p.identity) > 0;
    ++rep.probes;
    ++(is_enrolled ? rep.enrolled_probes : rep.stranger_probes);
    const auto& v = templates[p.path];
    if (!v || index.Size() == 0) continue;  // no face: neither identified nor rejected
    FG_ASSIGN_OR_RETURN(std::vector<gallery::Hit> hits, index.Search(gallery::Vector(*v), 1));
    const std::string& who = identity_of[size_t(hits[0].id)];
    const bool accepted = hits[0].distance <= rep.threshold;
    if (is_enrolled) {
      rank1 += who == p.identity;
      identified += accepted && who == p.identity;
      wrong += accepted && who != p.identity;
    } else {
      rejected += !accepted;
    }
  }
  auto share = [](int64_t a, int64_t b) { return b ? double(a) / double(b) : 0.0; };
  rep.rank1 = share(rank1, rep.enrolled_probes);
  rep.identified = share(identified, rep.enrolled_probes);
  rep.misidentified = share(wrong, rep.enrolled_probes);
  rep.strangers_rejected = share(rejected, rep.stranger_probes);
  for (auto& [path, v] : templates)
    if (v) std::fill(v->begin(), v->end(), 0.0f);

  // Audited like every use of a grant; no photo, template or path is stored.
  I.Audit(actor, "eval.identify", "", grant.purpose(), Status::Ok(),
          {{"grant", grant.id()},
           {"gallery_identities", rep.gallery_identities},
           {"probes", rep.probes},
           {"threshold", rep.threshold},
           {"identified", rep.identified},
           {"strangers_rejected", rep.strangers_rejected}});
  return rep;
}

}  // namespace facegate::service
