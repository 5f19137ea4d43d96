// Rights of the person (REQ R1: PIPL 44-48, 50; R2: PIPL 24): requests tracked
// to completion against their deadline, access/copy export, correction,
// deletion, withdrawal, restriction, explanation and human review of a 1:N
// decision. Every step is audited (REQ S6); docs/rights.md is the user's guide.
#include <facegate/service.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include "policy/rules.h"
#include "service/json_views.h"
#include "service/liveness_check.h"
#include "policy/minors.h"
#include "service/service_impl.h"

namespace facegate::service {

const std::vector<std::string>& RightsKinds() {
  static const std::vector<std::string> kinds = {"access",      "copy",        "correction",
                                                 "deletion",    "restriction", "withdrawal",
                                                 "explanation", "human_review"};
  return kinds;
}

namespace {

bool KnownKind(const std::string& k) {
  const auto& ks = RightsKinds();
  return std::find(ks.begin(), ks.end(), k) != ks.end();
}

std::string JoinKinds() {
  std::string out;
  for (const std::string& k : RightsKinds()) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// Decisions about a person that an explanation covers (REQ R1).
bool IsDecision(const AuditEvent& e) {
  static const std::set<std::string> actions = {"enrol", "verify", "identify",
                                                "alternative.complete", "rights.correct"};
  return actions.count(e.action) > 0 || e.outcome.rfind("refused:", 0) == 0;
}

json RuleJson(const std::string& id, const std::string& how) {
  json j = {{"id", id}, {"how", how}};
  if (const policy::Rule* r = policy::FindRule(id)) {
    j["rule"] = r->title;
    j["citation"] = r->citation;
  }
  return j;
}

std::string Md(const std::string& s) {  // a table cell: no pipes or line breaks
  std::string out;
  for (char c : s)
    out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return out;
}

std::string Num(const json& v, int digits = 4) {
  if (!v.is_number()) return "-";
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(digits);
  o << v.get<double>();
  return o.str();
}

}  // namespace

// ---- request tracking ----

namespace {

// The explicit request a rights action completes (kind family, subject and
// state checked), or nullopt when the action records its own request.
Result<std::optional<RightsRequestRecord>> RequestFor(store::Store& st, int64_t id,
                                                      const std::vector<std::string>& kinds,
                                                      const std::string& subject) {
  if (id <= 0) return std::optional<RightsRequestRecord>();
  FG_ASSIGN_OR_RETURN(RightsRequestRecord r, st.GetRightsRequest(id));
  if (std::find(kinds.begin(), kinds.end(), r.kind) == kinds.end())
    return Status::InvalidInput("rights request " + std::to_string(id) + " asks for " + r.kind +
                                ", not " + kinds.front() + "; handle it with the matching command");
  if (r.subject != subject)
    return Status::InvalidInput("rights request " + std::to_string(id) + " is subject '" +
                                r.subject + "''s, not '" + subject + "'");
  if (r.status != "open")
    return Status::Conflict("rights request " + std::to_string(id) + " is already " + r.status +
                            "; open a new request for a new demand");
  return std::optional<RightsRequestRecord>(r);
}

}  // namespace

// Closes `req` as done, or records a request of `kind` that is done at once;
// returns its id. Called inside the action's transaction.
static Result<int64_t> CompleteRequest(store::Store& store, UnixTime now,
                                       const std::optional<RightsRequestRecord>& req,
                                       const std::string& kind, const std::string& subject,
                                       const std::string& purpose, const json& done,
                                       const std::string& actor, int64_t due_days) {
  if (req) {
    json d = json::parse(req->detail, nullptr, false);
    if (!d.is_object()) d = json::object();
    d["done"] = done;
    FG_RETURN_IF_ERROR(store.CloseRightsRequest(req->id, "done", actor, "", d.dump(), now));
    return req->id;
  }
  RightsRequestRecord r;
  r.subject = subject;
  r.kind = kind;
  r.purpose = purpose;
  r.received_at = now;
  r.due_at = now + due_days * 86400;
  r.status = "done";
  r.handled_by = actor;
  r.completed_at = now;
  r.detail = json{{"note", "asked and handled at once"}, {"done", done}}.dump();
  FG_ASSIGN_OR_RETURN(RightsRequestRecord added, store.AddRightsRequest(r));
  return added.id;
}

Result<RightsRequestRecord> Service::OpenRightsRequest(const RightsRequestInput& in,
                                                       const std::string& actor) {
  auto& I = *impl_;
  const char* act = "rights.request";
  if (!KnownKind(in.kind))
    return I.Fail(actor, act, in.subject, in.purpose,
                  Status::InvalidInput("unknown kind of request '" + in.kind + "'; use one of " +
                                       JoinKinds()));
  RightsRequestRecord r;
  r.subject = in.subject;
  r.kind = in.kind;
  r.purpose = in.purpose;
  r.received_at = I.Now();
  r.due_at = r.received_at + I.config.rights_due_days * 86400;
  json detail = json::object();
  if (!in.note.empty()) detail["note"] = in.note;
  if (in.kind == "human_review") {
    // REQ R2: the decision under review is a 1:N identification in the audit log.
    if (in.event_seq <= 0)
      return I.Fail(
          actor, act, in.subject, in.purpose,
          Status::InvalidInput("a human review names the identification it is about: give the "
                               "audit event's seq (--event SEQ; `facegate rights explain "
                               "SUBJECT` lists them)"));
    auto ev = I.store->ListAudit(in.event_seq - 1, 1);
    if (!ev.ok()) return I.Fail(actor, act, in.subject, in.purpose, ev.status());
    if (ev->empty() || ev->front().seq != in.event_seq)
      return I.Fail(
          actor, act, in.subject, in.purpose,
          Status::NotFound("audit event " + std::to_string(in.event_seq) + " does not exist"));
    const AuditEvent& e = ev->front();
    if (e.action != "identify" || e.outcome != "ok")
      return I.Fail(actor, act, in.subject, in.purpose,
                    Status::InvalidInput("audit event " + std::to_string(e.seq) + " is '" +
                                         e.action + "' with outcome '" + e.outcome +
                                         "', not a 1:N identification decision; human review (R2) "
                                         "applies to decisions from a 1:N match"));
    if (r.subject.empty()) r.subject = e.subject;
    if (r.purpose.empty()) r.purpose = e.purpose;
    detail["event"] = {{"seq", e.seq},
                       {"at", FormatTime(e.at)},
                       {"purpose", e.purpose},
                       {"identified_subject", e.subject},
                       {"decision", json::parse(e.detail, nullptr, false)}};
  }
  if (r.subject.empty())
    return I.Fail(
        actor, act, "", in.purpose,
        Status::InvalidInput("a rights request needs the subject id of the person asking"));
  r.detail = detail.dump();
  Result<RightsRequestRecord> out = Status::Internal("request not recorded");
  Status st = I.store->Transaction([&]() -> Status {
    out = I.store->AddRightsRequest(r);
    if (!out.ok()) return out.status();
    return I.Audit(actor, act, r.subject, r.purpose, Status::Ok(),
                   {{"request", out->id}, {"kind", r.kind}, {"due_at", FormatTime(r.due_at)}});
  });
  if (!st.ok()) return I.Fail(actor, act, r.subject, r.purpose, st, {{"kind", r.kind}});
  return out;
}

Result<RightsRequestRecord> Service::GetRightsRequest(int64_t id) {
  return impl_->store->GetRightsRequest(id);
}

Result<std::vector<RightsRequestRecord>> Service::ListRightsRequests(const std::string& subject,
                                                                     bool open_only) {
  return impl_->store->ListRightsRequests(subject, open_only);
}

Result<RightsRequestRecord> Service::CompleteRightsRequest(int64_t id, const std::string& note,
                                                           const std::string& actor) {
  auto& I = *impl_;
  const char* act = "rights.complete";
  auto r = I.store->GetRightsRequest(id);
  if (!r.ok()) return I.Fail(actor, act, "", "", r.status(), {{"request", id}});
  if (r->kind == "human_review")
    return I.Fail(
        actor, act, r->subject, r->purpose,
        Status::InvalidInput("request " + std::to_string(id) +
                             " is a human review: record its outcome with `facegate rights "
                             "review` (confirmed or overturned, with the reason)"),
        {{"request", id}});
  json d = json::parse(r->detail, nullptr, false);
  if (!d.is_object()) d = json::object();
  if (!note.empty()) d["completion_note"] = note;
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->CloseRightsRequest(id, "done", actor, "", d.dump(), I.Now()));
    return I.Audit(actor, act, r->subject, r->purpose, Status::Ok(),
                   {{"request", id}, {"kind", r->kind}});
  });
  if (!st.ok()) return I.Fail(actor, act, r->subject, r->purpose, st, {{"request", id}});
  return I.store->GetRightsRequest(id);
}

