// Minors (REQ M1-M3): declared birth dates, the "minors-face" policy switch and
// the yearly audit export of access to children's data.
#include <facegate/service.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include "policy/minors.h"
#include "service/service_impl.h"

namespace facegate::service {

namespace {

SubjectInfo Info(const std::string& subject, const std::string& born, UnixTime now) {
  SubjectInfo s;
  s.id = subject;
  s.birth_date = born;
  s.age = policy::AgeAt(born, now);
  s.minor = policy::IsChildAt(born, now);
  s.adult_consent_at = born.empty() ? 0 : policy::AgeOfConsentAt(born);
  return s;
}

// Start of 1 January of `year`, UTC.
UnixTime YearStart(int year) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mday = 1;
  return static_cast<UnixTime>(timegm(&tm));
}

// What every second-person approval checks first: who acts and why, that the approver is
// another person, and how long it lasts (60 s to 7 days). `whom` names the other person's
// option in the message ("the reader (--reader)"), `what` the act approved.
Status CheckApproval(const std::string& approver, const std::string& other, const std::string& reason,
                     int64_t valid_seconds, const std::string& whom, const std::string& what,
                     const char* requirement) {
  if (other.empty() || reason.empty())
    return Status::InvalidInput("an approval names " + whom + " and the reason (--reason)");
  if (other == approver)
    return Status::InvalidInput("'" + approver + "' cannot approve their own " + what +
                                ": another person approves (REQ " + requirement + ")");
  if (valid_seconds < 60 || valid_seconds > 7 * 86400)
    return Status::InvalidInput("an approval lasts 60 s to 7 days, not " + std::to_string(valid_seconds) +
                                " s; approve again for a later need");
  return Status::Ok();
}

// The subject's declared birth date ("" none); kNotFound naming an unregistered subject.
Result<std::string> RegisteredBirthDate(store::Store& store, const std::string& subject) {
  auto born = store.SubjectBirthDate(subject);
  if (!born.ok() && born.status().kind() == ErrorKind::kNotFound)
    return Status::NotFound("subject '" + subject + "' is not registered; add it with facegate subject add");
  return born;
}

}  // namespace

Result<SubjectInfo> Service::DeclareSubject(const std::string& subject, const std::string& birth_date,
                                            const std::string& actor) {
  auto& I = *impl_;
  const char* act = "subject.declare";
  const UnixTime now = I.Now();
  if (subject.empty())
    return I.Fail(actor, act, "", "", Status::InvalidInput("a subject id is required (pseudonymous, e.g. S1)"));
  if (!birth_date.empty()) {
    Status valid = policy::ValidateBirthDate(birth_date, now);
    if (!valid.ok()) return I.Fail(actor, act, subject, "", valid);
  }
  // A declared date is never rewritten or cleared by a second declaration: that would switch
  // off guardian consent (M1), the minors switch (M2) and approved reads (M3) for a child.
  auto declared = I.store->SubjectBirthDate(subject);
  if (!declared.ok() && declared.status().kind() != ErrorKind::kNotFound)
    return I.Fail(actor, act, subject, "", declared.status());
  if (declared.ok() && !declared->empty()) {
    if (*declared == birth_date) return Info(subject, birth_date, now);  // the same date again
    return I.Fail(actor, act, subject, "",
                  Status::Refused("M1", "subject '" + subject +
                                            "' already has a declared birth date; it changes only "
                                            "through an admin with a reason and another person's "
                                            "approval: `facegate --actor OTHER subject approve-birth-date " +
                                            subject + " --for ADMIN --birth-date DATE --reason ...`, then "
                                            "`facegate --actor ADMIN subject change-birth-date " + subject +
                                            " --birth-date DATE --reason ...`"),
                  {{"birth_date_declared", true}, {"minor", policy::IsChildAt(*declared, now)}});
  }
  const SubjectInfo info = Info(subject, birth_date, now);
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->EnsureSubject(subject, now));
    FG_RETURN_IF_ERROR(I.store->SetSubjectBirthDate(subject, birth_date));
    // The birth date itself stays on the identity side; the log keeps the fact.
    return I.Audit(actor, act, subject, "", Status::Ok(),
                   {{"birth_date_declared", !birth_date.empty()}, {"minor", info.minor}});
  });
  if (!st.ok()) return I.Fail(actor, act, subject, "", st);
  return info;
}

Result<UnixTime> Service::ApproveBirthDateChange(const std::string& subject, const std::string& birth_date,
                                                 const std::string& changer, const std::string& reason,
                                                 int64_t valid_seconds, const std::string& approver) {
  auto& I = *impl_;
  const char* act = "subject.birth_date.approve";
  const UnixTime now = I.Now();
  Status checked = CheckApproval(approver, changer, reason, valid_seconds, "who changes the date (--for ACTOR)",
                                 "change of a birth date", "M1");
  if (checked.ok() && !birth_date.empty()) checked = policy::ValidateBirthDate(birth_date, now);
  if (!checked.ok()) return I.Fail(approver, act, subject, "", checked);
  auto born = RegisteredBirthDate(*I.store, subject);
  if (!born.ok()) return I.Fail(approver, act, subject, "", born.status());
  if (*born == birth_date)
    return I.Fail(approver, act, subject, "",
                  Status::InvalidInput("subject '" + subject + "' already has that birth date; nothing to approve"));
  const UnixTime until = now + valid_seconds;
  FG_RETURN_IF_ERROR(I.Audit(approver, act, subject, "", Status::Ok(),
                             {{"changer", changer},
                              {"birth_date", birth_date},
                              {"reason", reason},
                              {"expires_at", until},
                              {"minor", policy::IsChildAt(*born, now)}}));
  return until;
}

