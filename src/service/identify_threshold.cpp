// The operator's stricter identification threshold per purpose (REQ SC2, issue 4 part 3): a
// scope past what the model serves at the scope rule's threshold may still be searched when the
// operator accepts that fewer enrolled people are recognised, so that strangers stay within the
// target false-accept rate (docs/identification.md "Operator threshold").
#include <facegate/service.h>

#include <cmath>
#include <cstdio>
#include <set>

#include "service/calibration.h"
#include "service/service_impl.h"
#include "service/threshold_rule.h"

namespace facegate::service {

namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

EffectiveThreshold ApplyOperatorThreshold(const ScopeThreshold& rule,
                                          const std::optional<IdentifyThresholdRecord>& op,
                                          uint64_t scope_size, double target_far) {
  EffectiveThreshold e;
  e.threshold = rule.threshold;
  e.stranger_far = rule.stranger_far;
  e.genuine_accept = rule.genuine_accept;
  e.allowed = rule.supported;
  if (!op) return e;
  if (op->threshold <= rule.threshold) {
    // Stricter than the rule: used, and it keeps strangers within the target at this size
    // (the rule's threshold is the largest that does), so the scope is served at any size.
    e.from_operator = true;
    e.threshold = op->threshold;
    e.stranger_far = Impostors().StrangerAcceptRate(op->threshold, scope_size);
    e.genuine_accept = GenuineAcceptRate(op->threshold);
    e.allowed = e.stranger_far <= target_far;
  } else if (!rule.supported) {
    // The scope grew past what the operator's threshold keeps within the target: refuse, and
    // say how strict it would have to be now.
    e.allowed = false;
    e.operator_too_loose = true;
  }
  // Otherwise the scope rule is the stricter of the two and applies as usual.
  return e;
}

namespace {

// The report for `op` (or none) at the scope's current size.
Result<IdentifyThresholdReport> ThresholdReport(store::Store& store, policy::Gate& gate, float verify_threshold,
                                                const std::string& purpose,
                                                const std::optional<IdentifyThresholdRecord>& op) {
  IdentifyThresholdReport r;
  r.purpose = purpose;
  if (op) {
    r.set = true;
    r.threshold = op->threshold;
    r.reason = op->reason;
    r.actor = op->actor;
    r.set_at = op->set_at;
  }
  // Members as a scope would hold them, counted from the store without opening a template:
  // subjects with a template for the purpose and an active identification consent.
  FG_ASSIGN_OR_RETURN(std::vector<SealedTemplate> sealed, store.ListTemplatesForPurpose(purpose));
  std::set<std::string> subjects;
  for (const SealedTemplate& t : sealed) subjects.insert(t.subject);
  for (const std::string& s : subjects) r.scope_size += gate.CandidateConsent(s, purpose).ok();
  const ScopeThreshold rule = ThresholdForScope(r.scope_size, verify_threshold);
  r.scope_rule_threshold = rule.threshold;
  r.scope_rule_supported = rule.supported;
  const EffectiveThreshold e = ApplyOperatorThreshold(rule, op, r.scope_size);
  r.stranger_accept_rate = e.stranger_far;
  r.genuine_accept_rate = e.genuine_accept;
  r.max_scope_size = Impostors().MaxScopeSize(e.threshold, kDefaultStrangerFar);
  return r;
}

Status CheckIdentificationPurpose(store::Store& store, const std::string& purpose) {
  auto p = store.GetPurpose(purpose);
  if (!p.ok())
    return Status::NotFound("purpose '" + purpose + "' does not exist; `facegate purpose list` shows the declared ones");
  if (p->scenario != Scenario::kIdentification)
    return Status::InvalidInput("purpose '" + purpose + "' is declared for " + ToString(p->scenario) +
                                ": an identification threshold applies only to identification purposes");
  return Status::Ok();
}

json ReportJson(const IdentifyThresholdReport& r) {
  return {{"threshold", r.threshold},
          {"scope_size", r.scope_size},
          {"scope_rule_threshold", r.scope_rule_threshold},
          {"stranger_accept_rate", r.stranger_accept_rate},
          {"genuine_accept_rate", r.genuine_accept_rate},
          {"max_scope_size", r.max_scope_size}};
}

}  // namespace

Result<IdentifyThresholdReport> Service::SetIdentifyThreshold(const std::string& purpose, float threshold,
                                                              const std::string& reason,
                                                              const std::string& actor) {
  auto& I = *impl_;
  const char* act = "purpose.threshold";
  Status ok = CheckIdentificationPurpose(*I.store, purpose);
  if (!ok.ok()) return I.Fail(actor, act, "", purpose, ok);
  if (reason.empty())
    return I.Fail(actor, act, "", purpose,
                  Status::InvalidInput("say why the threshold is set (--reason \"...\"); it is kept "
                                       "with the threshold and in the audit log"));
  if (!std::isfinite(threshold) || threshold <= 0)
    return I.Fail(actor, act, "", purpose,
                  Status::InvalidInput("the threshold must be a positive distance, e.g. 0.95"));
  FG_ASSIGN_OR_RETURN(IdentifyThresholdReport now, ThresholdReport(*I.store, *I.gate, I.config.verify_threshold, purpose, std::nullopt));
  // Stricter only (REQ SC2): a larger threshold would accept more strangers than the rule allows.
  if (!(threshold < now.scope_rule_threshold))
    return I.Fail(actor, act, "", purpose,
                  Status::InvalidInput(
                      "the operator's threshold may only be stricter than the scope rule's: scope '" + purpose +
                      "' has " + std::to_string(now.scope_size) + " members, for which the rule's threshold is " +
                      Fixed(now.scope_rule_threshold, 4) + " (" + Fixed(100 * kDefaultStrangerFar, 0) +
                      "% of strangers accepted); give a value below it, e.g. " +
                      Fixed(std::floor(now.scope_rule_threshold * 100 - 1) / 100, 2)),
                  {{"threshold", threshold}, {"scope_rule_threshold", now.scope_rule_threshold}});
  IdentifyThresholdRecord rec;
  rec.purpose = purpose;
  rec.threshold = threshold;
  rec.reason = reason;
  rec.actor = actor;
  rec.set_at = I.Now();
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->SetIdentifyThreshold(rec));
    FG_ASSIGN_OR_RETURN(IdentifyThresholdReport r, ThresholdReport(*I.store, *I.gate, I.config.verify_threshold, purpose, rec));
    now = r;
    json d = ReportJson(r);
    d["reason"] = reason;
    return I.Audit(actor, act, "", purpose, Status::Ok(), d);
  });
  if (!st.ok()) return I.Fail(actor, act, "", purpose, st);
  return now;
}