Result<RightsRequestRecord> Service::RefuseRightsRequest(int64_t id, const std::string& reason,
                                                         const std::string& actor) {
  auto& I = *impl_;
  const char* act = "rights.refuse";
  auto r = I.store->GetRightsRequest(id);
  if (!r.ok()) return I.Fail(actor, act, "", "", r.status(), {{"request", id}});
  if (reason.find_first_not_of(" \t\n") == std::string::npos)
    return I.Fail(
        actor, act, r->subject, r->purpose,
        Status::InvalidInput("a refusal must give the person its reason (REQ R1, PIPL 50): "
                             "say which law or fact prevents it (--reason)"),
        {{"request", id}});
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(
        I.store->CloseRightsRequest(id, "refused", actor, reason, r->detail, I.Now()));
    return I.Audit(actor, act, r->subject, r->purpose, Status::Ok(),
                   {{"request", id}, {"kind", r->kind}, {"reason", reason}});
  });
  if (!st.ok()) return I.Fail(actor, act, r->subject, r->purpose, st, {{"request", id}});
  return I.store->GetRightsRequest(id);
}

// ---- access and copy ----

namespace {

json AuditJson(const AuditEvent& e) {
  json d = json::parse(e.detail, nullptr, false);
  return {{"seq", e.seq},
          {"at", FormatTime(e.at)},
          {"actor", e.actor},
          {"action", e.action},
          {"purpose", e.purpose},
          {"outcome", e.outcome},
          {"detail", d.is_discarded() ? json(e.detail) : d}};
}

bool IsMatchEvent(const AuditEvent& e) {
  return e.action == "enrol" || e.action == "verify" || e.action == "identify" ||
         e.action == "alternative.complete" || e.action == "rights.correct";
}

std::string ExportMarkdown(const json& x) {
  std::ostringstream m;
  m << "# Your data held by facegate\n\n"
    << "Subject id: `" << x["subject"]["id"].get<std::string>() << "`  \n"
    << "Generated: " << x["generated_at"].get<std::string>() << "  \n"
    << "Request: " << x["request_id"] << "\n\n"
    << "This is everything facegate holds about you (PIPL 44, 45). Your face templates are "
       "stored sealed (encrypted) and are listed here without their contents; no photo is "
       "kept.\n\n";
  m << "## Consents\n\n";
  if (x["consents"].empty())
    m << "None.\n\n";
  else {
    m << "| id | purpose | notice (version) | option | method | given | expires | withdrawn |\n"
         "|---|---|---|---|---|---|---|---|\n";
    for (const json& c : x["consents"])
      m << "| " << c["id"] << " | " << Md(c["purpose"].get<std::string>()) << " | "
        << c["notice_id"] << " (v"
        << (c["notice_version"].is_null() ? std::string("?") : c["notice_version"].dump()) << ") | "
        << c["option"].get<std::string>() << " | " << c["method"].get<std::string>() << " | "
        << c["given_at"].get<std::string>() << " | " << c["expires_at"].get<std::string>() << " | "
        << (c["withdrawn_at"].is_null() ? "-" : c["withdrawn_at"].get<std::string>()) << " |\n";
    m << "\n";
  }
  m << "## Face templates (metadata only)\n\n";
  if (x["templates"].empty())
    m << "None.\n\n";
  else {
    m << "| id | purpose | model | created | expires |\n|---|---|---|---|---|\n";
    for (const json& t : x["templates"])
      m << "| " << t["id"] << " | " << Md(t["purpose"].get<std::string>()) << " | "
        << Md(t["model"].get<std::string>()) << " | " << t["created_at"].get<std::string>() << " | "
        << t["expires_at"].get<std::string>() << " |\n";
    m << "\n";
  }
  m << "## Alternatives chosen (no face)\n\n";
  if (x["alternatives"].empty())
    m << "None.\n\n";
  else {
    m << "| id | purpose | method | opened | outcome |\n|---|---|---|---|---|\n";
    for (const json& a : x["alternatives"])
      m << "| " << a["id"] << " | " << Md(a["purpose"].get<std::string>()) << " | "
        << Md(a["method"].get<std::string>()) << " | " << a["opened_at"].get<std::string>() << " | "
        << Md(a["outcome"].get<std::string>()) << " |\n";
    m << "\n";
  }
  m << "## Consent refusals\n\n";
  if (x["consent_refusals"].empty())
    m << "None.\n\n";
  else {
    for (const json& r : x["consent_refusals"])
      m << "- " << r["purpose"].get<std::string>() << " at " << r["refused_at"].get<std::string>()
        << "\n";
    m << "\n";
  }
  m << "## Restrictions of processing\n\n";
  if (x["restrictions"].empty())
    m << "None.\n\n";
  else {
    for (const json& r : x["restrictions"])
      m << "- placed " << r["placed_at"].get<std::string>() << ", "
        << (r["lifted_at"].is_null() ? std::string("in force")
                                     : "lifted " + r["lifted_at"].get<std::string>())
        << "\n";
    m << "\n";
  }
  m << "## Your requests\n\n";
  if (x["rights_requests"].empty())
    m << "None.\n\n";
  else {
    m << "| id | kind | received | due | status | reason |\n|---|---|---|---|---|---|\n";
    for (const json& r : x["rights_requests"])
      m << "| " << r["id"] << " | " << r["kind"].get<std::string>() << " | "
        << r["received_at"].get<std::string>() << " | " << r["due_at"].get<std::string>() << " | "
        << r["status"].get<std::string>() << " | " << Md(r.value("reason", "")) << " |\n";
    m << "\n";
  }
  m << "## Match log (enrolments, verifications, identifications)\n\n";
  if (x["match_log"].empty())
    m << "None.\n\n";
  else {
    m << "| seq | time | action | purpose | outcome | distance | threshold | model |\n"
         "|---|---|---|---|---|---|---|---|\n";
    for (const json& e : x["match_log"]) {
      const json& d = e["detail"];
      auto field = [&](const char* k) {
        return d.is_object() && d.contains(k) ? d[k] : json(nullptr);
      };
      std::string outcome = e["outcome"].get<std::string>();
      if (e["action"] == "verify" && field("match").is_boolean())
        outcome += field("match").get<bool>() ? " (match)" : " (no match)";
      if (e["action"] == "identify" && field("identified").is_boolean())
        outcome += field("identified").get<bool>() ? " (identified)" : " (unknown)";
      m << "| " << e["seq"] << " | " << e["at"].get<std::string>() << " | "
        << e["action"].get<std::string>() << " | " << Md(e["purpose"].get<std::string>()) << " | "
        << Md(outcome) << " | " << Num(field("distance")) << " | " << Num(field("threshold"))
        << " | "
        << (field("model").is_string() ? Md(field("model").get<std::string>()) : std::string("-"))
        << " |\n";
    }
    m << "\n";
  }
  m << "## Other events naming you\n\n"
    << x["other_events"].size() << " event(s); see the JSON copy.\n";
  return m.str();
}

}  // namespace