Result<SubjectInfo> Service::ChangeBirthDate(const std::string& subject, const std::string& birth_date,
                                             const std::string& reason, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "subject.birth_date.change";
  const UnixTime now = I.Now();
  if (reason.empty())
    return I.Fail(actor, act, subject, "", Status::InvalidInput("a change of a birth date needs a reason (--reason)"));
  if (!birth_date.empty()) {
    Status valid = policy::ValidateBirthDate(birth_date, now);
    if (!valid.ok()) return I.Fail(actor, act, subject, "", valid);
  }
  auto born = RegisteredBirthDate(*I.store, subject);
  if (!born.ok()) return I.Fail(actor, act, subject, "", born.status());
  const bool was_minor = policy::IsChildAt(*born, now);
  // The approval: an unexpired "subject.birth_date.approve" naming this actor and this date,
  // not yet used by a change (each change records the approval's sequence number).
  FG_ASSIGN_OR_RETURN(std::vector<AuditEvent> events, I.store->ListAuditForSubject(subject, 0, 0));
  std::set<int64_t> used;
  for (const AuditEvent& e : events) {
    if (e.action != act || e.outcome != "ok") continue;
    json d = json::parse(e.detail, nullptr, false);
    if (d.is_object()) used.insert(d.value("approval", int64_t{0}));
  }
  int64_t approval = 0;
  for (const AuditEvent& e : events) {
    if (e.action != "subject.birth_date.approve" || e.outcome != "ok" || used.count(e.seq)) continue;
    json d = json::parse(e.detail, nullptr, false);
    if (d.is_object() && d.value("changer", "") == actor && d.value("birth_date", "") == birth_date &&
        d.value("expires_at", int64_t{0}) > now)
      approval = e.seq;
  }
  if (approval == 0)
    return I.Fail(actor, act, subject, "",
                  Status::Refused("M1", "changing the declared birth date of '" + subject +
                                            "' needs another person's approval for '" + actor +
                                            "' and this date: `facegate --actor OTHER subject approve-birth-date " +
                                            subject + " --for " + actor + " --birth-date " +
                                            (birth_date.empty() ? std::string("\"\"") : birth_date) +
                                            " --reason ...`"),
                  {{"minor", was_minor}});
  const SubjectInfo info = Info(subject, birth_date, now);
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->SetSubjectBirthDate(subject, birth_date));
    return I.Audit(actor, act, subject, "", Status::Ok(),
                   {{"approval", approval},
                    {"reason", reason},
                    {"birth_date_declared", !birth_date.empty()},
                    {"minor", info.minor},
                    {"was_minor", was_minor}});
  });
  if (!st.ok()) return I.Fail(actor, act, subject, "", st);
  return info;
}

Result<SubjectInfo> Service::ShowSubject(const std::string& subject, const std::string& actor) {
  auto& I = *impl_;
  auto born = I.store->SubjectBirthDate(subject);
  if (!born.ok()) {
    Status st = born.status().kind() == ErrorKind::kNotFound
                    ? Status::NotFound("subject '" + subject +
                                       "' is not registered; add it with facegate subject add")
                    : born.status();
    return I.Fail(actor, "subject.show", subject, "", st);
  }
  SubjectInfo info = Info(subject, *born, I.Now());
  if (info.minor) {
    // REQ M3: a child's record is read only with an approval, and every read is logged.
    FG_RETURN_IF_ERROR(I.RequireMinorAccess(subject, actor, "subject"));
    FG_RETURN_IF_ERROR(I.Audit(actor, "minor.read", subject, "", Status::Ok(),
                               {{"minor", true}, {"records", "subject"}}));
    return info;
  }
  // REQ S6: an adult's identity record is read on the record too.
  FG_RETURN_IF_ERROR(I.Audit(actor, "subject.read", subject, "", Status::Ok(), {{"records", "subject"}}));
  return info;
}

Status Service::Impl::RequireMinorAccess(const std::string& subject, const std::string& reader,
                                         const std::string& records) {
  const UnixTime now = Now();
  FG_ASSIGN_OR_RETURN(std::vector<AuditEvent> events, store->ListAuditForSubject(subject, 0, 0));
  for (const AuditEvent& e : events) {
    if (e.action != "minor.access.approve" || e.outcome != "ok") continue;
    json d = json::parse(e.detail, nullptr, false);
    if (d.is_object() && d.value("reader", "") == reader && d.value("expires_at", int64_t{0}) > now)
      return Status::Ok();
  }
  return Fail(reader, "minor.read", subject, "",
              Status::Refused("M3", "subject '" + subject + "' is a child under 14: reading their " + records +
                                        " records needs an approval for '" + reader +
                                        "' by another person, e.g. `facegate --actor dpo subject approve " +
                                        subject + " --reader " + reader + " --reason \"...\"`"),
              {{"minor", true}, {"records", records}});
}

