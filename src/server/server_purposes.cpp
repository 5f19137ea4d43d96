// Purposes and notices: declaring and reading purposes, the operator's identification threshold
// (REQ SC2), and publishing and showing the notice in its accessible forms (REQ N1, N2).
#include "policy/legal_basis.h"
#include "policy/notice.h"
#include "server/server_impl.h"
#include "service/json_views.h"
#include "service/workdays.h"

#include <ctime>

namespace facegate::server {

using service::FormatTime;

namespace {

// ---- JSON shapes (the same field names as the CLI's --json output) ----

json PurposeJson(const PurposeRecord& p) {
  json j = {{"name", p.name},
            {"scenario", ToString(p.scenario)},
            {"retention_days", p.retention_days},
            {"alternatives", p.alternatives},
            {"created_at", FormatTime(p.created_at)}};
  if (!p.legal_mandate.empty()) j["legal_mandate"] = p.legal_mandate;
  j["liveness"] = ToString(p.liveness);
  j["legal_basis"] = policy::EffectiveBasis(p);  // "" : an analysis purpose that records none yet
  if (!p.basis_justification.empty()) j["basis_justification"] = p.basis_justification;
  return j;
}

json NoticeJson(const NoticeRecord& n, bool with_text) {
  json j = {{"notice_id", n.id},
            {"purpose", n.purpose},
            {"version", n.version},
            {"sha256", n.sha256},
            {"published_at", FormatTime(n.published_at)}};
  if (with_text) j["text"] = n.text;
  return j;
}

}  // namespace

const std::vector<RouteEntry>& PurposeRoutes() {
  static const std::vector<RouteEntry> routes = {
      {{"GET", "/v1/purposes", Access::kPurposes}, &ServerImpl::ListPurposes},
      {{"POST", "/v1/purposes", Access::kPurposes}, &ServerImpl::AddPurpose},
      {{"GET", "/v1/purposes/{name}", Access::kPurposes}, &ServerImpl::GetPurpose},
      {{"POST", "/v1/purposes/{name}/notices", Access::kPurposes}, &ServerImpl::PublishNotice},
      // kiosks show it (device keys)
      {{"GET", "/v1/purposes/{name}/notice", Access::kGate}, &ServerImpl::GetNotice},
      {{"POST", "/v1/purposes/{name}/threshold", Access::kAdmin}, &ServerImpl::SetThreshold},
      {{"POST", "/v1/purposes/{name}/basis", Access::kAdmin}, &ServerImpl::SetPurposeBasis},
      {{"GET", "/v1/purposes/{name}/inferences", Access::kPurposes}, &ServerImpl::ListInferences},
      {{"GET", "/v1/purposes/{name}/statistics", Access::kDashboard}, &ServerImpl::AnalysisStatistics},
      {{"POST", "/v1/purposes/{name}/inferences/{inference}", Access::kAdmin}, &ServerImpl::EnableInference},
      {{"POST", "/v1/purposes/{name}/inferences/{inference}/off", Access::kAdmin}, &ServerImpl::DisableInference},
  };
  return routes;
}

void ServerImpl::ListPurposes(Call& c) {
  c.action = "purpose.list";
  auto page = ParsePage(c.req);
  if (!page.ok()) return Fail(c, page.status());
  auto ps = svc.ListPurposes();
  if (!ps.ok()) return Fail(c, ps.status());
  SendJson(c.res, 200, Paged(*ps, *page, PurposeJson));
}

void ServerImpl::AddPurpose(Call& c) {
  c.action = "purpose.add";
  auto body = ParseBody(
      c.req,
      R"({"name": "office-entry", "scenario": "verification", "retention_days": 365, "alternatives": ["staff-card"]})");
  if (!body.ok()) return Fail(c, body.status());
  PurposeRecord p;
  auto name = Str(*body, "name", true, "the purpose's name, e.g. office-entry");
  if (!name.ok()) return Fail(c, name.status());
  p.name = c.purpose = *name;
  auto sc_s = Str(*body, "scenario", false);
  if (!sc_s.ok()) return Fail(c, sc_s.status());
  auto sc = ParseScenario(sc_s->empty() ? "verification" : *sc_s);
  if (!sc)
    return Fail(c, Status::InvalidInput("unknown scenario '" + *sc_s +
                                        "'; use verification, identification or analysis"));
  p.scenario = *sc;
  auto days =
      Int(*body, "retention_days", true, "how many days templates are kept, e.g. 365 (REQ S5)");
  if (!days.ok()) return Fail(c, days.status());
  p.retention_days = *days;
  auto alts = StrList(*body, "alternatives");
  if (!alts.ok()) return Fail(c, alts.status());
  p.alternatives = *alts;
  auto mandate = Str(*body, "legal_mandate", false);
  if (!mandate.ok()) return Fail(c, mandate.status());
  p.legal_mandate = *mandate;
  auto live_s = Str(*body, "liveness", false);
  if (!live_s.ok()) return Fail(c, live_s.status());
  auto live = ParseLivenessRequirement(live_s->empty() ? "off" : *live_s);
  if (!live)
    return Fail(c, Status::InvalidInput("liveness '" + *live_s +
                                        "' is not one of off, enrol, verify, both"));
  p.liveness = *live;
  auto basis = Str(*body, "legal_basis", false);
  if (!basis.ok()) return Fail(c, basis.status());
  p.legal_basis = *basis;
  auto justification = Str(*body, "basis_justification", false);
  if (!justification.ok()) return Fail(c, justification.status());
  p.basis_justification = *justification;
  bool device_enrolment = false;
  if (auto it = body->find("device_enrolment"); it != body->end() && !it->is_null()) {
    if (!it->is_boolean())
      return Fail(c, Status::InvalidInput("field \"device_enrolment\" must be true or false (whether "
                                          "device keys may enrol for this purpose; default false)"));
    device_enrolment = it->get<bool>();
  }
  c.audited = true;
  Status st = svc.AddPurpose(p, c.actor);
  if (!st.ok()) {
    c.purpose.clear();  // no alternatives of a purpose that was not made
    return Fail(c, st);
  }
  if (device_enrolment) {
    Status allowed = svc.SetDeviceEnrolment(p.name, true, c.actor);
    if (!allowed.ok()) return Fail(c, allowed);
  }
  auto stored = svc.store().GetPurpose(p.name);
  json pj = PurposeJson(stored.ok() ? *stored : p);
  pj["device_enrolment"] = device_enrolment;
  SendJson(c.res, 201, {{"ok", true}, {"purpose", pj}});
}

void ServerImpl::GetPurpose(Call& c) {
  c.action = "purpose.get";
  c.purpose = c.req.matches[1];
  auto p = svc.store().GetPurpose(c.purpose);
  if (!p.ok()) {
    c.purpose.clear();
    return Fail(c,
                Status::NotFound("purpose '" + std::string(c.req.matches[1]) +
                                 "' does not exist; GET /v1/purposes lists the declared ones"));
  }
  json j = {{"ok", true}, {"purpose", PurposeJson(*p)}};
  auto device_enrolment = svc.DeviceEnrolment(c.purpose);
  j["purpose"]["device_enrolment"] = device_enrolment.ok() && *device_enrolment;
  auto n = svc.LatestNotice(c.purpose);
  j["notice"] = n.ok() ? NoticeJson(*n, false) : json(nullptr);
  SendJson(c.res, 200, j);
}

// The operator's stricter identification threshold (REQ SC2); admin only.
void ServerImpl::SetThreshold(Call& c) {
  c.action = "purpose.threshold";
  c.purpose = c.req.matches[1];
  const char* kHint = R"({"identify": 0.40, "reason": "site A grew past the model's limit"} or {"clear": true, "reason": "..."})";
  auto body = ParseBody(c.req, kHint);
  if (!body.ok()) return Fail(c, body.status());
  auto reason = Str(*body, "reason", true, std::string("why the threshold is set or removed; send ") + kHint);
  if (!reason.ok()) return Fail(c, reason.status());
  const bool clear = body->contains("clear") && (*body)["clear"].is_boolean() && (*body)["clear"].get<bool>();
  const bool has_value = body->contains("identify");
  if (clear == has_value)
    return Fail(c, Status::InvalidInput(std::string("send either \"identify\" (a distance) or \"clear\": true; e.g. ") + kHint));
  if (has_value && !(*body)["identify"].is_number())
    return Fail(c, Status::InvalidInput(std::string("\"identify\" must be a number, e.g. 0.40; send ") + kHint));
  c.audited = true;
  auto r = clear ? svc.ClearIdentifyThreshold(c.purpose, *reason, c.actor)
                 : svc.SetIdentifyThreshold(c.purpose, (*body)["identify"].get<float>(), *reason, c.actor);
  if (!r.ok()) return Fail(c, r.status());
  json j = service::IdentifyThresholdJson(*r);
  j["ok"] = true;
  SendJson(c.res, 200, j);
}

void ServerImpl::PublishNotice(Call& c) {
  c.action = "notice.publish";
  c.purpose = c.req.matches[1];
  auto body = ParseBody(c.req, R"({"text": "Processor: ...\nContact: ...\nPurpose: ..."})");
  if (!body.ok()) return Fail(c, body.status());
  auto text =
      Str(*body, "text", true,
          "the notice text with Processor:, Contact:, Purpose:, Method:, Data kinds:, Storage "
          "period:, Why face:, Rights: lines (REQ N1)");
  if (!text.ok()) return Fail(c, text.status());
  c.audited = true;
  auto n = svc.PublishNotice(c.purpose, *text, c.actor);
  if (!n.ok()) return Fail(c, n.status());
  json j = NoticeJson(*n, false);
  j["ok"] = true;
  SendJson(c.res, 201, j);
}

// The notice in force; ?format=voice (plain sentences for speech) or large-print (HTML) are
// the accessible forms (REQ N2). A device key reads the notices of its own purposes only, so a
// consent kiosk can show what the person agrees to.
void ServerImpl::GetNotice(Call& c) {
  c.action = "notice.get";
  c.purpose = c.req.matches[1];
  const std::string format = c.req.has_param("format") ? c.req.get_param_value("format") : "text";
  if (format != "text" && format != "voice" && format != "large-print")
    return Fail(c, Status::InvalidInput("query parameter format='" + format +
                                        "' is not text, voice or large-print (REQ N2)"));
  if (!DeviceMayAct(c, c.purpose, "")) return;
  auto n = svc.LatestNotice(c.purpose);
  if (!n.ok()) {
    if (n.status().kind() == ErrorKind::kNotFound)
      return Fail(
          c, Status::NotFound("no notice is published for purpose '" + c.purpose +
                              "'; publish one with POST /v1/purposes/" + c.purpose + "/notices"));
    return Fail(c, n.status());
  }
  json j = NoticeJson(*n, true);
  j["ok"] = true;
  j["format"] = format;
  // REQ A3: every form names the non-face ways as plainly as the face method.
  const std::vector<std::string> alts = svc.AlternativesOf(c.purpose);
  j["alternatives"] = alts;
  j["alternatives_statement"] = policy::AlternativesStatement(alts);
  // What a kiosk writes out beside the notice: 1:1 or 1:N, how long "always" lasts at most
  // (REQ C5, S5) and whether the person may enrol there.
  if (auto p = svc.store().GetPurpose(c.purpose); p.ok()) {
    j["scenario"] = ToString(p->scenario);
    j["retention_days"] = p->retention_days;
    auto device_enrolment = svc.DeviceEnrolment(c.purpose);
    j["device_enrolment"] = device_enrolment.ok() && *device_enrolment;
  }
  if (format == "voice")
    j["text"] = policy::NoticeForVoice(n->text, alts);
  else if (format == "large-print")
    j["text"] = policy::NoticeLargePrintHtml(
        n->text, "Notice: " + n->purpose + " (version " + std::to_string(n->version) + ")", alts);
  SendJson(c.res, 200, j);
}

// Records the lawful basis of a purpose (REQ C2, AN4), admins only: a basis other than consent
// needs a notice that states it before the purpose runs again.
void ServerImpl::SetPurposeBasis(Call& c) {
  c.action = "purpose.basis";
  c.purpose = c.req.matches[1];
  auto body = ParseBody(c.req, R"({"legal_basis": "statutory_duty", "basis_justification": "<the law and article>"})");
  if (!body.ok()) return Fail(c, body.status());
  auto basis = Str(*body, "legal_basis", true,
                   "one of consent, statutory_duty, other_law, contract, public_health, news_reporting, "
                   "disclosed_information");
  if (!basis.ok()) return Fail(c, basis.status());
  auto justification = Str(*body, "basis_justification", false);
  if (!justification.ok()) return Fail(c, justification.status());
  c.audited = true;
  Status st = svc.SetPurposeBasis(c.purpose, *basis, *justification, c.actor);
  if (!st.ok()) return Fail(c, st);
  SendJson(c.res, 200, {{"ok", true}, {"purpose", c.purpose}, {"legal_basis", *basis}});
}

// The released statistics of an analysis purpose per calendar window (REQ AN2): ?from= and
// ?to= are days YYYY-MM-DD (China Standard Time, inclusive), by default the last 7 days.
void ServerImpl::AnalysisStatistics(Call& c) {
  c.action = "analyze.statistics";
  c.purpose = c.req.matches[1];
  const int64_t today = service::ChinaDay(static_cast<UnixTime>(std::time(nullptr)));
  int64_t from = today - 7, to = today;
  for (auto [name, day] : {std::pair<const char*, int64_t*>{"from", &from}, {"to", &to}}) {
    if (!c.req.has_param(name)) continue;
    const std::string v = c.req.get_param_value(name);
    if (!service::ParseCivilDate(v, day))
      return Fail(c, Status::InvalidInput(std::string("?") + name + "='" + v +
                                          "' must be a date YYYY-MM-DD, e.g. ?from=2026-12-01&to=2026-12-07"));
  }
  auto r = svc.AnalysisStatistics(c.purpose, service::ChinaDayStart(from), service::ChinaDayStart(to + 1), c.actor);
  if (!r.ok()) return Fail(c, r.status());
  json arr = json::array();
  for (const AnalysisWindowRecord& w : *r) arr.push_back(service::AnalysisWindowJson(w));
  SendJson(c.res, 200, {{"purpose", c.purpose}, {"windows", arr}});
}

// The sensitive inferences of a purpose, those switched off included (REQ AN3).
void ServerImpl::ListInferences(Call& c) {
  c.action = "purpose.inference.list";
  c.purpose = c.req.matches[1];
  auto list = svc.ListInferences(c.purpose);
  if (!list.ok()) return Fail(c, list.status());
  json arr = json::array();
  for (const InferenceRecord& r : *list) arr.push_back(service::InferenceJson(r));
  SendJson(c.res, 200, {{"purpose", c.purpose}, {"inferences", arr}});
}

// Switches a sensitive inference on for an analysis purpose (REQ AN3, F1), admins only.
void ServerImpl::EnableInference(Call& c) {
  c.action = "purpose.inference.on";
  c.purpose = c.req.matches[1];
  const std::string inference = c.req.matches[2];
  auto body = ParseBody(c.req, R"({"use": "driving_safety", "justification": "<why it is necessary>"})");
  if (!body.ok()) return Fail(c, body.status());
  auto use = Str(*body, "use", true, "the use it serves, e.g. driving_safety");
  if (!use.ok()) return Fail(c, use.status());
  auto justification = Str(*body, "justification", true, "why it is necessary for that use");
  if (!justification.ok()) return Fail(c, justification.status());
  c.audited = true;
  Status st = svc.EnableInference(c.purpose, inference, *use, *justification, c.actor);
  if (!st.ok()) return Fail(c, st);
  SendJson(c.res, 200, {{"ok", true}, {"purpose", c.purpose}, {"inference", inference}, {"in_force", true}});
}

void ServerImpl::DisableInference(Call& c) {
  c.action = "purpose.inference.off";
  c.purpose = c.req.matches[1];
  const std::string inference = c.req.matches[2];
  c.audited = true;
  Status st = svc.DisableInference(c.purpose, inference, c.actor);
  if (!st.ok()) return Fail(c, st);
  SendJson(c.res, 200, {{"ok", true}, {"purpose", c.purpose}, {"inference", inference}, {"in_force", false}});
}

}  // namespace facegate::server