Result<RightsDocument> Service::ExportSubject(const std::string& subject, int64_t request_id,
                                              const std::string& actor) {
  auto& I = *impl_;
  const char* act = "rights.export";
  if (subject.empty())
    return I.Fail(actor, act, "", "", Status::InvalidInput("an export of whom? give a subject id"));
  auto req = RequestFor(*I.store, request_id, {"access", "copy"}, subject);
  if (!req.ok()) return I.Fail(actor, act, subject, "", req.status(), {{"request", request_id}});
  if (auto born = I.store->SubjectBirthDate(subject); born.ok() && policy::IsChildAt(*born, I.Now()))
    FG_RETURN_IF_ERROR(I.RequireMinorAccess(subject, actor, "exported"));  // REQ M3
  auto file = I.store->ReadSubjectFile(subject);
  if (!file.ok()) return I.Fail(actor, act, subject, "", file.status());
  auto events = I.store->ListAuditForSubject(subject, 0, 0);
  if (!events.ok()) return I.Fail(actor, act, subject, "", events.status());
  if (!file->exists && file->consents.empty() && file->templates.empty() &&
      file->alternatives.empty() && file->refusals.empty() && events->empty() &&
      file->requests.empty() && !*req)
    return I.Fail(actor, act, subject, "",
                  Status::NotFound("facegate holds nothing about subject '" + subject +
                                   "': no record, consent, template or event"));
  const UnixTime now = I.Now();
  json x = {{"format", "facegate.subject-export/1"}, {"generated_at", FormatTime(now)}};
  x["subject"] = {
      {"id", subject},
      {"exists", file->exists},
      {"created_at", file->exists ? json(FormatTime(file->created_at)) : json(nullptr)},
      {"erased_at", file->erased_at ? json(FormatTime(*file->erased_at)) : json(nullptr)}};
  std::map<int64_t, std::optional<NoticeRecord>> notices;
  json consents = json::array();
  for (const ConsentRecord& c : file->consents) {
    json j = ConsentJson(c);
    j["evidence"] = c.evidence;
    if (c.notice_id && !notices.count(c.notice_id)) {
      auto n = I.store->GetNotice(c.notice_id);
      notices[c.notice_id] = n.ok() ? std::optional<NoticeRecord>(*n) : std::nullopt;
    }
    const std::optional<NoticeRecord> n = c.notice_id ? notices[c.notice_id] : std::nullopt;
    j["notice_version"] = n ? json(n->version) : json(nullptr);
    j["notice_published_at"] = n ? json(FormatTime(n->published_at)) : json(nullptr);
    consents.push_back(j);
  }
  x["consents"] = consents;
  json templates = json::array();
  for (const SealedTemplate& t : file->templates)  // never the vector (REQ S4)
    templates.push_back({{"id", t.id},
                         {"purpose", t.purpose},
                         {"model", t.model},
                         {"created_at", FormatTime(t.created_at)},
                         {"expires_at", FormatTime(t.expires_at)}});
  x["templates"] = templates;
  x["templates_note"] =
      "face templates are kept sealed (XChaCha20-Poly1305, per-subject key) and are never exported "
      "in clear";
  json alts = json::array();
  for (const AlternativeRecord& a : file->alternatives)
    alts.push_back({{"id", a.id},
                    {"purpose", a.purpose},
                    {"method", a.method},
                    {"session", a.session},
                    {"opened_at", FormatTime(a.opened_at)},
                    {"closed_at", a.closed_at ? json(FormatTime(*a.closed_at)) : json(nullptr)},
                    {"outcome", a.outcome}});
  x["alternatives"] = alts;
  json refusals = json::array();
  for (const auto& [purpose, at] : file->refusals)
    refusals.push_back({{"purpose", purpose}, {"refused_at", FormatTime(at)}});
  x["consent_refusals"] = refusals;
  json restrictions = json::array();
  for (const RestrictionRecord& r : file->restrictions)
    restrictions.push_back(
        {{"id", r.id},
         {"request_id", r.request_id},
         {"placed_at", FormatTime(r.placed_at)},
         {"lifted_at", r.lifted_at ? json(FormatTime(*r.lifted_at)) : json(nullptr)}});
  x["restrictions"] = restrictions;
  json match = json::array(), other = json::array();
  for (const AuditEvent& e : *events) (IsMatchEvent(e) ? match : other).push_back(AuditJson(e));
  x["match_log"] = match;
  x["other_events"] = other;

  int64_t rid = 0;
  json done = {
      {"consents", consents.size()}, {"templates", templates.size()}, {"events", events->size()}};
  Status st = I.store->Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(
        rid, CompleteRequest(*I.store, I.Now(), *req, req->has_value() ? (*req)->kind : "access",
                             subject, "", done, actor, I.config.rights_due_days));
    // REQ S6: the export itself is logged.
    return I.Audit(actor, act, subject, "", Status::Ok(), {{"request", rid}, {"contents", done}});
  });
  if (!st.ok()) return I.Fail(actor, act, subject, "", st);
  // The person's own requests, this one included.
  json requests = json::array();
  auto reqs = I.store->ListRightsRequests(subject, false);
  if (reqs.ok())
    for (auto it = reqs->rbegin(); it != reqs->rend(); ++it)
      requests.push_back(RightsRequestJson(*it, now));
  x["rights_requests"] = requests;
  x["request_id"] = rid;
  RightsDocument doc;
  doc.request_id = rid;
  doc.json = x.dump(2);
  doc.markdown = ExportMarkdown(x);
  return doc;
}

