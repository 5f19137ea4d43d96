// Breach workflow (REQ S9, PIPL 57): record a leak, tampering or loss, compute
// from the store who and which of their data kinds were exposed, report to the
// authority, notify the people (or record why not), close. docs/breach.md.
#include <facegate/service.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "policy/notice.h"
#include "service/json_views.h"
#include "service/service_impl.h"

namespace facegate::service {

namespace {

constexpr int64_t kAuditPage = 5000;

const std::vector<std::string> kKinds = {"template", "consent", "identity", "audit", "alternative"};

// How each kind is named to the authority and to the person (zh, en).
struct KindText {
  const char* zh;
  const char* en;
};
KindText DescribeKind(const std::string& k) {
  if (k == "template") return {"人脸特征模板（加密存储的生物识别信息）", "face template (biometric data, stored encrypted)"};
  if (k == "consent") return {"同意记录（目的、时间、方式、证明）", "consent records (purpose, time, method, evidence)"};
  if (k == "identity") return {"身份信息（姓名、出生日期）", "identity record (name, birth date)"};
  if (k == "audit") return {"处理日志（记录您的核验、识别等操作）", "processing log (verifications and other operations naming you)"};
  return {"替代验证方式记录（您选择的非人脸方式，及登记的密码或卡号的校验值）",
          "records of the non-face method you chose, and the check values of a PIN or card you registered"};
}

// The next steps allowed from a status (CLI verbs).
std::vector<std::string> NextSteps(const std::string& status) {
  if (status == "open") return {"assess"};
  if (status == "assessed") return {"notify-authority"};
  if (status == "authority_notified") return {"notify-people", "no-notify"};
  if (status == "people_not_notified") return {"close", "notify-people"};  // the authority may require it
  if (status == "people_notified") return {"close"};
  return {};
}

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// kConflict naming the current status and the step that may follow (REQ S9).
Status OutOfOrder(const BreachRecord& b, const std::string& step) {
  std::vector<std::string> next = NextSteps(b.status);
  std::string msg = "breach " + std::to_string(b.id) + " is '" + b.status + "': " + step +
                    " is not the next step; ";
  if (next.empty()) return Status::Conflict(msg + "the breach is closed and takes no further step");
  msg += "the next allowed step is " + Join(next, " or ") + " (facegate breach " + next.front() + " " +
         std::to_string(b.id) + ")";
  return Status::Conflict(msg);
}

json BreachJson(const BreachRecord& b) {
  auto opt = [](const std::optional<UnixTime>& t) { return t ? json(FormatTime(*t)) : json(nullptr); };
  return {{"id", b.id},
          {"status", b.status},
          {"next_steps", NextSteps(b.status)},
          {"detected_at", FormatTime(b.detected_at)},
          {"opened_at", FormatTime(b.opened_at)},
          {"actor", b.actor},
          {"description", b.description},
          {"cause", b.cause},
          {"harm", b.harm},
          {"measures", b.measures},
          {"individual_advice", b.individual_advice},
          {"contact", b.contact},
          {"window", {{"from", FormatTime(b.window_from)}, {"to", FormatTime(b.window_to)},
                      {"from_unix", b.window_from}, {"to_unix", b.window_to}}},
          {"kinds", b.kinds},
          {"purposes", b.purposes},
          {"assessed_at", opt(b.assessed_at)},
          {"authority_notified_at", opt(b.authority_notified_at)},
          {"authority_reference", b.authority_reference},
          {"people_notified_at", opt(b.people_notified_at)},
          {"not_notified_at", opt(b.not_notified_at)},
          {"not_notified_reason", b.not_notified_reason},
          {"closed_at", opt(b.closed_at)},
          {"expires_at", FormatTime(b.expires_at)}};
}

// Counts of affected people per kind, in the order of kKinds.
json CountsByKind(const std::vector<BreachAffectedRecord>& people) {
  json by = json::object();
  for (const std::string& k : kKinds) {
    int64_t n = 0;
    for (const BreachAffectedRecord& p : people)
      n += std::count(p.kinds.begin(), p.kinds.end(), k) > 0;
    by[k] = n;
  }
  return by;
}

// A template's life as the audit log tells it: when made, for whom and what.
struct Born {
  UnixTime at = 0;
  std::string subject, purpose;
};

}  // namespace

const std::vector<std::string>& BreachDataKinds() { return kKinds; }

json BreachViewJson(const BreachView& v) {
  json people = json::array();
  for (const BreachAffectedRecord& a : v.affected)
    people.push_back({{"subject", a.subject},
                      {"kinds", a.kinds},
                      {"notified_at", a.notified_at ? json(FormatTime(*a.notified_at)) : json(nullptr)}});
  json j = BreachJson(v.breach);
  j["affected"] = people;
  j["affected_count"] = v.affected.size();
  j["affected_by_kind"] = CountsByKind(v.affected);
  return j;
}

json BreachRecordJson(const BreachRecord& b) { return BreachJson(b); }

Result<BreachRecord> Service::OpenBreach(const BreachInput& in, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "breach.open";
  const UnixTime now = I.Now();
  auto bad = [&](const std::string& msg) { return I.Fail(actor, act, "", "", Status::InvalidInput(msg)); };
  // PIPL 57: what the authority and the people must be told is known from the start.
  std::vector<std::string> missing;
  if (in.description.empty()) missing.push_back("description");
  if (in.cause.empty()) missing.push_back("cause");
  if (in.harm.empty()) missing.push_back("harm");
  if (in.measures.empty()) missing.push_back("measures");
  if (in.individual_advice.empty()) missing.push_back("advice");
  if (in.contact.empty()) missing.push_back("contact");
  if (!missing.empty())
    return bad("a breach record needs " + Join(missing, ", ") +
               " (PIPL 57: the cause, the possible harm, the remedial measures, what people can do "
               "and the handler's contact; write \"under investigation\" for a cause not yet known)");
  if (in.kinds.empty())
    return bad("name the data kinds concerned (--kind), one or more of " + Join(kKinds, ", "));
  std::set<std::string> kinds;
  for (const std::string& k : in.kinds) {
    if (std::find(kKinds.begin(), kKinds.end(), k) == kKinds.end())
      return bad("unknown data kind '" + k + "'; use " + Join(kKinds, ", "));
    kinds.insert(k);
  }
  std::set<std::string> purposes;
  for (const std::string& p : in.purposes) {
    if (p.empty()) continue;
    auto got = I.store->GetPurpose(p);
    if (!got.ok())
      return I.Fail(actor, act, "", p,
                    got.status().kind() == ErrorKind::kNotFound
                        ? Status::InvalidInput("purpose '" + p + "' is not declared; `facegate purpose list` "
                                               "shows the purposes (omit --purpose for every purpose)")
                        : got.status());
    purposes.insert(p);
  }
  if (in.window_to < in.window_from || in.window_from <= 0)
    return bad("the exposure window needs --from <= --to (when data may have been exposed)");
  if (in.window_to > now)
    return bad("the exposure window ends in the future (" + FormatTime(in.window_to) +
               "); end it now at the latest and record a new breach if exposure continues");
  BreachRecord b;
  b.detected_at = in.detected_at ? in.detected_at : now;
  if (b.detected_at > now) return bad("the detection time is in the future");
  b.opened_at = now;
  b.actor = actor;
  b.description = in.description;
  b.cause = in.cause;
  b.harm = in.harm;
  b.measures = in.measures;
  b.individual_advice = in.individual_advice;
  b.contact = in.contact;
  b.window_from = in.window_from;
  b.window_to = in.window_to;
  for (const std::string& k : kKinds)
    if (kinds.count(k)) b.kinds.push_back(k);  // canonical order
  b.purposes.assign(purposes.begin(), purposes.end());
  b.status = "open";
  b.expires_at = now + I.config.breach_retention_days * 86400;  // REQ S5; reset at closure
  Status st = I.store->Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(b, I.store->AddBreach(b));
    return I.Audit(actor, act, "", "", Status::Ok(),
                   {{"breach", b.id}, {"kinds", b.kinds}, {"purposes", b.purposes},
                    {"window_from", b.window_from}, {"window_to", b.window_to}});
  });
  if (!st.ok()) return I.Fail(actor, act, "", "", st);
  // REQ F1 (Measures 9): a breach is a material change; the purposes concerned are assessed again.
  std::vector<std::string> concerned = b.purposes;
  if (concerned.empty())
    if (auto all = I.store->ListPurposes(); all.ok())
      for (const PurposeRecord& p : *all) concerned.push_back(p.name);
  for (const std::string& p : concerned)
    I.MarkAssessmentsDue("purpose", p, "breach " + std::to_string(b.id) + " opened (REQ S9)", actor);
  return b;
}

