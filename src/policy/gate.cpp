#include "policy/gate.h"

#include <sodium.h>

#include "policy/inference.h"
#include "policy/legal_basis.h"
#include "policy/minors.h"
#include "policy/transfer.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <optional>

namespace facegate::policy {

UnixTime SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Gate::Gate(store::Store& store, Clock clock) : store_(store), clock_(std::move(clock)) {}

std::string Gate::NewGrantId() {
  if (sodium_init() < 0) return "grant-unrandom";
  unsigned char b[12];
  randombytes_buf(b, sizeof b);
  static const char* kHex = "0123456789abcdef";
  std::string id = "g-";
  for (unsigned char c : b) {
    id += kHex[c >> 4];
    id += kHex[c & 15];
  }
  return id;
}

Grant Gate::AuthorizeResearch(const std::string& dataset) {
  return Grant(Operation::kResearch, "", "research:" + dataset, 0, NewGrantId());
}

Result<Grant> Gate::AuthorizeScopeSearch(const std::string& purpose) {
  auto p = store_.GetPurpose(purpose);
  if (!p.ok()) {
    if (p.status().kind() == ErrorKind::kNotFound)
      return Status::Refused("SC2", "scope '" + purpose +
                                        "' is not a declared purpose; 1:N search runs only within a "
                                        "declared identification purpose, never over everyone");
    return p.status();
  }
  if (p->scenario != Scenario::kIdentification)
    return Status::Refused("SC2", std::string("purpose '") + purpose + "' is declared for " +
                                      ToString(p->scenario) + ", not identification; 1:N search is refused");
  auto notice = store_.LatestNotice(purpose);
  if (!notice.ok()) {
    if (notice.status().kind() == ErrorKind::kNotFound)
      return Status::Refused("N1", "no notice is published for purpose '" + purpose + "'");
    return notice.status();
  }
  // REQ C2: a purpose resting on a statutory duty runs only while its notice says so.
  FG_RETURN_IF_ERROR(CheckNoticeStatesBasis(notice->text, p->scenario, EffectiveBasis(*p), p->basis_justification));
  FG_RETURN_IF_ERROR(RequireAssessment("purpose", purpose, notice->version));  // REQ F1
  return Grant(Operation::kIdentify, "", purpose, 0, NewGrantId());
}

Result<ConsentRecord> Gate::CandidateConsent(const std::string& subject, const std::string& purpose) {
  return ActiveConsent(subject, purpose, Operation::kIdentify, "");
}

AnalysisGrant Gate::AuthorizeResearchAnalysis(const std::string& dataset) {
  return AnalysisGrant("research:" + dataset, NewGrantId());
}

InferenceGrant Gate::AuthorizeResearchInference(const std::string& dataset, SensitiveInference inference) {
  return InferenceGrant("research:" + dataset, NewGrantId(), inference);
}

Result<InferenceGrant> Gate::AuthorizeInference(const std::string& purpose, SensitiveInference inference,
                                                const std::string& subject, const std::string& session) {
  const InferenceInfo& info = InferenceOf(inference);
  FG_ASSIGN_OR_RETURN(std::optional<InferenceRecord> on, store_.InferenceInForce(purpose, info.name));
  if (!on)
    return Status::Refused("AN3", "the sensitive inference '" + info.name + "' is off for purpose '" + purpose +
                                      "': switch it on with `facegate purpose inference " + purpose + " " +
                                      info.name + " --use " + info.allowed_uses.front() +
                                      " --justification TEXT`, name it in the notice and have the impact "
                                      "assessment approved");
  if (std::find(info.allowed_uses.begin(), info.allowed_uses.end(), on->declared_use) == info.allowed_uses.end())
    return Status::Refused("AN3", "purpose '" + purpose + "' switched '" + info.name + "' on for '" +
                                      on->declared_use + "', a use it may no longer serve; switch it on again for " +
                                      info.allowed_uses.front());
  auto notice = store_.LatestNotice(purpose);
  if (notice.ok()) FG_RETURN_IF_ERROR(CheckNoticeStatesInference(notice->text, info));
  // No notice yet: AuthorizeAnalysis names what is missing (AN4).
  FG_ASSIGN_OR_RETURN(AnalysisGrant analysis, AuthorizeAnalysis(purpose, subject, session));
  return InferenceGrant(purpose, analysis.id(), inference);
}

Result<AnalysisGrant> Gate::AuthorizeAnalysis(const std::string& purpose) {
  return AuthorizeAnalysis(purpose, "", "");
}

Result<AnalysisGrant> Gate::AuthorizeAnalysis(const std::string& purpose, const std::string& subject,
                                              const std::string& session) {
  auto p = store_.GetPurpose(purpose);
  if (!p.ok()) {
    if (p.status().kind() == ErrorKind::kNotFound)
      return Status::Refused("C1", "purpose '" + purpose +
                                       "' is not declared; declare it with the analysis scenario first");
    return p.status();
  }
  if (p->scenario != Scenario::kAnalysis)
    return Status::Refused("SC3", std::string("purpose '") + purpose + "' is declared for " +
                                      ToString(p->scenario) +
                                      "; analysis needs a purpose declared for analysis");
  auto notice = store_.LatestNotice(purpose);
  if (!notice.ok()) {
    if (notice.status().kind() == ErrorKind::kNotFound)
      return Status::Refused("AN4", "no notice is published for purpose '" + purpose +
                                        "'; notice applies in shops and public places too");
    return notice.status();
  }
  // REQ AN4: the lawful basis is recorded and, when it is not consent, justified in the notice.
  const std::string basis = EffectiveBasis(*p);
  if (basis.empty())
    return Status::Refused("AN4", "analysis purpose '" + purpose +
                                      "' records no lawful basis; record one with `facegate purpose basis " +
                                      purpose + " BASIS --justification TEXT` (PIPL 13) and publish a notice "
                                      "that states it");
  FG_RETURN_IF_ERROR(CheckNoticeStatesBasis(notice->text, p->scenario, basis, p->basis_justification));
  if (basis == "consent") {
    // The person analysed (e.g. the driver of an in-car monitor) consented to this purpose.
    if (subject.empty())
      return Status::Refused("AN4", "analysis purpose '" + purpose +
                                        "' rests on consent: name the consenting person analysed (subject), or "
                                        "record another basis with its justification");
    FG_RETURN_IF_ERROR(AnalysisConsent(subject, purpose, *notice, session));
  }
  FG_RETURN_IF_ERROR(RequireAssessment("purpose", purpose, notice->version));  // REQ F1
  return AnalysisGrant(purpose, NewGrantId());
}

namespace {

bool ScenarioAllows(Scenario s, Operation op) {
  switch (op) {
    case Operation::kEnrol: return s == Scenario::kVerification || s == Scenario::kIdentification;
    case Operation::kVerify: return s == Scenario::kVerification;
    case Operation::kIdentify: return s == Scenario::kIdentification;
    case Operation::kResearch: return false;
    case Operation::kDisclose: return s == Scenario::kVerification || s == Scenario::kIdentification;
  }
  return false;
}

}  // namespace

Status Gate::RefuseIfFaceFree(const std::string& subject, const std::string& purpose,
                              const std::string& session) {
  // REQ A2, D7: a person who chose the non-face method in this session is not
  // processed by face at all, whatever consent they gave before.
  FG_ASSIGN_OR_RETURN(std::optional<AlternativeRecord> alt,
                      store_.OpenAlternativeFor(subject, purpose, session, clock_()));
  if (!alt) return Status::Ok();
  return Status::Refused("A2", "subject '" + subject + "' chose the alternative '" + alt->method +
                                   "' (transaction " + std::to_string(alt->id) + ") for purpose '" +
                                   purpose +
                                   "' in this session; no face capture, detection or template "
                                   "until that transaction is completed");
}

Status Gate::RefuseIfRestricted(const std::string& subject) {
  // REQ R1 (PIPL 44): the person asked that their data be kept but not processed.
  if (subject.empty()) return Status::Ok();
  FG_ASSIGN_OR_RETURN(std::optional<RestrictionRecord> r, store_.ActiveRestriction(subject));
  if (!r) return Status::Ok();
  char since[32] = "?";
  std::time_t t = static_cast<std::time_t>(r->placed_at);
  std::tm tm{};
  if (gmtime_r(&t, &tm)) std::strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return Status::Refused(
      "R1", "processing of subject '" + subject + "' is restricted at the person's request" +
                (r->request_id ? " (rights request " + std::to_string(r->request_id) + ")" : "") +
                " since " + since +
                "; their data is kept but no face operation runs until the restriction is lifted "
                "(facegate rights lift)");
}

// REQ AN4: an active processing consent of `subject` for the analysis purpose, given for the
// notice in force (an "only this time" one is spent by the run).
Status Gate::AnalysisConsent(const std::string& subject, const std::string& purpose, const NoticeRecord& notice,
                             const std::string& session) {
  FG_RETURN_IF_ERROR(RefuseIfRestricted(subject));  // REQ R1
  const UnixTime now = clock_();
  FG_ASSIGN_OR_RETURN(bool child, IsChild(subject, now));
  if (child) FG_RETURN_IF_ERROR(RefuseIfMinorsFaceOff(subject));
  FG_ASSIGN_OR_RETURN(std::vector<ConsentRecord> consents, store_.ListConsents(subject, purpose));
  for (const ConsentRecord& c : consents) {
    if (c.kind != ConsentKind::kProcessing || c.withdrawn_at || now >= c.expires_at) continue;
    if (c.notice_sha256 != notice.sha256 || (child && c.method != ConsentMethod::kGuardian)) continue;
    if (c.option == ConsentOption::kWhileInUse && c.session != session) continue;
    if (c.option == ConsentOption::kOnce) {
      if (c.used_at || !store_.MarkConsentUsed(c.id, now).ok()) continue;
    }
    return Status::Ok();
  }
  return Status::Refused("AN4", "subject '" + subject + "' has no active consent for analysis purpose '" +
                                    purpose + "' under the notice in force (version " +
                                    std::to_string(notice.version) + "); ask for it, or offer the alternative");
}

Result<ConsentRecord> Gate::ActiveConsent(const std::string& subject, const std::string& purpose,
                                          Operation op, const std::string& session) {
  FG_RETURN_IF_ERROR(RefuseIfFaceFree(subject, purpose, session));  // first (REQ A2, D7)
  FG_RETURN_IF_ERROR(RefuseIfRestricted(subject));                  // REQ R1
  if (op == Operation::kResearch)
    return Status::Refused("P3", "research grants are made by AuthorizeResearch, not per subject");
  auto p = store_.GetPurpose(purpose);
  if (!p.ok()) {
    if (p.status().kind() == ErrorKind::kNotFound)
      return Status::Refused("C1", "purpose '" + purpose +
                                       "' is not declared; declare it (purpose add) before any face "
                                       "processing");
    return p.status();
  }
  if (!ScenarioAllows(p->scenario, op))
    return Status::Refused("C1", std::string("purpose '") + purpose + "' is declared for " +
                                     ToString(p->scenario) + ", which does not cover " + ToString(op));
  auto notice = store_.LatestNotice(purpose);
  if (!notice.ok()) {
    if (notice.status().kind() == ErrorKind::kNotFound)
      return Status::Refused("N1", "no notice is published for purpose '" + purpose +
                                       "'; publish one and have it acknowledged before capture");
    return notice.status();
  }
  // REQ C2: a purpose resting on a statutory duty runs only while its notice says so.
  FG_RETURN_IF_ERROR(CheckNoticeStatesBasis(notice->text, p->scenario, EffectiveBasis(*p), p->basis_justification));
  FG_RETURN_IF_ERROR(RequireAssessment("purpose", purpose, notice->version));  // REQ F1
  if (subject.empty()) return Status::InvalidInput("a subject id is required for " + std::string(ToString(op)));
  auto consents = store_.ListConsents(subject, purpose);
  if (!consents.ok()) return consents.status();
  const UnixTime now = clock_();
  // REQ M1, M2: a subject under 14 by declared birth date, today.
  FG_ASSIGN_OR_RETURN(bool child, IsChild(subject, now));
  if (child) FG_RETURN_IF_ERROR(RefuseIfMinorsFaceOff(subject));
  // Report the most telling reason when nothing fits: withdrawn, expired, spent, stale notice.
  std::string why;
  std::string req = "C1";
  for (const ConsentRecord& c : *consents) {  // newest first
    // A disclosure or import consent never covers face processing itself (REQ C8, P1).
    if (c.kind != ConsentKind::kProcessing) continue;
    if (c.withdrawn_at) {
      if (why.empty()) why = "the consent (id " + std::to_string(c.id) + ") was withdrawn", req = "C4";
      continue;
    }
    if (now >= c.expires_at) {
      if (why.empty()) why = "the consent (id " + std::to_string(c.id) + ") expired", req = "C5";
      continue;
    }
    if (c.notice_sha256 != notice->sha256) {
      if (why.empty())
        why = "the consent (id " + std::to_string(c.id) + ") was given for notice " +
              std::to_string(c.notice_id) + ", but notice " + std::to_string(notice->id) +
              " (version " + std::to_string(notice->version) + ") is now in force; ask again",
        req = "C3";
      continue;
    }
    if (c.option == ConsentOption::kOnce && c.used_at) {
      if (why.empty()) why = "the \"only this time\" consent (id " + std::to_string(c.id) + ") was already used", req = "C5";
      continue;
    }
    if (child && c.method != ConsentMethod::kGuardian) {
      if (why.empty())
        why = "subject '" + subject + "' is under " + std::to_string(kAgeOfConsent) +
              " and the consent (id " + std::to_string(c.id) +
              ") is not a guardian's; only a parent or guardian may consent for a child",
        req = "M1";
      continue;
    }
    if (c.option == ConsentOption::kWhileInUse && c.session != session) {
      if (why.empty())
        why = "the \"while in use\" consent (id " + std::to_string(c.id) +
              ") belongs to another session; it ends with the session that granted it",
        req = "C5";
      continue;
    }
    // Given at a device's capture, "while in use" lasts as long as that capture (REQ C5, D1).
    if (c.option == ConsentOption::kWhileInUse && c.session.rfind("cs_", 0) == 0) {
      auto capture = store_.GetCaptureSession(c.session);
      if (!capture.ok() || capture->closed_at || now >= capture->expires_at) {
        if (why.empty())
          why = "the \"while in use\" consent (id " + std::to_string(c.id) + ") was given in capture " +
                c.session + ", which has ended; it ended with it",
          req = "C5";
        continue;
      }
    }
    return c;
  }
  if (why.empty()) why = "subject '" + subject + "' has no consent for purpose '" + purpose + "'";
  return Status::Refused(req, why + "; give a separate consent for this purpose or use an alternative");
}

Result<bool> Gate::IsChild(const std::string& subject, UnixTime now) {
  auto born = store_.SubjectBirthDate(subject);
  if (!born.ok()) {
    if (born.status().kind() == ErrorKind::kNotFound) return false;  // no consent either: C1 follows
    return born.status();
  }
  return IsChildAt(*born, now);
}

Status Gate::RefuseIfMinorsFaceOff(const std::string& subject) {
  FG_ASSIGN_OR_RETURN(std::optional<std::string> v, store_.GetSetting(kMinorsFaceSetting));
  if (v && *v == "off")
    return Status::Refused("M2", "subject '" + subject + "' is under " + std::to_string(kAgeOfConsent) +
                                     " and the policy 'minors-face' is off: no face processing for "
                                     "children at all, whatever the consent; use the alternative");
  return Status::Ok();
}

Result<Grant> Gate::AuthorizeDisclosure(const std::string& subject, const std::string& purpose,
                                        const std::string& recipient) {
  if (IsPublicRecipient(recipient))
    return Status::Refused("C8", "public disclosure of face data is always off; name the one "
                                 "processor the data goes to (--to RECIPIENT)");
  // The data handed over must itself be lawfully held: an active processing
  // consent for the purpose (and, for a child, a guardian's; REQ C1, M1, M2).
  FG_ASSIGN_OR_RETURN(ConsentRecord held, ActiveConsent(subject, purpose, Operation::kDisclose, ""));
  (void)held;
  FG_ASSIGN_OR_RETURN(NoticeRecord notice, store_.LatestNotice(purpose));
  FG_ASSIGN_OR_RETURN(std::vector<ConsentRecord> consents, store_.ListConsents(subject, purpose));
  const UnixTime now = clock_();
  std::string why = "subject '" + subject + "' has no consent to hand face data for purpose '" +
                    purpose + "' to '" + recipient + "'";
  // REQ S8: a recipient abroad needs its PIPL 38 mechanism and a consent that says so (PIPL 39).
  std::optional<TransferBasisRecord> abroad;
  if (auto b = store_.GetTransferBasis(recipient); b.ok())
    abroad = *b;
  else if (b.status().kind() != ErrorKind::kNotFound)
    return b.status();
  std::optional<Status> transfer_refusal;
  for (const ConsentRecord& c : consents) {  // newest first
    if (c.kind != ConsentKind::kDisclosure) continue;
    if (c.recipient != recipient) {
      why += "; consent " + std::to_string(c.id) + " names '" + c.recipient + "' only";
      continue;
    }
    if (!c.active_at(now)) {
      why += "; consent " + std::to_string(c.id) + (c.withdrawn_at ? " was withdrawn" : " expired");
      continue;
    }
    if (c.notice_sha256 != notice.sha256) {
      why += "; consent " + std::to_string(c.id) + " was given for an older notice";
      continue;
    }
    if (Status transfer = CheckTransferConsent(abroad, c); !transfer.ok()) {
      if (!transfer_refusal) transfer_refusal = transfer;
      continue;
    }
    return Grant(Operation::kDisclose, subject, purpose, c.id, NewGrantId());
  }
  if (transfer_refusal) return *transfer_refusal;
  return Status::Refused("C8", why + "; ask the person for a separate consent naming the recipient "
                                     "(consent give ... --kind disclosure --to RECIPIENT)");
}

Status Gate::RequireAssessment(const std::string& target_kind, const std::string& target,
                               int64_t notice_version_in_force) {
  FG_ASSIGN_OR_RETURN(std::vector<ImpactAssessmentRecord> all, store_.ListAssessments(target_kind, target));
  const std::string what = target_kind + " '" + target + "'";
  const std::string how = "write one (facegate assessment create " +
                          std::string(target_kind == "device" ? "--device " : "") + target +
                          " ...) and have a second person approve it (facegate assessment approve ID "
                          "--approver NAME; REST POST /v1/assessments/{id}/approve)";
  std::string why = "no impact assessment of " + what + " is approved";
  for (const ImpactAssessmentRecord& a : all) {  // newest first
    if (a.status == "due") {
      if (why.rfind("no ", 0) == 0)
        why = "the impact assessment of " + what + " (id " + std::to_string(a.id) + ") is due again: " +
              a.due_reason;
      continue;
    }
    if (a.status != "approved") continue;
    // A notice published since the approval is a material change even when the service that
    // published it did not mark the assessment (another node, an older program).
    if (target_kind == "purpose" && a.notice_version != 0 && notice_version_in_force != 0 &&
        a.notice_version != notice_version_in_force) {
      why = "the impact assessment of " + what + " (id " + std::to_string(a.id) + ") was approved for notice "
            "version " + std::to_string(a.notice_version) + ", but version " +
            std::to_string(notice_version_in_force) + " is now in force; assess the change";
      continue;
    }
    return Status::Ok();
  }
  return Status::Refused("F1", why + "; face processing and going live wait for an approved one: " + how);
}

bool IsPublicRecipient(const std::string& recipient) {
  std::string r;
  for (char ch : recipient) r += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return r.empty() || r == "public" || r == "*" || r == "everyone" || r == "all" || r == "anyone" ||
         r == "internet" || r == "公开";
}

Result<Grant> Gate::Authorize(Operation op, const std::string& subject, const std::string& purpose,
                              const std::string& session) {
  // ActiveConsent checks first of all for an open alternative (REQ A2, D7).
  FG_ASSIGN_OR_RETURN(ConsentRecord c, ActiveConsent(subject, purpose, op, session));
  if (c.option == ConsentOption::kOnce && op != Operation::kEnrol) {
    // Spend it atomically: two concurrent verifies cannot both use one "once" (REQ C5).
    Status st = store_.MarkConsentUsed(c.id, clock_());
    if (!st.ok()) {
      if (st.kind() == ErrorKind::kConflict)
        return Status::Refused("C5", "the \"only this time\" consent (id " + std::to_string(c.id) +
                                         ") was already used; ask for consent again");
      return st;
    }
  }
  return Grant(op, subject, purpose, c.id, NewGrantId());
}

Result<Grant> Gate::AuthorizeDeferringOnce(Operation op, const std::string& subject, const std::string& purpose,
                                           const std::string& session) {
  FG_ASSIGN_OR_RETURN(ConsentRecord c, ActiveConsent(subject, purpose, op, session));
  return Grant(op, subject, purpose, c.id, NewGrantId());
}

Result<bool> Gate::SpendOnce(const Grant& grant) {
  FG_ASSIGN_OR_RETURN(ConsentRecord c, store_.GetConsent(grant.consent_id()));
  if (c.option != ConsentOption::kOnce || grant.operation() == Operation::kEnrol) return false;
  Status st = store_.MarkConsentUsed(c.id, clock_());
  if (st.ok()) return true;
  if (st.kind() == ErrorKind::kConflict)
    return Status::Refused("C5", "the \"only this time\" consent (id " + std::to_string(c.id) +
                                     ") was already used; ask for consent again");
  return st;
}

}  // namespace facegate::policy