// ---- correction ----

Status Service::ApproveCorrection(int64_t request_id, const std::string& reason,
                                  const std::string& approver) {
  auto& I = *impl_;
  const char* act = "rights.correction.approve";
  auto r = I.store->GetRightsRequest(request_id);
  if (!r.ok())
    return I.Fail(approver, act, "", "",
                  r.status().kind() == ErrorKind::kNotFound
                      ? Status::NotFound("rights request " + std::to_string(request_id) +
                                         " does not exist; record the person's correction request first "
                                         "(POST /v1/rights kind correction)")
                      : r.status(),
                  {{"request", request_id}});
  if (r->kind != "correction")
    return I.Fail(approver, act, r->subject, r->purpose,
                  Status::InvalidInput("rights request " + std::to_string(request_id) + " asks for " +
                                       r->kind + ", not correction; only a correction is approved"),
                  {{"request", request_id}});
  if (r->status != "open")
    return I.Fail(approver, act, r->subject, r->purpose,
                  Status::Conflict("rights request " + std::to_string(request_id) + " is already " + r->status),
                  {{"request", request_id}});
  if (reason.empty())
    return I.Fail(approver, act, r->subject, r->purpose,
                  Status::InvalidInput("an approval needs the reason (how the person's identity was checked)"),
                  {{"request", request_id}});
  return I.Audit(approver, act, r->subject, r->purpose, Status::Ok(),
                 {{"request", request_id}, {"reason", reason}});
}