Result<BreachView> Service::AssessBreach(int64_t id, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "breach.assess";
  auto got = I.store->GetBreach(id);
  if (!got.ok()) return I.Fail(actor, act, "", "", got.status(), {{"breach", id}});
  BreachRecord b = *got;
  if (b.status != "open") return I.Fail(actor, act, "", "", OutOfOrder(b, "assess"), {{"breach", id}});
  const UnixTime now = I.Now();
  const UnixTime from = b.window_from, to = b.window_to;
  const std::set<std::string> kinds(b.kinds.begin(), b.kinds.end());
  const std::set<std::string> purposes(b.purposes.begin(), b.purposes.end());
  auto in_scope = [&](const std::string& p) { return purposes.empty() || purposes.count(p) > 0; };

  // The audit log, once: events in the window, and the life of every template
  // (templates deleted since are gone from the store; the log still tells when
  // they were made and what deleted them).
  std::vector<AuditEvent> events;
  for (int64_t after = 0;;) {
    auto page = I.store->ListAudit(after, kAuditPage);
    if (!page.ok()) return I.Fail(actor, act, "", "", page.status(), {{"breach", id}});
    if (page->empty()) break;
    after = page->back().seq;
    events.insert(events.end(), page->begin(), page->end());
  }
  std::map<int64_t, Born> born;           // template id -> creation
  std::map<int64_t, UnixTime> swept;      // template id -> deleted by a retention sweep
  std::set<std::string> candidates;
  // Each person's events, in log order: the per-person checks below read only these.
  std::map<std::string, std::vector<const AuditEvent*>> by_subject;
  for (const AuditEvent& e : events) {
    if (!e.subject.empty()) {
      candidates.insert(e.subject);
      by_subject[e.subject].push_back(&e);
    }
    if (e.outcome != "ok") continue;
    json d = json::parse(e.detail, nullptr, false);
    if (!d.is_object()) continue;
    if ((e.action == "enrol" || e.action == "enrol.import" || e.action == "rights.correct") &&
        d.contains("template_id") && d["template_id"].is_number_integer())
      born[d["template_id"].get<int64_t>()] = {e.at, e.subject, e.purpose};
    if (e.action == "retention.sweep" && d.contains("template_ids") && d["template_ids"].is_array())
      for (const json& t : d["template_ids"])
        if (t.is_number_integer()) swept.emplace(t.get<int64_t>(), e.at);
  }
  std::map<std::string, std::vector<int64_t>> born_of;  // subject -> template ids made
  for (const auto& [tid, t] : born) born_of[t.subject].push_back(tid);
  static const std::vector<const AuditEvent*> kNone;
  auto events_of = [&](const std::string& subject) -> const std::vector<const AuditEvent*>& {
    auto it = by_subject.find(subject);
    return it == by_subject.end() ? kNone : it->second;
  };

  auto subjects = I.store->ListSubjects();
  if (!subjects.ok()) return I.Fail(actor, act, "", "", subjects.status(), {{"breach", id}});
  candidates.insert(subjects->begin(), subjects->end());

  // When a template no longer stored was deleted, from what the log recorded;
  // nullopt when nothing recorded explains it (then it counts as exposed).
  auto deleted_at = [&](int64_t tid, const Born& t,
                        const SubjectFile& f) -> std::optional<UnixTime> {
    std::optional<UnixTime> end;
    auto earliest = [&](UnixTime at) {
      if (at >= t.at && (!end || at < *end)) end = at;
    };
    if (auto it = swept.find(tid); it != swept.end()) earliest(it->second);
    for (const AuditEvent* ep : events_of(t.subject)) {
      const AuditEvent& e = *ep;
      if (e.outcome != "ok" || e.at < t.at) continue;
      if (e.action == "rights.erase") earliest(e.at);
      if (e.purpose != t.purpose) continue;
      if (e.action == "consent.withdraw") earliest(e.at);
      if (e.action == "rights.correct") {
        json d = json::parse(e.detail, nullptr, false);
        if (d.is_object() && d.value("template_id", int64_t{0}) != tid) earliest(e.at);
      }
    }
    // A spent "only this time" consent takes its templates at once (REQ C5).
    for (const ConsentRecord& c : f.consents)
      if (c.purpose == t.purpose && c.option == ConsentOption::kOnce && c.used_at) earliest(*c.used_at);
    return end;
  };

  std::vector<BreachAffectedRecord> affected;
  for (const std::string& s : candidates) {
    auto file = I.store->ReadSubjectFile(s);
    if (!file.ok()) return I.Fail(actor, act, "", "", file.status(), {{"breach", id}});
    const SubjectFile& f = *file;
    std::set<std::string> hit;
    bool linked = false;  // has or had data for a purpose concerned
    if (kinds.count("template") || kinds.count("identity")) {
      std::set<int64_t> stored;
      for (const SealedTemplate& t : f.templates) {
        stored.insert(t.id);
        if (!in_scope(t.purpose)) continue;
        linked = true;
        // Still stored now, so stored through the window if made before its end.
        if (t.created_at <= to) hit.insert("template");
      }
      for (int64_t tid : born_of[s]) {
        const Born& t = born.at(tid);
        if (stored.count(tid) || !in_scope(t.purpose)) continue;
        linked = true;
        if (t.at > to) continue;
        std::optional<UnixTime> end = deleted_at(tid, t, f);
        if (!end || *end >= from) hit.insert("template");
      }
    }
    for (const ConsentRecord& c : f.consents) {
      if (!in_scope(c.purpose)) continue;
      linked = true;
      // Consent rows are kept (the record that processing was lawful): given before
      // the window's end means held during it.
      if (kinds.count("consent") && c.given_at <= to) hit.insert("consent");
    }
    for (const AlternativeRecord& a : f.alternatives) {
      if (!in_scope(a.purpose)) continue;
      linked = true;
      if (kinds.count("alternative") && a.opened_at <= to) hit.insert("alternative");
    }
    // PIN and card verifiers of the alternative connectors (REQ A4), from their
    // registrations in the log: held from the registration until an erasure or the
    // expiry the registration recorded; a verifier still stored counts until now.
    for (const AuditEvent* ep : events_of(s)) {
      const AuditEvent& e = *ep;
      if (e.action != "alternative.register" || e.outcome != "ok" || !in_scope(e.purpose)) continue;
      linked = true;
      if (!kinds.count("alternative") || e.at > to) continue;
      json d = json::parse(e.detail, nullptr, false);
      std::optional<UnixTime> end;
      if (d.is_object() && d.contains("expires_at") && d["expires_at"].is_number_integer())
        end = d["expires_at"].get<UnixTime>();
      for (const AuditEvent* x : events_of(s))
        if (x->action == "rights.erase" && x->outcome == "ok" && x->at >= e.at && (!end || x->at < *end))
          end = x->at;
      if (!end || *end >= from) hit.insert("alternative");
    }
    // An event without a purpose (an erasure, a declared birth date) is about the
    // person under every purpose: counted for any purposes concerned.
    if (kinds.count("audit"))
      for (const AuditEvent* ep : events_of(s))
        if (const AuditEvent& e = *ep; e.at >= from && e.at <= to && (e.purpose.empty() || in_scope(e.purpose)) &&
            e.action.rfind("breach.", 0) != 0) {
          hit.insert("audit");
          break;
        }
    // The identity row: held during the window unless erased before it began. With
    // purposes named, only people who have or had data for one of them.
    if (kinds.count("identity") && f.exists && f.created_at <= to &&
        (!f.erased_at || *f.erased_at >= from) && (purposes.empty() || linked))
      hit.insert("identity");
    if (hit.empty()) continue;
    BreachAffectedRecord a;
    a.breach_id = id;
    a.subject = s;
    for (const std::string& k : kKinds)
      if (hit.count(k)) a.kinds.push_back(k);
    affected.push_back(std::move(a));
  }

  BreachRecord next = b;
  next.status = "assessed";
  next.assessed_at = now;
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->PutBreachAffected(id, affected));
    FG_RETURN_IF_ERROR(I.store->UpdateBreachStatus(next, "open"));
    return I.Audit(actor, act, "", "", Status::Ok(),
                   {{"breach", id}, {"affected", affected.size()}, {"by_kind", CountsByKind(affected)},
                    {"events_scanned", events.size()}});
  });
  if (!st.ok()) return I.Fail(actor, act, "", "", st, {{"breach", id}});
  return BreachView{next, affected, NextSteps(next.status)};
}

