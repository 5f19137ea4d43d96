// The Gate: the only place a Grant is made. It checks purpose, published
// notice, an active consent of a fitting option for exactly that purpose,
// expiry and "once" already spent (REQ C1, C2, C3, C5, N1).
#pragma once

#include <facegate/grant.h>
#include <facegate/records.h>
#include <facegate/status.h>
#include <facegate/store.h>

#include <atomic>
#include <functional>
#include <string>

namespace facegate::policy {

// Source of the current time (tests advance it).
using Clock = std::function<UnixTime()>;
UnixTime SystemNow();

// True for a recipient that stands for the public rather than one processor (REQ C8).
bool IsPublicRecipient(const std::string& recipient);

class Gate {
 public:
  Gate(store::Store& store, Clock clock = SystemNow);

  // Authorizes one face operation for `subject` under `purpose`. `session` is
  // the device/interaction session, required for "while in use" consents.
  // A "once" consent is spent here, atomically, by a verify or identify
  // (enrolment under it is allowed and does not spend it). Refusals are
  // kRefused with the requirement id; unknown purpose is kNotFound. Checked
  // first: an open alternative transaction of subject, purpose and session
  // refuses every face operation with "A2" (REQ A2, D7); then a restriction
  // of the subject's processing refuses it with "R1" (REQ R1).
  Result<Grant> Authorize(Operation op, const std::string& subject, const std::string& purpose,
                          const std::string& session = "");
  // The same, but a "once" consent is not spent yet: the caller spends it with SpendOnce once
  // the photo holds a face that passed its checks, so a blank or unusable photo does not use
  // up the person's one use. Concurrent callers may both detect; only one spends and matches.
  Result<Grant> AuthorizeDeferringOnce(Operation op, const std::string& subject, const std::string& purpose,
                                       const std::string& session = "");
  // Spends the grant's consent when it is a "once" (atomically; kRefused "C5" if another use
  // spent it first). Ok for every other option. Returns whether a "once" was spent.
  Result<bool> SpendOnce(const Grant& grant);

  // Authorizes a 1:N search of the scope of `purpose` (REQ SC2): the purpose
  // is declared for identification and has a published notice (N1). The
  // scope holds only subjects with an active consent for it; a candidate is
  // still checked with CandidateConsent before it is reported (REQ C1).
  Result<Grant> AuthorizeScopeSearch(const std::string& purpose);
  // The active identification consent of a candidate found by a scope search.
  Result<ConsentRecord> CandidateConsent(const std::string& subject, const std::string& purpose);

  // Authorizes an analysis run (counts and attributes, no identity) for a
  // purpose declared with the analysis scenario and a published notice
  // (REQ SC3, AN1, AN4, N1). No per-person consent: nobody is identified.
  Result<AnalysisGrant> AuthorizeAnalysis(const std::string& purpose);
  // The same, with the person analysed: a purpose resting on consent (REQ AN4) needs the
  // active consent of `subject` for it (an "only this time" one is spent); any other basis
  // needs its justification stated in the notice in force. kRefused "AN4" otherwise.
  Result<AnalysisGrant> AuthorizeAnalysis(const std::string& purpose, const std::string& subject,
                                          const std::string& session);

  // Authorizes a sensitive inference (REQ AN3) under an analysis purpose: it is switched on for
  // the purpose for a use the catalogue allows (policy/inference.h), the notice in force names
  // it, and everything AuthorizeAnalysis asks holds (basis, consent, approved assessment, F1).
  // kRefused "AN3" naming what to do otherwise; nothing is spent before the AN3 checks pass.
  Result<InferenceGrant> AuthorizeInference(const std::string& purpose, SensitiveInference inference,
                                            const std::string& subject, const std::string& session);

  // A research grant for evaluation on labelled data: in memory only, nothing
  // stored, no subject (REQ P3). The caller audits its use.
  static Grant AuthorizeResearch(const std::string& dataset);
  // The same for evaluating attribute models on labelled data (REQ P3).
  static AnalysisGrant AuthorizeResearchAnalysis(const std::string& dataset);
  // The same for evaluating a sensitive inference's model on labelled data (REQ P3, AN3).
  static InferenceGrant AuthorizeResearchInference(const std::string& dataset, SensitiveInference inference);

  // The consent a Grant rests on, if still active now (kRefused otherwise).
  // Refuses "A2" first while an alternative transaction of subject, purpose
  // and session is open (REQ A2, D7), so callers refuse before any decode.
  Result<ConsentRecord> ActiveConsent(const std::string& subject, const std::string& purpose,
                                      Operation op, const std::string& session = "");

  // Authorizes handing the subject's stored face data for `purpose` to one
  // named `recipient` (REQ C8, P2): needs an active processing consent for the
  // purpose and a separate, active disclosure consent naming exactly that
  // recipient, bound to the notice in force. A public recipient ("public", "*",
  // "everyone"...) is always refused: public disclosure is off.
  Result<Grant> AuthorizeDisclosure(const std::string& subject, const std::string& purpose,
                                    const std::string& recipient);

  // REQ F1 (PIPL 55, 56): ok when `target` (a purpose, or a device with target_kind "device")
  // has an approved impact assessment that no material change made due; for a purpose also
  // one approved for the notice version in force. Otherwise kRefused "F1" saying which command
  // approves one. Every grant above checks it for its purpose, so no face path escapes it.
  Status RequireAssessment(const std::string& target_kind, const std::string& target,
                           int64_t notice_version_in_force = 0);

 private:
  static std::string NewGrantId();
  // REQ M1: the subject's declared birth date makes them under 14 at `now`.
  Result<bool> IsChild(const std::string& subject, UnixTime now);
  // REQ M2: kRefused "M2" when the policy switch forbids face processing for children.
  Status RefuseIfMinorsFaceOff(const std::string& subject);
  // kRefused "A2" while the subject has an open alternative for purpose and session.
  Status RefuseIfFaceFree(const std::string& subject, const std::string& purpose,
                          const std::string& session);
  // kRefused "R1" while the subject's processing is restricted at their request (data kept).
  Status RefuseIfRestricted(const std::string& subject);
  // REQ AN4: Ok when `subject` has an active consent for the analysis purpose under `notice`.
  Status AnalysisConsent(const std::string& subject, const std::string& purpose, const NoticeRecord& notice,
                         const std::string& session);
  store::Store& store_;
  Clock clock_;
};

}  // namespace facegate::policy