Result<CorrectionResult> Service::CorrectEnrolment(const std::string& subject,
                                                   const std::string& purpose,
                                                   const std::string& image_bytes,
                                                   const std::string& session, int64_t request_id,
                                                   const std::string& actor) {
  auto& I = *impl_;
  const char* act = "rights.correct";
  // A new face replaces the enrolled one without matching it, so it needs the person's
  // request on record and a second person's approval: never a request made on the spot.
  if (request_id <= 0)
    return I.Fail(actor, act, subject, purpose,
                  Status::Refused("R1", "a correction replaces the enrolled face without matching it, so it "
                                        "needs the person's correction request on record (POST /v1/rights "
                                        "kind correction) approved by another person (POST "
                                        "/v1/rights/{id}/approve); give its id as \"request\""));
  auto req = RequestFor(*I.store, request_id, {"correction"}, subject);
  if (!req.ok())
    return I.Fail(actor, act, subject, purpose, req.status(), {{"request", request_id}});
  {
    auto events = I.store->ListAuditForSubject(subject, 0, 0);
    if (!events.ok()) return I.Fail(actor, act, subject, purpose, events.status());
    bool approved = false;
    for (const AuditEvent& e : *events) {
      if (e.action != "rights.correction.approve" || e.outcome != "ok" || e.actor == actor) continue;
      json d = json::parse(e.detail, nullptr, false);
      if (d.is_object() && d.value("request", int64_t{0}) == request_id) approved = true;
    }
    if (!approved)
      return I.Fail(actor, act, subject, purpose,
                    Status::Refused("R1", "correction request " + std::to_string(request_id) +
                                              " is not approved by another person than '" + actor +
                                              "'; the approver checks the person's identity, then POST "
                                              "/v1/rights/" + std::to_string(request_id) +
                                              "/approve (facegate rights approve " +
                                              std::to_string(request_id) + " --reason ...)"),
                    {{"request", request_id}});
  }
  // The existing consent must still cover an enrolment (the Gate decides; REQ C1, R1).
  auto pre = I.gate->ActiveConsent(subject, purpose, Operation::kEnrol, session);
  if (!pre.ok()) return I.Fail(actor, act, subject, purpose, pre.status());
  auto old = I.store->GetTemplates(subject, purpose);
  if (!old.ok()) return I.Fail(actor, act, subject, purpose, old.status());
  if (old->empty())
    return I.Fail(actor, act, subject, purpose,
                  Status::NotFound("subject '" + subject + "' has no template for purpose '" +
                                   purpose + "' to correct; enrol instead"));
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok()) return I.Fail(actor, act, subject, purpose, p.status());
  auto rgb = vision::DecodeImage(image_bytes);
  if (!rgb.ok()) return I.Fail(actor, act, subject, purpose, rgb.status());
  auto grant = I.gate->Authorize(Operation::kEnrol, subject, purpose, session);
  if (!grant.ok()) return I.Fail(actor, act, subject, purpose, grant.status());
  struct Wiper {
    cv::Mat& m;
    ~Wiper() { m.setTo(cv::Scalar::all(0)); }  // the photo is not kept (REQ S2)
  } wipe{*rgb};
  vision::StageTimings timings;
  auto face = I.OneFace(*grant, *rgb, &timings);
  if (!face.ok())
    return I.Fail(actor, act, subject, purpose, face.status(), {{"grant", grant->id()}});
  FG_ASSIGN_OR_RETURN(vision::Engine * eng, I.Engine());
  // The same checks as an enrolment: a poor photo is refused with what to fix, and a purpose
  // that requires a live face gets no template from a photo held up (docs/quality.md, liveness.md).
  auto quality = eng->Quality(*grant, *rgb, *face);
  if (!quality.ok()) return I.Fail(actor, act, subject, purpose, quality.status(), {{"grant", grant->id()}});
  if (quality->overall == vision::QualityLevel::kPoor)
    return I.Fail(actor, act, subject, purpose, Status::InvalidInput(PoorQualityMessage(*quality)),
                  {{"grant", grant->id()}, {"quality", QualityJson(*quality)}});
  std::optional<vision::LivenessResult> liveness;
  Status live = RequireLiveness(*eng, *grant, *rgb, *face, *p, Operation::kEnrol,
                                I.config.liveness_thresholds, &liveness);
  if (!live.ok()) {
    json detail = {{"grant", grant->id()}};
    if (liveness) detail["liveness"] = LivenessJson(*liveness);
    return I.Fail(actor, act, subject, purpose, live, detail);
  }
  auto tpl = eng->Extract(*grant, *rgb, *face, &timings);
  if (!tpl.ok())
    return I.Fail(actor, act, subject, purpose, tpl.status(), {{"grant", grant->id()}});
  const UnixTime now = I.Now();
  CorrectionResult res;
  res.model = tpl->model();
  res.expires_at = std::min(now + p->retention_days * 86400, pre->expires_at);  // REQ S5
  // One transaction: the old templates go and the new one lands, or nothing changes.
  Status st = I.store->Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(res.templates_replaced, I.store->DeleteTemplates(subject, purpose));
    FG_ASSIGN_OR_RETURN(SealedTemplate sealed,
                        I.vault->Seal(*grant, *I.store, *tpl, now, res.expires_at));
    FG_ASSIGN_OR_RETURN(res.template_id, I.store->PutTemplate(sealed));
    json done = {{"templates_replaced", res.templates_replaced}, {"template_id", res.template_id}};
    FG_ASSIGN_OR_RETURN(res.request_id,
                        CompleteRequest(*I.store, I.Now(), *req, "correction", subject, purpose,
                                        done, actor, I.config.rights_due_days));
    json detail = {{"grant", grant->id()},
                   {"consent_id", grant->consent_id()},
                   {"request", res.request_id},
                   {"templates_replaced", res.templates_replaced},
                   {"template_id", res.template_id},
                   {"model", res.model},
                   {"face_score", face->detection.score},
                   {"quality", vision::ToString(quality->overall)}};
    if (liveness) detail["liveness"] = LivenessJson(*liveness);
    return I.Audit(actor, act, subject, purpose, Status::Ok(), detail);
  });
  if (st.ok()) {
    // The search index follows at once: old templates out, the new one in (REQ S7, SC2).
    I.Scopes().RemoveSubject(purpose, subject);
    I.Scopes().Added(purpose, subject, res.template_id, gallery::Vector(tpl->values()));
  }
  tpl->Wipe();
  if (!st.ok()) return I.Fail(actor, act, subject, purpose, st, {{"grant", grant->id()}});
  return res;
}