Result<UnixTime> Service::ApproveMinorAccess(const std::string& subject, const std::string& reader,
                                             const std::string& reason, int64_t valid_seconds,
                                             const std::string& approver) {
  auto& I = *impl_;
  const char* act = "minor.access.approve";
  Status checked = CheckApproval(approver, reader, reason, valid_seconds, "the reader (--reader)",
                                 "access to a child's records", "M3");
  if (!checked.ok()) return I.Fail(approver, act, subject, "", checked);
  auto born = RegisteredBirthDate(*I.store, subject);
  if (!born.ok()) return I.Fail(approver, act, subject, "", born.status());
  const UnixTime now = I.Now();
  if (!policy::IsChildAt(*born, now))
    return I.Fail(approver, act, subject, "",
                  Status::InvalidInput("subject '" + subject +
                                       "' is not a child under 14 (by the declared birth date): reading their "
                                       "records needs no approval"));
  const UnixTime until = now + valid_seconds;
  FG_RETURN_IF_ERROR(I.Audit(approver, act, subject, "", Status::Ok(),
                             {{"reader", reader}, {"reason", reason}, {"expires_at", until}, {"minor", true}}));
  return until;
}

Status Service::SetPolicy(const std::string& name, const std::string& value, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "policy.set";
  if (name != policy::kMinorsFaceSetting)
    return I.Fail(actor, act, "", "",
                  Status::InvalidInput("unknown policy '" + name + "'; the switches are: " +
                                       policy::kMinorsFaceSetting + " (on|off)"));
  if (value != "on" && value != "off")
    return I.Fail(actor, act, "", "",
                  Status::InvalidInput("policy " + name + " takes on or off, not '" + value + "'"));
  Status st = I.store->Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(std::optional<std::string> before, I.store->GetSetting(name));
    FG_RETURN_IF_ERROR(I.store->PutSetting(name, value, I.Now()));
    return I.Audit(actor, act, "", "", Status::Ok(),
                   {{"policy", name}, {"value", value}, {"before", before.value_or("on")}});
  });
  if (!st.ok()) return I.Fail(actor, act, "", "", st);
  return st;
}

Result<std::vector<std::pair<std::string, std::string>>> Service::Policies() {
  FG_ASSIGN_OR_RETURN(std::optional<std::string> minors, impl_->store->GetSetting(policy::kMinorsFaceSetting));
  return std::vector<std::pair<std::string, std::string>>{{policy::kMinorsFaceSetting, minors.value_or("on")}};
}

Result<MinorsAuditReport> Service::MinorsAudit(int year, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "audit.minors";
  if (year < 1970 || year > 9999)
    return I.Fail(actor, act, "", "", Status::InvalidInput("give the year to export, e.g. --year 2026"));
  MinorsAuditReport rep;
  rep.year = year;
  const UnixTime from = YearStart(year), to = YearStart(year + 1);
  std::map<std::string, std::string> born;  // subject -> declared birth date ("" none/unknown)
  std::map<std::string, int64_t> actions;
  std::set<std::string> subjects;
  int64_t after = 0;
  while (true) {
    FG_ASSIGN_OR_RETURN(std::vector<AuditEvent> page, I.store->ListAudit(after, 1000));
    if (page.empty()) break;
    for (AuditEvent& e : page) {
      after = e.seq;
      if (e.at < from || e.at >= to) continue;
      ++rep.events_scanned;
      if (e.subject.empty()) continue;
      auto it = born.find(e.subject);
      if (it == born.end()) {
        auto b = I.store->SubjectBirthDate(e.subject);
        it = born.emplace(e.subject, b.ok() ? *b : std::string()).first;
      }
      // Under 14 at the time of the event, by the birth date declared now; or
      // marked minor when it was written (a consent given while a child).
      bool child = policy::IsChildAt(it->second, e.at) ||
                   e.detail.find("\"minor\":true") != std::string::npos;
      if (!child) continue;
      ++actions[e.action];
      subjects.insert(e.subject);
      rep.events.push_back(std::move(e));
    }
  }
  rep.by_action.assign(actions.begin(), actions.end());
  rep.subjects.assign(subjects.begin(), subjects.end());
  FG_ASSIGN_OR_RETURN(AuditCheck chain, I.store->VerifyAudit());
  rep.chain_intact = chain.intact;
  FG_RETURN_IF_ERROR(I.Audit(actor, act, "", "", Status::Ok(),
                             {{"year", year}, {"events", rep.events.size()}, {"subjects", rep.subjects.size()}}));
  return rep;
}

}  // namespace facegate::service