Result<IdentifyThresholdReport> Service::ClearIdentifyThreshold(const std::string& purpose,
                                                                const std::string& reason,
                                                                const std::string& actor) {
  auto& I = *impl_;
  const char* act = "purpose.threshold.clear";
  Status ok = CheckIdentificationPurpose(*I.store, purpose);
  if (!ok.ok()) return I.Fail(actor, act, "", purpose, ok);
  if (reason.empty())
    return I.Fail(actor, act, "", purpose,
                  Status::InvalidInput("say why the threshold is removed (--reason \"...\")"));
  IdentifyThresholdReport out;
  Status st = I.store->Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(bool removed, I.store->ClearIdentifyThreshold(purpose));
    if (!removed)
      return Status::NotFound("purpose '" + purpose + "' has no operator threshold; the scope rule applies");
    FG_ASSIGN_OR_RETURN(out, ThresholdReport(*I.store, *I.gate, I.config.verify_threshold, purpose, std::nullopt));
    json d = ReportJson(out);
    d["reason"] = reason;
    return I.Audit(actor, act, "", purpose, Status::Ok(), d);
  });
  if (!st.ok()) return I.Fail(actor, act, "", purpose, st);
  return out;
}

Result<IdentifyThresholdReport> Service::GetIdentifyThreshold(const std::string& purpose) {
  auto& I = *impl_;
  FG_RETURN_IF_ERROR(CheckIdentificationPurpose(*I.store, purpose));
  FG_ASSIGN_OR_RETURN(std::optional<IdentifyThresholdRecord> op, I.store->GetIdentifyThreshold(purpose));
  return ThresholdReport(*I.store, *I.gate, I.config.verify_threshold, purpose, op);
}

}  // namespace facegate::service