// ---- deletion and withdrawal ----

Result<ErasureResult> Service::EraseSubject(const std::string& subject, int64_t request_id,
                                            const std::string& actor) {
  auto& I = *impl_;
  const char* act = "rights.erase";
  if (subject.empty())
    return I.Fail(actor, act, "", "", Status::InvalidInput("erase whom? give a subject id"));
  auto req = RequestFor(*I.store, request_id, {"deletion"}, subject);
  if (!req.ok()) return I.Fail(actor, act, subject, "", req.status(), {{"request", request_id}});
  auto file = I.store->ReadSubjectFile(subject);
  if (!file.ok()) return I.Fail(actor, act, subject, "", file.status());
  if (!file->exists && file->templates.empty())
    return I.Fail(
        actor, act, subject, "",
        Status::NotFound("subject '" + subject + "' is not known to facegate; nothing to delete"));
  std::set<std::string> purposes;
  for (const ConsentRecord& c : file->consents) purposes.insert(c.purpose);
  for (const SealedTemplate& t : file->templates) purposes.insert(t.purpose);
  ErasureResult res;
  const UnixTime now = I.Now();
  // One transaction: consents end, templates go, the key is destroyed and the
  // identity anonymised together (REQ R1, C4, S7).
  Status st = I.store->Transaction([&]() -> Status {
    for (const ConsentRecord& c : file->consents) {
      if (c.withdrawn_at) continue;
      FG_RETURN_IF_ERROR(I.store->MarkConsentWithdrawn(c.id, now));
      ++res.consents_withdrawn;
    }
    for (const std::string& p : purposes) {
      FG_ASSIGN_OR_RETURN(int64_t n, I.store->DeleteTemplates(subject, p));
      res.templates_deleted += n;
    }
    FG_RETURN_IF_ERROR(I.store->DestroySubjectKey(subject));
    res.key_destroyed = true;
    // The PIN and card verifiers of the alternatives are the person's data too (REQ A4, S7).
    FG_ASSIGN_OR_RETURN(res.alternative_credentials_deleted, I.store->DeleteAlternativeCredentials(subject, ""));
    if (file->exists) {
      FG_RETURN_IF_ERROR(I.store->EraseSubjectIdentity(subject, now));
      res.identity_anonymised = true;
    }
    json done = {{"consents_withdrawn", res.consents_withdrawn},
                 {"templates_deleted", res.templates_deleted},
                 {"key_destroyed", res.key_destroyed},
                 {"alternative_credentials_deleted", res.alternative_credentials_deleted},
                 {"identity_anonymised", res.identity_anonymised}};
    FG_ASSIGN_OR_RETURN(res.request_id,
                        CompleteRequest(*I.store, I.Now(), *req, "deletion", subject, "", done,
                                        actor, I.config.rights_due_days));
    done["request"] = res.request_id;
    // The audit keeps the pseudonymous id only: no name, no template (REQ S3, S6).
    return I.Audit(actor, act, subject, "", Status::Ok(), done);
  });
  if (!st.ok()) return I.Fail(actor, act, subject, "", st);
  for (const std::string& p : purposes) I.Scopes().RemoveSubject(p, subject);  // REQ S7
  return res;
}

Result<WithdrawResult> Service::WithdrawByRequest(const std::string& subject,
                                                  const std::string& purpose, int64_t request_id,
                                                  const std::string& actor) {
  auto& I = *impl_;
  auto req = RequestFor(*I.store, request_id, {"withdrawal"}, subject);
  if (!req.ok())
    return I.Fail(actor, "rights.withdraw", subject, purpose, req.status(),
                  {{"request", request_id}});
  FG_ASSIGN_OR_RETURN(WithdrawResult r, WithdrawConsent(subject, purpose, actor));  // audited there
  json done = {{"consents_withdrawn", r.consents_withdrawn},
               {"templates_deleted", r.templates_deleted},
               {"key_destroyed", r.key_destroyed}};
  Status st = I.store->Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(
        int64_t rid, CompleteRequest(*I.store, I.Now(), *req, "withdrawal", subject, purpose, done,
                                     actor, I.config.rights_due_days));
    return I.Audit(actor, "rights.withdraw", subject, purpose, Status::Ok(),
                   {{"request", rid}, {"done", done}});
  });
  if (!st.ok()) return I.Fail(actor, "rights.withdraw", subject, purpose, st);
  return r;
}

// ---- restriction ----

