// The non-face path and the quiet period after a refusal (REQ A2, C6, C7, D7):
// choosing an alternative opens a face-free transaction, its outcome is
// recorded like a face outcome, and a refusal of consent is not followed by a
// new prompt within Config::consent_quiet_seconds.
#include <facegate/service.h>

#include <algorithm>

#include "service/service_impl.h"

namespace facegate::service {

namespace {

std::string JoinQuoted(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "'" : ", '") + s + "'";
  return out;
}

}  // namespace

Status Service::RefuseConsent(const std::string& subject, const std::string& purpose,
                              const std::string& actor) {
  auto& I = *impl_;
  const char* act = "consent.refuse";
  if (subject.empty())
    return I.Fail(actor, act, "", purpose, Status::InvalidInput("a subject id is required"));
  const UnixTime now = I.Now();
  Status st = I.store->RecordConsentRefusal(subject, purpose, now);
  if (!st.ok()) return I.Fail(actor, act, subject, purpose, st);
  I.Audit(actor, act, subject, purpose, st,
          {{"quiet_until", now + I.config.consent_quiet_seconds}});
  return st;
}

Status Service::MayAskConsent(const std::string& subject, const std::string& purpose) {
  auto& I = *impl_;
  FG_ASSIGN_OR_RETURN(std::optional<UnixTime> last, I.store->LastConsentRefusal(subject, purpose));
  if (!last) return Status::Ok();
  const UnixTime until = *last + I.config.consent_quiet_seconds;
  if (I.Now() >= until) return Status::Ok();
  // REQ C7: no re-prompt within the quiet period after a refusal.
  std::string alternatives = JoinQuoted(AlternativesOf(purpose));
  return Status::Refused(
      "C7", "subject '" + subject + "' refused consent for purpose '" + purpose + "' at " +
                std::to_string(*last) + "; do not ask again before " + std::to_string(until) +
                " (quiet period " + std::to_string(I.config.consent_quiet_seconds) +
                " s). The person may still give consent on their own initiative" +
                (alternatives.empty() ? std::string(".")
                                      : ", or use an alternative: " + alternatives + "."));
}

Result<int64_t> Service::ChooseAlternative(const std::string& subject, const std::string& purpose,
                                           const std::string& method, const std::string& session,
                                           const std::string& actor) {
  auto& I = *impl_;
  const char* act = "alternative.choose";
  if (subject.empty())
    return I.Fail(actor, act, "", purpose, Status::InvalidInput("a subject id is required"));
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok())
    return I.Fail(actor, act, subject, purpose,
                  p.status().kind() == ErrorKind::kNotFound
                      ? Status::NotFound("purpose '" + purpose + "' does not exist")
                      : p.status());
  if (std::find(p->alternatives.begin(), p->alternatives.end(), method) == p->alternatives.end())
    return I.Fail(actor, act, subject, purpose,
                  Status::InvalidInput(
                      "'" + method + "' is not an alternative of purpose '" + purpose + "'; " +
                      (p->alternatives.empty()
                           ? std::string("it declares none (face-only under a legal mandate)")
                           : "choose one of " + JoinQuoted(p->alternatives))));
  AlternativeRecord a;
  a.subject = subject;
  a.purpose = purpose;
  a.session = session;
  a.method = method;
  a.opened_at = I.Now();
  // Open and audit in one transaction: no face-free transaction goes unlogged.
  int64_t id = 0;
  Status st = I.store->Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(id, I.store->OpenAlternative(a));
    return I.Audit(actor, act, subject, purpose, Status::Ok(),
                   {{"transaction", id}, {"method", method}, {"session", session}});
  });
  if (!st.ok()) return I.Fail(actor, act, subject, purpose, st, {{"method", method}});
  return id;
}

Status Service::CompleteAlternative(int64_t id, const std::string& outcome,
                                    const std::string& actor) {
  auto& I = *impl_;
  const char* act = "alternative.complete";
  auto a = I.store->GetAlternative(id);
  if (!a.ok()) return I.Fail(actor, act, "", "", a.status(), {{"transaction", id}});
  if (outcome != "granted" && outcome != "denied")
    return I.Fail(actor, act, a->subject, a->purpose,
                  Status::InvalidInput("outcome '" + outcome +
                                       "' is not 'granted' or 'denied': say whether the " +
                                       a->method + " check let the person through"),
                  {{"transaction", id}});
  // Staff may decide any alternative by hand (a reader out of order, an identity service
  // down: REQ C6 says the service never depends on one method); the audit names the
  // connector that was bypassed (REQ A4).
  auto bound = I.store->GetAlternativeConnector(a->purpose, a->method);
  if (!bound.ok()) return I.Fail(actor, act, a->subject, a->purpose, bound.status(), {{"transaction", id}});
  // REQ C6: the alternative's outcome is recorded like a face outcome (the
  // verify event's "match"), in the same transaction as the close.
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->CloseAlternative(id, outcome, I.Now()));
    return I.Audit(actor, act, a->subject, a->purpose, Status::Ok(),
                   {{"transaction", id},
                    {"method", a->method},
                    {"session", a->session},
                    {"outcome", outcome},
                    {"match", outcome == "granted"},
                    {"connector", *bound ? (*bound)->kind : std::string("staff")},
                    {"decided_by", "staff"}});
  });
  if (!st.ok()) return I.Fail(actor, act, a->subject, a->purpose, st, {{"transaction", id}});
  return st;
}

}  // namespace facegate::service