Result<BreachView> Service::ShowBreach(int64_t id, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "breach.show";
  auto b = I.store->GetBreach(id);
  if (!b.ok()) return I.Fail(actor, act, "", "", b.status(), {{"breach", id}});
  auto people = I.store->ListBreachAffected(id);
  if (!people.ok()) return I.Fail(actor, act, "", "", people.status(), {{"breach", id}});
  // The list of affected people is personal data: its reading is logged (REQ S6).
  Status st = I.Audit(actor, act, "", "", Status::Ok(), {{"breach", id}, {"affected", people->size()}});
  if (!st.ok()) return st;
  return BreachView{*b, *people, NextSteps(b->status)};
}

Result<std::vector<BreachRecord>> Service::ListBreaches() { return impl_->store->ListBreaches(); }

Result<BreachDocument> Service::NotifyAuthority(int64_t id, const std::string& reference,
                                                const std::string& actor) {
  auto& I = *impl_;
  const char* act = "breach.notify_authority";
  auto got = I.store->GetBreach(id);
  if (!got.ok()) return I.Fail(actor, act, "", "", got.status(), {{"breach", id}});
  const BreachRecord b = *got;
  if (b.status != "assessed")
    return I.Fail(actor, act, "", "", OutOfOrder(b, "notify-authority"), {{"breach", id}});
  if (reference.empty())
    return I.Fail(actor, act, "", "",
                  Status::InvalidInput("give the authority's reference for the report (--reference): "
                                       "its case number, or how and when it was filed"),
                  {{"breach", id}});
  auto people = I.store->ListBreachAffected(id);
  if (!people.ok()) return I.Fail(actor, act, "", "", people.status(), {{"breach", id}});
  const UnixTime now = I.Now();
  BreachRecord next = b;
  next.status = "authority_notified";
  next.authority_notified_at = now;
  next.authority_reference = reference;

  const json by_kind = CountsByKind(*people);
  json kinds = json::array();
  for (const std::string& k : b.kinds) {
    KindText t = DescribeKind(k);
    kinds.push_back({{"kind", k}, {"zh", t.zh}, {"en", t.en}, {"people", by_kind[k]}});
  }
  json report = {
      {"report", "personal information breach (PIPL 57)"},
      {"requirement", "S9"},
      {"breach", b.id},
      {"authority_reference", reference},
      {"reported_at", FormatTime(now)},
      {"detected_at", FormatTime(b.detected_at)},
      {"opened_at", FormatTime(b.opened_at)},
      {"description", b.description},
      {"personal_information_kinds", kinds},
      {"cause", b.cause},
      {"possible_harm", b.harm},
      {"remedial_measures", b.measures},
      {"what_individuals_can_do", b.individual_advice},
      {"handler_contact", b.contact},
      {"window", {{"from", FormatTime(b.window_from)}, {"to", FormatTime(b.window_to)}}},
      {"purposes", b.purposes.empty() ? json("all") : json(b.purposes)},
      {"affected_people", people->size()},
      {"affected_by_kind", by_kind},
      {"assessed_at", b.assessed_at ? json(FormatTime(*b.assessed_at)) : json(nullptr)},
  };
  std::ostringstream m;
  m << "# 个人信息安全事件报告 / Personal information breach report (PIPL 57)\n\n"
    << "| | |\n|---|---|\n"
    << "| 事件编号 / Breach | " << b.id << " |\n"
    << "| 受理编号 / Authority reference | " << reference << " |\n"
    << "| 报告时间 / Reported | " << FormatTime(now) << " |\n"
    << "| 发现时间 / Detected | " << FormatTime(b.detected_at) << " |\n"
    << "| 可能泄露的时间段 / Exposure window | " << FormatTime(b.window_from) << " – "
    << FormatTime(b.window_to) << " |\n"
    << "| 涉及的处理目的 / Purposes | " << (b.purposes.empty() ? "all / 全部" : Join(b.purposes, ", "))
    << " |\n"
    << "| 受影响人数 / People affected | " << people->size() << " |\n\n"
    << "## 事件经过 / What happened\n\n" << b.description << "\n\n"
    << "## 涉及的个人信息种类 / Kinds of personal information (PIPL 57 (1))\n\n"
    << "| 种类 / kind | 人数 / people |\n|---|---|\n";
  for (const std::string& k : b.kinds) {
    KindText t = DescribeKind(k);
    m << "| " << t.zh << " / " << t.en << " | " << by_kind[k].get<int64_t>() << " |\n";
  }
  m << "\n## 原因 / Cause (PIPL 57 (1))\n\n" << b.cause << "\n\n"
    << "## 可能造成的危害 / Possible harm (PIPL 57 (1))\n\n" << b.harm << "\n\n"
    << "## 已采取的补救措施 / Remedial measures taken (PIPL 57 (2))\n\n" << b.measures << "\n\n"
    << "## 个人可以采取的减轻危害的措施 / What individuals can do (PIPL 57 (2))\n\n"
    << b.individual_advice << "\n\n"
    << "## 联系方式 / Handler's contact (PIPL 57 (3))\n\n" << b.contact << "\n";
  BreachDocument doc;
  doc.breach_id = id;
  doc.json = report.dump(2);
  doc.markdown = m.str();
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->UpdateBreachStatus(next, "assessed"));
    return I.Audit(actor, act, "", "", Status::Ok(),
                   {{"breach", id}, {"reference", reference}, {"affected", people->size()},
                    {"report_sha256", policy::NoticeDigest(doc.json)}});
  });
  if (!st.ok()) return I.Fail(actor, act, "", "", st, {{"breach", id}});
  return doc;
}