Result<RestrictionRecord> Service::RestrictSubject(const std::string& subject, int64_t request_id,
                                                   const std::string& actor) {
  auto& I = *impl_;
  const char* act = "rights.restrict";
  if (subject.empty())
    return I.Fail(actor, act, "", "", Status::InvalidInput("restrict whom? give a subject id"));
  auto req = RequestFor(*I.store, request_id, {"restriction"}, subject);
  if (!req.ok()) return I.Fail(actor, act, subject, "", req.status(), {{"request", request_id}});
  const UnixTime now = I.Now();
  RestrictionRecord out;
  Status st = I.store->Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(int64_t rid,
                        CompleteRequest(*I.store, I.Now(), *req, "restriction", subject, "",
                                        {{"restricted", true}}, actor, I.config.rights_due_days));
    FG_RETURN_IF_ERROR(I.store->PlaceRestriction(subject, rid, now));
    FG_ASSIGN_OR_RETURN(std::optional<RestrictionRecord> r, I.store->ActiveRestriction(subject));
    if (!r) return Status::Internal("the restriction of '" + subject + "' was not recorded");
    out = *r;
    return I.Audit(actor, act, subject, "", Status::Ok(),
                   {{"request", rid}, {"restriction", out.id}});
  });
  if (!st.ok()) return I.Fail(actor, act, subject, "", st);
  // Processing stops: the person leaves the loaded identification indexes too.
  if (auto file = I.store->ReadSubjectFile(subject); file.ok())
    for (const SealedTemplate& t : file->templates) I.Scopes().RemoveSubject(t.purpose, subject);
  return out;
}

Status Service::LiftRestriction(const std::string& subject, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "rights.lift";
  auto active = I.store->ActiveRestriction(subject);
  if (!active.ok()) return I.Fail(actor, act, subject, "", active.status());
  if (!*active)
    return I.Fail(actor, act, subject, "",
                  Status::NotFound("processing of subject '" + subject +
                                   "' is not restricted; nothing to lift"));
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->LiftRestriction(subject, I.Now()));
    return I.Audit(actor, act, subject, "", Status::Ok(),
                   {{"restriction", (*active)->id}, {"request", (*active)->request_id}});
  });
  if (!st.ok()) return I.Fail(actor, act, subject, "", st);
  // Their templates come back into the identification indexes: the next search reloads them.
  if (auto file = I.store->ReadSubjectFile(subject); file.ok()) {
    std::set<std::string> purposes;
    for (const SealedTemplate& t : file->templates) purposes.insert(t.purpose);
    for (const std::string& p : purposes) I.Scopes().Reload(p);
  }
  return st;
}

// ---- explanation ----

namespace {

// The rules one audited decision rested on, in the person's terms (REQ R1).
json ExplainEvent(const AuditEvent& e) {
  json d = json::parse(e.detail, nullptr, false);
  if (!d.is_object()) d = json::object();
  json rules = json::array();
  std::string decision;
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(4);
  if (e.outcome.rfind("refused:", 0) == 0) {
    const std::string id = e.outcome.substr(8);
    decision = "refused: " + d.value("message", std::string("the compliance core refused"));
    rules.push_back(RuleJson(id, "this rule refused the operation before any face was processed"));
  } else if (e.outcome != "ok") {
    decision = "failed (" + e.outcome + "): " + d.value("message", std::string(""));
  } else if (e.action == "enrol" || e.action == "rights.correct") {
    decision = e.action == "enrol" ? "a template was made and stored"
                                   : "the templates were replaced by a new one";
    rules.push_back(RuleJson(
        "C1", "consent " + (d.contains("consent_id") ? d["consent_id"].dump() : std::string("?")) +
                  " for exactly this purpose authorised it"));
    rules.push_back(RuleJson("S4", "the template is sealed under a per-person key"));
    rules.push_back(RuleJson("S5", "it is deleted at its expiry"));
  } else if (e.action == "verify") {
    const bool match = d.value("match", false);
    if (d.contains("distance") && d.contains("threshold"))
      o << "distance " << d["distance"].get<double>() << (match ? " <= " : " > ") << "threshold "
        << d["threshold"].get<double>();
    decision =
        std::string(match ? "match" : "no match") + (o.str().empty() ? "" : " (" + o.str() + ")");
    rules.push_back(RuleJson(
        "C1", "consent " + (d.contains("consent_id") ? d["consent_id"].dump() : std::string("?")) +
                  " for exactly this purpose authorised it"));
    rules.push_back(
        RuleJson("SC1", "the photo was compared with this person's own templates only"));
    rules.push_back(
        RuleJson("S2", "the photo and its template were discarded after the comparison"));
  } else if (e.action == "identify") {
    const bool who = d.value("identified", false);
    if (d.contains("distance") && d["distance"].is_number() && d.contains("threshold"))
      o << "distance " << d["distance"].get<double>() << (who ? " <= " : " > ") << "threshold "
        << d["threshold"].get<double>();
    decision = std::string(who ? "identified as this person" : "nobody identified") +
               (o.str().empty() ? "" : " (" + o.str() + ")");
    rules.push_back(
        RuleJson("SC2", "searched only within the scope of this purpose (" +
                            (d.contains("scope_size") ? d["scope_size"].dump() : std::string("?")) +
                            " members); the threshold is set for that size"));
    rules.push_back(
        RuleJson("C1", "only members with an active identification consent are searched"));
    rules.push_back(RuleJson("D3", "the probe photo was discarded"));
    if (who)
      rules.push_back(
          RuleJson("R2",
                   "this 1:N decision can be reviewed by a person: facegate rights request "
                   "SUBJECT human_review --event " +
                       std::to_string(e.seq)));
  } else if (e.action == "alternative.complete") {
    decision = "the non-face method " + d.value("method", std::string("?")) +
               " was used: " + d.value("outcome", std::string("?"));
    rules.push_back(RuleJson("C6", "the non-face outcome counts like a face outcome"));
    rules.push_back(RuleJson("A2", "no face was processed in that transaction"));
  }
  json j = {{"seq", e.seq},         {"at", FormatTime(e.at)}, {"action", e.action},
            {"purpose", e.purpose}, {"outcome", e.outcome},   {"decision", decision},
            {"rules", rules}};
  for (const char* k :
       {"threshold", "distance", "model", "consent_id", "scope_size", "match", "identified"})
    if (d.contains(k)) j[k] = d[k];
  return j;
}

}  // namespace

Result<RightsDocument> Service::ExplainDecisions(const std::string& subject, int64_t limit,
                                                 int64_t request_id, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "rights.explain";
  if (subject.empty())
    return I.Fail(actor, act, "", "", Status::InvalidInput("explain to whom? give a subject id"));
  if (limit <= 0) limit = 10;
  auto req = RequestFor(*I.store, request_id, {"explanation"}, subject);
  if (!req.ok()) return I.Fail(actor, act, subject, "", req.status(), {{"request", request_id}});
  // A child's decisions are a child's records: read only with an approval (REQ M3).
  if (auto born = I.store->SubjectBirthDate(subject); born.ok() && policy::IsChildAt(*born, I.Now()))
    FG_RETURN_IF_ERROR(I.RequireMinorAccess(subject, actor, "decision"));
  auto events = I.store->ListAuditForSubject(subject, 0, 0);
  if (!events.ok()) return I.Fail(actor, act, subject, "", events.status());
  std::vector<const AuditEvent*> decisions;
  for (const AuditEvent& e : *events)
    if (IsDecision(e)) decisions.push_back(&e);
  if (decisions.size() > size_t(limit)) decisions.erase(decisions.begin(), decisions.end() - limit);
  json items = json::array();
  for (auto it = decisions.rbegin(); it != decisions.rend(); ++it)
    items.push_back(ExplainEvent(**it));  // newest first
  int64_t rid = 0;
  Status st = I.store->Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(
        rid, CompleteRequest(*I.store, I.Now(), *req, "explanation", subject, "",
                             {{"decisions", items.size()}}, actor, I.config.rights_due_days));
    return I.Audit(actor, act, subject, "", Status::Ok(),
                   {{"request", rid}, {"decisions", items.size()}});
  });
  if (!st.ok()) return I.Fail(actor, act, subject, "", st);
  json x = {{"format", "facegate.explanation/1"},
            {"subject", subject},
            {"generated_at", FormatTime(I.Now())},
            {"request_id", rid},
            {"verify_threshold", I.config.verify_threshold},
            {"decisions", items}};
  std::ostringstream m;
  m << "# How facegate decided about you\n\nSubject id: `" << subject
    << "`  \nGenerated: " << x["generated_at"].get<std::string>() << "\n\n";
  if (items.empty()) m << "No decision about you is recorded.\n";
  for (const json& d : items) {
    m << "## " << d["at"].get<std::string>() << " " << d["action"].get<std::string>()
      << (d["purpose"].get<std::string>().empty() ? ""
                                                  : " (" + d["purpose"].get<std::string>() + ")")
      << ", event " << d["seq"] << "\n\n"
      << d["decision"].get<std::string>() << "\n\n";
    if (d.contains("model")) m << "Model: " << d["model"].get<std::string>() << "\n\n";
    for (const json& r : d["rules"])
      m << "- REQ " << r["id"].get<std::string>() << ": " << r["how"].get<std::string>()
        << (r.contains("rule") ? " (" + r["rule"].get<std::string>() +
                                     (r["citation"].get<std::string>().empty()
                                          ? ""
                                          : "; " + r["citation"].get<std::string>()) +
                                     ")"
                               : std::string())
        << "\n";
    m << "\n";
  }
  RightsDocument doc;
  doc.request_id = rid;
  doc.json = x.dump(2);
  doc.markdown = m.str();
  return doc;
}

// ---- human review (REQ R2) ----

Result<RightsRequestRecord> Service::RecordReview(int64_t request_id, const std::string& outcome,
                                                  const std::string& reason,
                                                  const std::string& actor) {
  auto& I = *impl_;
  const char* act = "rights.review";
  auto r = I.store->GetRightsRequest(request_id);
  if (!r.ok()) return I.Fail(actor, act, "", "", r.status(), {{"request", request_id}});
  if (r->kind != "human_review")
    return I.Fail(actor, act, r->subject, r->purpose,
                  Status::InvalidInput("request " + std::to_string(request_id) + " asks for " +
                                       r->kind + ", not a human review"),
                  {{"request", request_id}});
  if (outcome != "confirmed" && outcome != "overturned")
    return I.Fail(
        actor, act, r->subject, r->purpose,
        Status::InvalidInput("review outcome '" + outcome +
                             "' is not 'confirmed' or 'overturned': say whether the reviewer "
                             "upholds the 1:N decision"),
        {{"request", request_id}});
  if (reason.find_first_not_of(" \t\n") == std::string::npos)
    return I.Fail(actor, act, r->subject, r->purpose,
                  Status::InvalidInput("a review records the reviewer's reason (--reason)"),
                  {{"request", request_id}});
  json d = json::parse(r->detail, nullptr, false);
  if (!d.is_object()) d = json::object();
  d["review"] = {
      {"outcome", outcome}, {"reason", reason}, {"reviewer", actor}, {"at", FormatTime(I.Now())}};
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(
        I.store->CloseRightsRequest(request_id, "done", actor, "", d.dump(), I.Now()));
    return I.Audit(actor, act, r->subject, r->purpose, Status::Ok(),
                   {{"request", request_id},
                    {"outcome", outcome},
                    {"reason", reason},
                    {"event", d.contains("event") ? d["event"]["seq"] : json(nullptr)}});
  });
  if (!st.ok()) return I.Fail(actor, act, r->subject, r->purpose, st, {{"request", request_id}});
  return I.store->GetRightsRequest(request_id);
}

}  // namespace facegate::service