Result<BreachDocument> Service::NotifyPeople(int64_t id, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "breach.notify_people";
  auto got = I.store->GetBreach(id);
  if (!got.ok()) return I.Fail(actor, act, "", "", got.status(), {{"breach", id}});
  const BreachRecord b = *got;
  if (b.status != "authority_notified" && b.status != "people_not_notified")
    return I.Fail(actor, act, "", "", OutOfOrder(b, "notify-people"), {{"breach", id}});
  auto people = I.store->ListBreachAffected(id);
  if (!people.ok()) return I.Fail(actor, act, "", "", people.status(), {{"breach", id}});
  const UnixTime now = I.Now();
  BreachDocument doc;
  doc.breach_id = id;
  json list = json::array();
  std::string all;
  for (const BreachAffectedRecord& p : *people) {
    auto f = I.store->ReadSubjectFile(p.subject);
    // An erased person keeps only the pseudonymous id: nothing of the identity is
    // read or written here, for anyone (REQ R1).
    const bool erased = f.ok() && f->erased_at.has_value();
    json kinds = json::array();
    std::ostringstream zh_kinds, en_kinds;
    for (const std::string& k : p.kinds) {
      KindText t = DescribeKind(k);
      kinds.push_back({{"kind", k}, {"zh", t.zh}, {"en", t.en}});
      zh_kinds << "- " << t.zh << "\n";
      en_kinds << "- " << t.en << "\n";
    }
    const std::string window = FormatTime(b.window_from) + " – " + FormatTime(b.window_to);
    std::ostringstream m;
    m << "# 个人信息安全事件通知 / Notice of a personal information breach\n\n"
      << "致 / To: " << p.subject << "（您在本系统中的编号 / your id in this system）\n\n"
      << "事件编号 / Breach: " << b.id << "  \n"
      << "可能泄露的时间段 / Window: " << window << "\n\n"
      << "## 发生了什么 / What happened\n\n" << b.description << "\n\n"
      << "## 涉及您的哪些信息 / Which of your data was involved\n\n" << zh_kinds.str() << "\n"
      << en_kinds.str() << "\n"
      << "## 原因 / Cause\n\n" << b.cause << "\n\n"
      << "## 可能的危害 / Possible harm\n\n" << b.harm << "\n\n"
      << "## 我们已采取的措施 / What we have done\n\n" << b.measures << "\n\n"
      << "## 您可以做什么 / What you can do\n\n" << b.individual_advice << "\n\n"
      << "您也可以查询、复制或删除您的信息，或撤回同意。/ You may also see, copy or have your data "
         "deleted, or withdraw your consent.\n\n"
      << "## 联系我们 / Contact\n\n" << b.contact << "\n";
    json n = {{"breach", b.id},
              {"subject", p.subject},
              {"kinds", kinds},
              {"window", {{"from", FormatTime(b.window_from)}, {"to", FormatTime(b.window_to)}}},
              {"description", b.description},
              {"cause", b.cause},
              {"possible_harm", b.harm},
              {"remedial_measures", b.measures},
              {"what_you_can_do", b.individual_advice},
              {"contact", b.contact},
              {"identity_erased", erased},
              {"notified_at", FormatTime(now)},
              {"markdown", m.str()}};
    list.push_back(n);
    doc.notices.emplace_back(p.subject, m.str());
    all += (all.empty() ? "" : "\n---\n\n") + m.str();
  }
  doc.json = list.dump(2);
  doc.markdown = all;
  BreachRecord next = b;
  next.status = "people_notified";
  next.people_notified_at = now;
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->UpdateBreachStatus(next, b.status));
    FG_RETURN_IF_ERROR(I.store->MarkBreachAffectedNotified(id, now));
    // One event per person, so their own export and explanation show the notice (REQ R1, S6).
    for (const BreachAffectedRecord& p : *people)
      FG_RETURN_IF_ERROR(I.Audit(actor, "breach.notice", p.subject, "", Status::Ok(),
                                 {{"breach", id}, {"kinds", p.kinds}}));
    return I.Audit(actor, act, "", "", Status::Ok(),
                   {{"breach", id}, {"notices", people->size()},
                    {"after_decision_not_to", b.status == "people_not_notified"},
                    {"notices_sha256", policy::NoticeDigest(doc.json)}});
  });
  if (!st.ok()) return I.Fail(actor, act, "", "", st, {{"breach", id}});
  return doc;
}

Result<BreachRecord> Service::DecideNotToNotify(int64_t id, const std::string& reason,
                                                const std::string& actor) {
  auto& I = *impl_;
  const char* act = "breach.no_notify";
  auto got = I.store->GetBreach(id);
  if (!got.ok()) return I.Fail(actor, act, "", "", got.status(), {{"breach", id}});
  const BreachRecord b = *got;
  if (b.status != "authority_notified")
    return I.Fail(actor, act, "", "", OutOfOrder(b, "no-notify"), {{"breach", id}});
  if (reason.empty())
    return I.Fail(actor, act, "", "",
                  Status::InvalidInput("a decision not to notify people needs the reason (--reason): how the "
                                       "measures taken effectively avoid harm (PIPL 57)"),
                  {{"breach", id}});
  BreachRecord next = b;
  next.status = "people_not_notified";
  next.not_notified_at = I.Now();
  next.not_notified_reason = reason;
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->UpdateBreachStatus(next, b.status));
    return I.Audit(actor, act, "", "", Status::Ok(), {{"breach", id}, {"reason", reason}});
  });
  if (!st.ok()) return I.Fail(actor, act, "", "", st, {{"breach", id}});
  return next;
}

Result<BreachRecord> Service::CloseBreach(int64_t id, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "breach.close";
  auto got = I.store->GetBreach(id);
  if (!got.ok()) return I.Fail(actor, act, "", "", got.status(), {{"breach", id}});
  const BreachRecord b = *got;
  if (b.status != "people_notified" && b.status != "people_not_notified")
    return I.Fail(actor, act, "", "", OutOfOrder(b, "close"), {{"breach", id}});
  const UnixTime now = I.Now();
  BreachRecord next = b;
  next.status = "closed";
  next.closed_at = now;
  next.expires_at = now + I.config.breach_retention_days * 86400;  // REQ S5
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->UpdateBreachStatus(next, b.status));
    return I.Audit(actor, act, "", "", Status::Ok(),
                   {{"breach", id}, {"expires_at", FormatTime(next.expires_at)}});
  });
  if (!st.ok()) return I.Fail(actor, act, "", "", st, {{"breach", id}});
  return next;
}

}  // namespace facegate::service
