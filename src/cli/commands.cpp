#include "cli/commands.h"
#include "cli/breach_commands.h"
#include "cli/rights_commands.h"
#include "cli/tenant_commands.h"

#include <facegate/service.h>
#include <facegate/tenants.h>

#include "service/json_views.h"
#include "service/liveness_check.h"

#include "nn/model_files.h"
#include "server/server.h"

#include <pthread.h>
#include <cerrno>
#include <csignal>
#include "policy/notice.h"
#include "policy/rules.h"
#include "policy/gate.h"
#include "store/fs_util.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <cmath>
#include <unistd.h>

namespace facegate::cli {

using json = nlohmann::json;

using service::ConsentJson;
using service::FormatTime;
using service::TimingsJson;
using service::QualityJson;
using service::IdentifyThresholdJson;
using service::IdentifyThresholdText;
using service::IdentifyThresholdReport;

namespace {

constexpr int kExitOk = 0, kExitInternal = 1, kExitInput = 2, kExitRefused = 3, kExitNotFound = 4,
              kExitConflict = 5, kExitIntegrity = 6, kExitNoMatch = 10;

int ExitCode(const Status& s) {
  switch (s.kind()) {
    case ErrorKind::kOk: return kExitOk;
    case ErrorKind::kInvalidInput: return kExitInput;
    case ErrorKind::kRefused: return kExitRefused;
    case ErrorKind::kNotFound: return kExitNotFound;
    case ErrorKind::kConflict: return kExitConflict;
    case ErrorKind::kIntegrity: return kExitIntegrity;
    case ErrorKind::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

struct Ctx {
  bool as_json = false;
  std::string home;
  std::string db;
  std::string actor = "cli";
  std::string tenant;  // --tenant: the tenant's home under <home>/tenants/ (REQ S10)
  std::optional<tenants::TenantLease> lease;  // held while a tenant is in use; an end waits for none
  std::unique_ptr<service::Service> svc;
};

// Prints an error (with the rule, citation and alternatives for refusals) and returns its exit code.
int Report(Ctx& ctx, const Status& st, const std::string& purpose = "") {
  std::vector<std::string> alts;
  if (ctx.svc && !purpose.empty()) alts = ctx.svc->AlternativesOf(purpose);
  if (ctx.as_json) {
    json j = {{"ok", false}, {"error", ToString(st.kind())}, {"message", st.message()}};
    if (st.kind() == ErrorKind::kRefused) {
      service::Refusal r = service::DescribeRefusal(st, alts);
      j["requirement"] = r.requirement;
      j["rule"] = r.title;
      j["citation"] = r.citation;
      j["alternatives"] = r.alternatives;
    }
    std::cout << j.dump(2) << "\n";
  } else if (st.kind() == ErrorKind::kRefused) {
    service::Refusal r = service::DescribeRefusal(st, alts);
    std::cerr << "refused (REQ " << r.requirement << ": " << r.title
              << (r.citation.empty() ? "" : "; " + r.citation) << ")\n  "
              << r.message << "\n";
    if (!r.alternatives.empty()) {
      std::cerr << "  alternatives on offer (REQ A1):";
      for (auto& a : r.alternatives) std::cerr << " " << a;
      std::cerr << "\n";
    }
  } else {
    std::cerr << "error (" << ToString(st.kind()) << "): " << st.message() << "\n";
  }
  return ExitCode(st);
}

int Print(Ctx& ctx, const json& j, const std::string& human) {
  if (ctx.as_json)
    std::cout << j.dump(2) << "\n";
  else
    std::cout << human << "\n";
  return kExitOk;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open file " + path + ": check the path");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses "365d", "12h", "30m", "90s" or a plain number of days into seconds.
std::optional<int64_t> ParseDuration(const std::string& s) {
  if (s.empty()) return std::nullopt;
  size_t pos = 0;
  long long n = 0;
  try {
    n = std::stoll(s, &pos);
  } catch (...) {
    return std::nullopt;
  }
  if (n <= 0) return std::nullopt;
  std::string unit = s.substr(pos);
  if (unit.empty() || unit == "d") return n * 86400;
  if (unit == "h") return n * 3600;
  if (unit == "m") return n * 60;
  if (unit == "s") return n;
  return std::nullopt;
}

}  // namespace

int Run(int argc, char** argv) {
  Ctx ctx;
  CLI::App app{
      "facegate: face verification whose every operation passes the compliance core.\n"
      "Data lives in $FACEGATE_HOME (default ./var); models in $FACEGATE_MODELS\n"
      "(default ~/.cache/facegate/models, filled by scripts/install-models.sh).\n"
      "Exit codes: 0 ok, 1 internal error, 2 bad input, 3 refused (a requirement id is named),\n"
      "4 not found, 5 conflict, 6 integrity failure, 10 verify ran and the face did not match."};
  app.require_subcommand(1);
  app.add_flag("--json", ctx.as_json, "machine-readable JSON output");
  app.add_option("--home", ctx.home, "data directory (overrides $FACEGATE_HOME)");
  app.add_option("--actor", ctx.actor,
                 "who runs the command, as written to the audit log (default \"cli\"; e.g. the approver of "
                 "`subject approve`)")
      ->envname("FACEGATE_ACTOR");
  app.add_option("--db", ctx.db, "PostgreSQL conninfo shared by several nodes (overrides $FACEGATE_DB; "
                                 "default: embedded SQLite in the data directory)");
  app.add_option("--tenant", ctx.tenant,
                 "act inside one tenant: its own home <home>/tenants/NAME, database and keys "
                 "(REQ S10; see `tenant --help`, docs/tenants.md)");
  int rc = kExitOk;

  auto open = [&]() -> bool {
    service::Config cfg = service::DefaultConfig();
    if (!ctx.home.empty()) cfg.data_dir = ctx.home;
    if (!ctx.db.empty()) cfg.database = ctx.db;
    // REQ S10: one tenant per process; its home, database and keys only.
    if (!ctx.tenant.empty()) {
      tenants::TenantRegistry reg(cfg);
      auto t = reg.OpenTenant(ctx.tenant);
      if (!t.ok()) {
        rc = Report(ctx, t.status());
        return false;
      }
      if (!ctx.db.empty() && ctx.db != t->first.database) {
        rc = Report(ctx, Status::InvalidInput("--db is not the database recorded for tenant '" + ctx.tenant +
                                              "': a tenant uses only its own (leave --db out)"));
        return false;
      }
      cfg = t->first;
      ctx.lease.emplace(std::move(t->second));
    } else {
      auto lease = tenants::LeaseIfTenantHome(cfg.data_dir);  // --home .../tenants/NAME directly
      if (!lease.ok()) {
        rc = Report(ctx, lease.status());
        return false;
      }
      if (*lease) ctx.lease.emplace(std::move(**lease));
    }
    auto s = service::Service::Open(cfg);
    if (!s.ok()) {
      rc = Report(ctx, s.status());
      return false;
    }
    ctx.svc = std::move(s).value();
    return true;
  };

  // purpose add
  auto* purpose = app.add_subcommand("purpose", "declare and list processing purposes");
  purpose->require_subcommand(1);
  struct {
    std::string name, scenario = "verification", retention, mandate;
    std::vector<std::string> alternatives;
    std::string liveness = "off";
    bool device_enrolment = false;
  } pa;
  auto* padd = purpose->add_subcommand("add", "declare a purpose (REQ A1: needs a non-face alternative)");
  padd->add_option("name", pa.name, "purpose name, e.g. office-entry")->required();
  padd->add_option("--scenario", pa.scenario, "verification | identification | analysis");
  padd->add_option("--retention", pa.retention, "how long templates are kept, e.g. 365d (REQ S5)")
      ->required();
  padd->add_option("--alternative", pa.alternatives, "a non-face method offered, e.g. staff-card (REQ A1)");
  padd->add_option("--legal-mandate", pa.mandate, "legal mandate allowing a face-only flow (REQ A1)");
  padd->add_option("--liveness", pa.liveness,
                   "require a live face (not a photo or screen) at: off | enrol | verify | both "
                   "(default off; docs/liveness.md)");
  padd->add_flag("--device-enrolment", pa.device_enrolment,
                 "let device API keys enrol for this purpose (default: devices verify or identify only)");
  padd->callback([&] {
    if (!open()) return;
    auto sc = ParseScenario(pa.scenario);
    auto ret = ParseDuration(pa.retention);
    if (!sc) { rc = Report(ctx, Status::InvalidInput("unknown scenario '" + pa.scenario + "'; use verification, identification or analysis")); return; }
    if (!ret) { rc = Report(ctx, Status::InvalidInput("retention '" + pa.retention + "' is not a duration; write e.g. 365d")); return; }
    auto live = ParseLivenessRequirement(pa.liveness);
    if (!live) { rc = Report(ctx, Status::InvalidInput("--liveness '" + pa.liveness + "' is not one of off, enrol, verify, both")); return; }
    PurposeRecord p;
    p.name = pa.name;
    p.scenario = *sc;
    p.retention_days = std::max<int64_t>(1, *ret / 86400);
    p.alternatives = pa.alternatives;
    p.legal_mandate = pa.mandate;
    p.liveness = *live;
    Status st = ctx.svc->AddPurpose(p, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st, ""); return; }
    if (pa.device_enrolment) {
      st = ctx.svc->SetDeviceEnrolment(p.name, true, ctx.actor);
      if (!st.ok()) { rc = Report(ctx, st, ""); return; }
    }
    rc = Print(ctx, {{"ok", true}, {"purpose", p.name}, {"scenario", ToString(p.scenario)},
                     {"retention_days", p.retention_days}, {"alternatives", p.alternatives},
                     {"liveness", ToString(p.liveness)}, {"device_enrolment", pa.device_enrolment}},
               "purpose " + p.name + " declared (" + ToString(p.scenario) + ", retention " +
                   std::to_string(p.retention_days) + " days" +
                   (p.liveness == LivenessRequirement::kOff ? std::string()
                                                            : std::string(", liveness ") + ToString(p.liveness)) +
                   ")");
  });
  auto* plist = purpose->add_subcommand("list", "list declared purposes");
  plist->callback([&] {
    if (!open()) return;
    auto ps = ctx.svc->ListPurposes();
    if (!ps.ok()) { rc = Report(ctx, ps.status()); return; }
    json arr = json::array();
    std::string human;
    for (auto& p : *ps) {
      arr.push_back({{"name", p.name}, {"scenario", ToString(p.scenario)}, {"retention_days", p.retention_days},
                     {"alternatives", p.alternatives}, {"liveness", ToString(p.liveness)}});
      human += p.name + "\t" + ToString(p.scenario) + "\t" + std::to_string(p.retention_days) + "d\n";
    }
    rc = Print(ctx, arr, human.empty() ? "no purposes declared" : human.substr(0, human.size() - 1));
  });

  // purpose threshold (REQ SC2: the operator's stricter identification threshold)
  struct {
    std::string name, reason;
    float identify = 0;
    bool clear = false;
  } pt;
  auto* pthr = purpose->add_subcommand(
      "threshold",
      "show or set the operator's stricter identification threshold of a purpose (REQ SC2): only "
      "below the scope rule's threshold for the scope's size; audited with the reason");
  pthr->add_option("name", pt.name, "an identification purpose")->required();
  auto* pthr_set = pthr->add_option("--identify", pt.identify,
                                    "the distance at or below which the nearest member is named, e.g. 0.95");
  auto* pthr_clear = pthr->add_flag("--clear", pt.clear, "remove the operator's threshold (the scope rule applies)");
  pthr_set->excludes(pthr_clear);
  pthr->add_option("--reason", pt.reason, "why it is set or removed (required with --identify or --clear)");
  pthr->footer(
      "Without --identify or --clear: shows the threshold, who set it and why, and the expected\n"
      "stranger false-accept rate at the scope's size. Identify uses the stricter of the operator's\n"
      "and the scope rule's threshold, and serves a scope past the model's size limit while the\n"
      "operator's keeps strangers within 1% (docs/identification.md).");
  pthr->callback([&] {
    if (!open()) return;
    Result<IdentifyThresholdReport> r = Status::Internal("no threshold action");
    if (pthr_set->count() > 0)
      r = ctx.svc->SetIdentifyThreshold(pt.name, pt.identify, pt.reason, ctx.actor);
    else if (pt.clear)
      r = ctx.svc->ClearIdentifyThreshold(pt.name, pt.reason, ctx.actor);
    else
      r = ctx.svc->GetIdentifyThreshold(pt.name);
    if (!r.ok()) { rc = Report(ctx, r.status(), ""); return; }
    json j = IdentifyThresholdJson(*r);
    j["ok"] = true;
    rc = Print(ctx, j, IdentifyThresholdText(*r));
  });

  // notice publish / show
  auto* notice = app.add_subcommand("notice", "publish and show notices (REQ N1)");
  notice->require_subcommand(1);
  std::string n_purpose, n_file;
  auto* npub = notice->add_subcommand("publish", "publish a new notice version from a text/markdown file");
  npub->add_option("purpose", n_purpose)->required();
  npub->add_option("file", n_file, "notice text with Processor:, Contact:, Purpose:, Method:, Data kinds:, "
                                   "Storage period:, Why face:, Rights: lines")->required();
  npub->callback([&] {
    if (!open()) return;
    auto text = ReadFile(n_file);
    if (!text.ok()) { rc = Report(ctx, text.status()); return; }
    auto n = ctx.svc->PublishNotice(n_purpose, *text, ctx.actor);
    if (!n.ok()) { rc = Report(ctx, n.status(), n_purpose); return; }
    rc = Print(ctx, {{"ok", true}, {"notice_id", n->id}, {"purpose", n->purpose}, {"version", n->version}, {"sha256", n->sha256}},
               "notice " + std::to_string(n->id) + " published for " + n->purpose + " (version " +
                   std::to_string(n->version) + ", sha256 " + n->sha256.substr(0, 16) + "...)");
  });
  std::string n_format = "text";
  auto* nshow = notice->add_subcommand("show", "print the notice in force for a purpose");
  nshow->add_option("purpose", n_purpose)->required();
  nshow->add_option("--format", n_format, "text | voice (plain sentences for speech) | large-print (HTML); REQ N2")
      ->check(CLI::IsMember({"text", "voice", "large-print"}));
  nshow->callback([&] {
    if (!open()) return;
    auto n = ctx.svc->LatestNotice(n_purpose);
    if (!n.ok()) { rc = Report(ctx, n.status(), n_purpose); return; }
    // REQ A3: every form names the non-face ways as plainly as the face method.
    const std::vector<std::string> alts = ctx.svc->AlternativesOf(n->purpose);
    const std::string statement = policy::AlternativesStatement(alts);
    std::string body = n_format == "voice" ? policy::NoticeForVoice(n->text, alts)
                       : n_format == "large-print"
                           ? policy::NoticeLargePrintHtml(n->text, "Notice: " + n->purpose + " (version " +
                                                                       std::to_string(n->version) + ")", alts)
                           : n->text;
    rc = Print(ctx, {{"notice_id", n->id}, {"purpose", n->purpose}, {"version", n->version}, {"sha256", n->sha256},
                     {"format", n_format}, {"text", body}, {"alternatives", alts},
                     {"alternatives_statement", statement}},
               n_format == "text" && !statement.empty() ? body + "\n" + statement : body);
  });

  // consent give / withdraw / list
  auto* consent = app.add_subcommand("consent", "give, withdraw and list consents (REQ C1-C5)");
  consent->require_subcommand(1);
  service::Service::ConsentRequest cr;
  std::string c_option = "once", c_method = "click", c_valid;
  auto* cgive = consent->add_subcommand("give", "record a separate consent for one purpose");
  cgive->add_option("subject", cr.subject, "pseudonymous subject id")->required();
  cgive->add_option("purpose", cr.purpose)->required();
  cgive->add_option("--notice", cr.notice_id, "id of the notice shown and acknowledged (REQ N1)")->required();
  cgive->add_option("--option", c_option, "once | while_in_use | always (REQ C5)");
  cgive->add_option("--method", c_method, "click | written | guardian (REQ C2)");
  cgive->add_option("--evidence", cr.evidence, "written: signer and form hash; guardian: who and relation");
  cgive->add_option("--session", cr.session, "session the consent belongs to (while_in_use)");
  cgive->add_option("--valid", c_valid, "validity, e.g. 30d (default: once/while_in_use 1d, always = retention)");
  std::string c_kind = "processing";
  cgive->add_option("--kind", c_kind,
                    "processing (face processing for the purpose, default) | disclosure (handing the data "
                    "to --to RECIPIENT, REQ C8) | import (a template from a --source photo, REQ P1)")
      ->check(CLI::IsMember({"processing", "disclosure", "import"}));
  cgive->add_option("--to", cr.recipient, "disclosure: the one processor the data may go to (REQ C8)");
  cgive->add_option("--source", cr.source, "import: public-photo | profile-picture (REQ P1)");
  cgive->add_option("--guardian", cr.guardian, "guardian consent: the guardian's identity (REQ M1)");
  cgive->add_option("--relation", cr.guardian_relation, "guardian consent: relation to the subject, e.g. mother (REQ M1)");
  cgive->callback([&] {
    if (!open()) return;
    auto o = ParseConsentOption(c_option);
    auto m = ParseConsentMethod(c_method);
    if (!o) { rc = Report(ctx, Status::InvalidInput("unknown option '" + c_option + "'; use once, while_in_use or always")); return; }
    if (!m) { rc = Report(ctx, Status::InvalidInput("unknown method '" + c_method + "'; use click, written or guardian")); return; }
    cr.option = *o;
    cr.method = *m;
    cr.kind = ParseConsentKind(c_kind).value_or(ConsentKind::kProcessing);
    if (!c_valid.empty()) {
      auto v = ParseDuration(c_valid);
      if (!v) { rc = Report(ctx, Status::InvalidInput("validity '" + c_valid + "' is not a duration; write e.g. 30d")); return; }
      cr.valid_seconds = *v;
    }
    auto c = ctx.svc->GiveConsent(cr, ctx.actor);
    if (!c.ok()) { rc = Report(ctx, c.status(), cr.purpose); return; }
    rc = Print(ctx, json{{"ok", true}, {"consent", ConsentJson(*c)}},
               "consent " + std::to_string(c->id) + " recorded: " + c->subject + " / " + c->purpose + ", " +
                   ToString(c->option) + " by " + ToString(c->method) + ", expires " + FormatTime(c->expires_at));
  });
  std::string w_subject, w_purpose;
  auto* cw = consent->add_subcommand("withdraw", "withdraw: templates deleted, key destroyed (REQ C4, S7)");
  cw->add_option("subject", w_subject)->required();
  cw->add_option("purpose", w_purpose)->required();
  cw->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->WithdrawConsent(w_subject, w_purpose, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), w_purpose); return; }
    rc = Print(ctx, {{"ok", true}, {"consents_withdrawn", r->consents_withdrawn}, {"templates_deleted", r->templates_deleted}, {"key_destroyed", r->key_destroyed}},
               "withdrawn: " + std::to_string(r->consents_withdrawn) + " consent(s), " +
                   std::to_string(r->templates_deleted) + " template(s) deleted" +
                   (r->key_destroyed ? ", subject key destroyed" : ""));
  });
  int64_t receipt_id = 0;
  auto* crc = consent->add_subcommand("receipt", "the consent receipt for the person (Kantara CR / ISO/IEC 27560 fields)");
  crc->add_option("consent_id", receipt_id)->required();
  crc->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ConsentReceipt(receipt_id, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    std::cout << *r << "\n";
    rc = kExitOk;
  });
  auto* cl = consent->add_subcommand("list", "list a subject's consents for a purpose");
  cl->add_option("subject", w_subject)->required();
  cl->add_option("purpose", w_purpose)->required();
  cl->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ListConsents(w_subject, w_purpose, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), w_purpose); return; }
    json arr = json::array();
    std::string human;
    for (auto& c : *r) {
      arr.push_back(ConsentJson(c));
      human += std::to_string(c.id) + "\t" + ToString(c.option) + "\t" + ToString(c.method) + "\t" +
               (c.withdrawn_at ? "withdrawn" : (c.used_at ? "used" : "given")) + "\texpires " +
               FormatTime(c.expires_at) + "\n";
    }
    rc = Print(ctx, arr, human.empty() ? "no consents" : human.substr(0, human.size() - 1));
  });

  // enrol / verify
  std::string e_subject, e_purpose, e_photo, e_session;
  bool timings = false;
  auto* enrol = app.add_subcommand("enrol", "enrol the one face in a photo (needs consent; REQ C1)");
  enrol->add_option("subject", e_subject)->required();
  enrol->add_option("purpose", e_purpose)->required();
  enrol->add_option("photo", e_photo, "JPEG or PNG")->required();
  enrol->add_option("--session", e_session, "session for while_in_use consents");
  enrol->add_flag("--timings", timings, "include per-stage timings");
  std::string e_source;
  enrol->add_option("--source", e_source,
                    "the photo is imported, not captured: public-photo | profile-picture; needs the "
                    "person's separate import consent naming that source (REQ P1)")
      ->check(CLI::IsMember({"public-photo", "profile-picture"}));
  enrol->callback([&] {
    if (!open()) return;
    auto bytes = ReadFile(e_photo);
    if (!bytes.ok()) { rc = Report(ctx, bytes.status()); return; }
    auto r = e_source.empty() ? ctx.svc->Enrol(e_subject, e_purpose, *bytes, e_session, ctx.actor)
                              : ctx.svc->EnrolImported(e_subject, e_purpose, *bytes, e_source, e_session, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), e_purpose); return; }
    json j = {{"ok", true}, {"template_id", r->template_id}, {"consent_id", r->consent_id}, {"model", r->model},
              {"expires_at", FormatTime(r->expires_at)}};
    if (timings) j["timings"] = TimingsJson(r->timings);
    if (r->liveness) j["liveness"] = service::LivenessJson(*r->liveness);
    j["quality"] = QualityJson(r->quality);
    std::string q = std::string("\nquality: ") + vision::ToString(r->quality.overall);
    for (auto& a : r->quality.advice) q += "\n  " + a;
    rc = Print(ctx, j, "enrolled " + e_subject + " for " + e_purpose + " (template " + std::to_string(r->template_id) +
                           ", sealed; expires " + FormatTime(r->expires_at) + ")" + q);
  });
  auto* verify = app.add_subcommand("verify", "is the face in the photo the enrolled subject? (REQ SC1)");
  verify->add_option("subject", e_subject)->required();
  verify->add_option("purpose", e_purpose)->required();
  verify->add_option("photo", e_photo, "JPEG or PNG")->required();
  verify->add_option("--session", e_session, "session for while_in_use consents");
  verify->add_flag("--timings", timings, "include per-stage timings");
  verify->callback([&] {
    if (!open()) return;
    auto bytes = ReadFile(e_photo);
    if (!bytes.ok()) { rc = Report(ctx, bytes.status()); return; }
    auto r = ctx.svc->Verify(e_subject, e_purpose, *bytes, e_session, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), e_purpose); return; }
    json j = {{"ok", true}, {"match", r->match}, {"distance", r->distance}, {"threshold", r->threshold},
              {"model", r->model}, {"consent_id", r->consent_id}, {"alternatives", r->alternatives}};
    if (timings) j["timings"] = TimingsJson(r->timings);
    if (r->liveness) j["liveness"] = service::LivenessJson(*r->liveness);
    j["quality"] = QualityJson(r->quality);
    std::ostringstream h;
    h << (r->match ? "MATCH" : "NO MATCH") << ": distance " << std::fixed << std::setprecision(4) << r->distance
      << (r->match ? " <= " : " > ") << "threshold " << r->threshold << " (" << r->model << ")";
    if (r->liveness)
      h << "\nliveness " << vision::ToString(r->liveness->verdict) << " (anti-spoof " << r->liveness->antispoof
        << ", liveness " << r->liveness->liveness << ")";
    h << "\nprobe quality: " << vision::ToString(r->quality.overall);
    for (auto& a : r->quality.advice) h << "\n  " << a;
    if (!r->alternatives.empty()) {
      h << "\nalternatives on offer:";
      for (auto& a : r->alternatives) h << " " << a;
    }
    Print(ctx, j, h.str());
    rc = r->match ? kExitOk : kExitNoMatch;
  });

  // identify (REQ SC2, D3)
  std::string i_purpose, i_photo;
  auto* identify = app.add_subcommand("identify", "who, among the members of PURPOSE's scope, is in the photo? (REQ SC2)");
  identify->add_option("purpose", i_purpose, "an identification purpose (the scope)")->required();
  identify->add_option("photo", i_photo, "JPEG or PNG")->required();
  identify->add_flag("--timings", timings, "include per-stage timings");
  identify->callback([&] {
    if (!open()) return;
    auto bytes = ReadFile(i_photo);
    if (!bytes.ok()) { rc = Report(ctx, bytes.status()); return; }
    // Loading a large scope from the sealed store takes a while: show progress on a terminal.
    if (!ctx.as_json && ::isatty(2))
      ctx.svc->SetScopeLoadProgress([](const std::string& scope, size_t done, size_t total) {
        if (total < 2000) return;
        std::cerr << "\rloading scope " << scope << ": " << done << "/" << total << (done == total ? "\n" : "")
                  << std::flush;
      });
    auto r = ctx.svc->Identify(i_purpose, *bytes, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), i_purpose); return; }
    json j = {{"ok", true}, {"identified", r->identified},
              {"subject", r->identified ? json(r->subject) : json(nullptr)},
              {"distance", std::isfinite(r->distance) ? json(r->distance) : json(nullptr)},
              {"threshold", r->threshold}, {"scope_size", r->scope_size}, {"scope_templates", r->scope_templates},
              {"stranger_accept_rate", r->stranger_accept_rate}, {"genuine_accept_rate", r->genuine_accept_rate},
              {"max_scope_size", r->max_scope_size}, {"model", r->model}, {"alternatives", r->alternatives},
              {"operator_threshold", r->operator_threshold}};
    if (r->identified) j["consent_id"] = r->consent_id;
    if (!r->warning.empty()) j["warning"] = r->warning;
    if (timings) j["timings"] = TimingsJson(r->timings);
    std::ostringstream h;
    h << std::fixed << std::setprecision(4);
    if (r->identified)
      h << "IDENTIFIED " << r->subject << ": distance " << r->distance << " <= threshold " << r->threshold;
    else
      h << "UNKNOWN: nobody in scope " << i_purpose << " within threshold " << r->threshold
        << " (the probe was discarded)";
    h << "\nscope: " << r->scope_size << " members; expected stranger false-accept rate " << std::setprecision(2)
      << 100 * r->stranger_accept_rate << "%, same-person match rate " << 100 * r->genuine_accept_rate
      << "%; refused past " << r->max_scope_size << " members";
    if (r->operator_threshold) h << "\nthreshold: the operator's (facegate purpose threshold " << i_purpose << ")";
    if (!r->warning.empty()) h << "\nwarning: " << r->warning;
    if (!r->alternatives.empty()) {
      h << "\nalternatives on offer:";
      for (auto& a : r->alternatives) h << " " << a;
    }
    Print(ctx, j, h.str());
    rc = r->identified ? kExitOk : kExitNoMatch;
  });

  // audit verify / list
  auto* audit = app.add_subcommand("audit", "the tamper-evident audit log (REQ S6)");
  audit->require_subcommand(1);
  auto* av = audit->add_subcommand("verify", "recompute the hash chain; name the first broken link");
  av->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->VerifyAudit();
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json j = {{"ok", r->intact}, {"intact", r->intact}, {"events", r->events},
              {"checkpoints", r->checkpoints}, {"anchored_seq", r->anchored_seq}};
    if (!r->intact) {
      j["first_broken_seq"] = r->first_broken_seq;
      j["reason"] = r->reason;
    }
    const std::string anchored =
        r->checkpoints ? ", " + std::to_string(r->checkpoints) + " signed checkpoint(s) up to event " +
                             std::to_string(r->anchored_seq) + " agree"
                       : ", no signed checkpoint yet (facegate audit checkpoint)";
    Print(ctx, j, r->intact ? "audit chain intact (" + std::to_string(r->events) + " events" + anchored + ")"
                            : "audit chain BROKEN at event " + std::to_string(r->first_broken_seq) + ": " + r->reason);
    rc = r->intact ? kExitOk : kExitIntegrity;
  });
  auto* acp = audit->add_subcommand(
      "checkpoint",
      "append a signed checkpoint of the chain's head to audit-checkpoints.jsonl beside the master key; "
      "`audit verify` then detects a rewritten chain or a cut tail (serve makes them by itself)");
  acp->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->CheckpointAudit();
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"seq", r->seq}, {"hash", r->hash}, {"written", r->written},
                     {"public_key", ctx.svc->AuditSigningPublicKey()}},
               r->seq == 0 ? "the audit log is empty: nothing to anchor"
                           : std::string(r->written ? "checkpoint written" : "the newest checkpoint already holds the head") +
                                 ": event " + std::to_string(r->seq) + ", hash " + r->hash);
  });
  int64_t a_after = 0, a_limit = 50;
  auto* al = audit->add_subcommand("list", "print audit events");
  al->add_option("--after", a_after, "only events after this sequence number");
  al->add_option("--limit", a_limit, "at most this many events");
  al->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ListAudit(a_after, a_limit);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json arr = json::array();
    std::string human;
    for (auto& e : *r) {
      arr.push_back({{"seq", e.seq}, {"at", FormatTime(e.at)}, {"actor", e.actor}, {"action", e.action},
                     {"subject", e.subject}, {"purpose", e.purpose}, {"outcome", e.outcome},
                     {"detail", json::parse(e.detail, nullptr, false)}, {"hash", e.hash}});
      human += std::to_string(e.seq) + "\t" + FormatTime(e.at) + "\t" + e.actor + "\t" + e.action + "\t" +
               e.subject + "\t" + e.purpose + "\t" + e.outcome + "\n";
    }
    rc = Print(ctx, arr, human.empty() ? "no events" : human.substr(0, human.size() - 1));
  });

  int am_year = 0;
  auto* am = audit->add_subcommand("minors", "yearly export of every audit event about a child under 14 (REQ M3)");
  am->add_option("--year", am_year, "the calendar year (UTC), e.g. 2026")->required();
  am->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->MinorsAudit(am_year, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json events = json::array();
    std::string human = "children's data, " + std::to_string(r->year) + ": " + std::to_string(r->events.size()) +
                        " event(s) about " + std::to_string(r->subjects.size()) + " child(ren) of " +
                        std::to_string(r->events_scanned) + " in the year; audit chain " +
                        (r->chain_intact ? "intact" : "BROKEN") + "\n";
    for (auto& e : r->events) {
      events.push_back({{"seq", e.seq}, {"at", FormatTime(e.at)}, {"actor", e.actor}, {"action", e.action},
                        {"subject", e.subject}, {"purpose", e.purpose}, {"outcome", e.outcome},
                        {"detail", json::parse(e.detail, nullptr, false)}, {"hash", e.hash}});
      human += std::to_string(e.seq) + "\t" + FormatTime(e.at) + "\t" + e.actor + "\t" + e.action + "\t" +
               e.subject + "\t" + e.purpose + "\t" + e.outcome + "\n";
    }
    json by_action = json::object();
    for (auto& [a, n] : r->by_action) by_action[a] = n;
    rc = Print(ctx, {{"ok", true}, {"year", r->year}, {"events_in_year", r->events_scanned},
                     {"subjects", r->subjects}, {"by_action", by_action}, {"chain_intact", r->chain_intact},
                     {"events", events}},
               human.substr(0, human.size() - 1));
  });

  // analyze (photos, a video file or a camera; counts or drowsiness)
  std::string an_purpose;
  std::vector<std::string> an_paths;
  int an_k = 5;
  int an_camera = -1;
  std::string an_window = "60s", an_duration;
  double an_fps = -1;
  bool an_drowsy = false;
  auto* analyze = app.add_subcommand(
      "analyze",
      "counts by age band, gender and expression of photos, a video or a camera; no identity "
      "(REQ SC3, AN1, AN2); --drowsiness: the driver-drowsiness monitor over a video (REQ AN3)");
  analyze->add_option("purpose", an_purpose, "a purpose declared with --scenario analysis")->required();
  analyze->add_option("inputs", an_paths,
                      "photos or folders of photos (JPEG/PNG), or one video file (.mp4 .avi .mkv .mov "
                      ".webm .m4v; read through OpenCV/FFmpeg, never written)");
  analyze->add_option("--k", an_k, "groups of fewer than k faces (video: k people) are suppressed (REQ AN2)");
  analyze->add_option("--camera", an_camera, "analyse camera N (/dev/videoN) instead of files; Ctrl-C stops");
  analyze->add_option("--window", an_window,
                      "video: counts per window of this much video time (default 60s; s, m or h); "
                      "--drowsiness: the PERCLOS window");
  analyze->add_option("--fps", an_fps,
                      "video: frames analysed per second of video (default 2 for counts, every frame "
                      "for --drowsiness; 0: every frame)");
  analyze->add_option("--duration", an_duration, "video: stop after this much video time (e.g. 90s, 10m)");
  analyze->add_flag("--drowsiness", an_drowsy,
                    "video: blinks, PERCLOS, yawns and a drowsiness level with its reason; prints an "
                    "ALERT line each time the level rises (docs/drowsiness.md)");
  analyze->callback([&] {
    auto lower_ext = [](const std::string& p) {
      std::string ext = std::filesystem::path(p).extension().string();
      for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return ext;
    };
    auto is_video = [&](const std::string& p) {
      const std::string e = lower_ext(p);
      return e == ".mp4" || e == ".avi" || e == ".mkv" || e == ".mov" || e == ".webm" || e == ".m4v";
    };
    const bool video_mode = an_camera >= 0 || (an_paths.size() == 1 && is_video(an_paths[0]));
    if (!video_mode) {
      if (an_paths.empty()) {
        rc = Report(ctx, Status::InvalidInput("give photos, a folder, a video file or --camera N"));
        return;
      }
      for (const std::string& p : an_paths)
        if (is_video(p)) {
          rc = Report(ctx, Status::InvalidInput("analyse one video file at a time, without photos: " + p));
          return;
        }
      if (an_drowsy) {
        rc = Report(ctx, Status::InvalidInput("--drowsiness needs a video file or --camera N, not photos"));
        return;
      }
      if (an_window != "60s" || an_fps >= 0 || !an_duration.empty()) {
        rc = Report(ctx, Status::InvalidInput("--window, --fps and --duration apply to a video file or a camera, "
                                              "not to photos; drop them or give one video"));
        return;
      }
    }
    if (an_camera >= 0 && !an_paths.empty()) {
      rc = Report(ctx, Status::InvalidInput("give either --camera N or a video file, not both"));
      return;
    }
    if (!open()) return;
    if (video_mode) {
      service::VideoInput in;
      in.camera = an_camera;
      if (an_camera < 0) in.file = an_paths[0];
      auto window = ParseDuration(an_window);
      if (!window || std::isdigit(static_cast<unsigned char>(an_window.back()))) {
        rc = Report(ctx, Status::InvalidInput("--window '" + an_window + "' is not a duration: use e.g. 60s, 5m or 1h"));
        return;
      }
      if (!an_duration.empty()) {
        auto d = ParseDuration(an_duration);
        if (!d || std::isdigit(static_cast<unsigned char>(an_duration.back()))) {
          rc = Report(ctx, Status::InvalidInput("--duration '" + an_duration + "' is not a duration: use e.g. 90s or 10m"));
          return;
        }
        in.max_ms = *d * 1000;
      }
      // Ctrl-C ends a camera run cleanly: the last window is still counted and audited.
      static std::atomic<bool> stop_requested{false};
      std::function<bool()> stop;
      if (an_camera >= 0) {
        std::signal(SIGINT, [](int) { stop_requested = true; });
        stop = [] { return stop_requested.load(); };
      }
      auto secs = [](int64_t ms) {
        std::ostringstream o;
        o << std::fixed << std::setprecision(1) << ms / 1000.0 << " s";
        return o.str();
      };
      if (an_drowsy) {
        service::DrowsinessOptions o;
        o.window_ms = *window * 1000;
        o.min_observed_ms = std::min<int64_t>(o.min_observed_ms, o.window_ms);
        o.sample_fps = an_fps < 0 ? 0 : an_fps;
        auto on_alert = [&](const service::DrowsinessAlert& a) {
          if (!ctx.as_json)
            std::cout << "ALERT at " << secs(a.t_ms) << ": drowsiness " << a.level << " - " << a.reason
                      << std::endl;
        };
        auto r = ctx.svc->Drowsiness(an_purpose, in, o, ctx.actor, on_alert, stop);
        if (!r.ok()) { rc = Report(ctx, r.status(), an_purpose); return; }
        json alerts = json::array();
        for (const auto& a : r->alerts) alerts.push_back({{"t_ms", a.t_ms}, {"level", a.level}, {"reason", a.reason}});
        json j = {{"ok", true}, {"frames", r->frames}, {"frames_without_face", r->frames_without_face},
                  {"duration_ms", r->duration_ms}, {"blinks", r->blinks}, {"long_closures", r->long_closures},
                  {"yawns", r->yawns}, {"perclos", r->perclos ? json(*r->perclos) : json(nullptr)},
                  {"level", r->level}, {"reason", r->reason}, {"max_level", r->max_level}, {"alerts", alerts}};
        std::ostringstream h;
        h << r->frames << " frame(s) over " << secs(r->duration_ms) << " (" << r->frames_without_face
          << " without a face); blinks " << r->blinks << ", long closures " << r->long_closures << ", yawns "
          << r->yawns << ", PERCLOS ";
        if (r->perclos)
          h << std::fixed << std::setprecision(1) << 100 * *r->perclos << "%";
        else
          h << "n/a (too little of the eyes seen)";
        h << "\nlevel: " << r->level << " (" << r->reason << "); highest: " << r->max_level << ", "
          << r->alerts.size() << " alert(s)";
        rc = Print(ctx, j, h.str());
        return;
      }
      service::VideoAnalyzeOptions o;
      o.k = an_k;
      o.window_ms = *window * 1000;
      o.sample_fps = an_fps < 0 ? 2 : an_fps;
      auto window_text = [&](const service::VideoWindow& w) {
        std::ostringstream h;
        h << "[" << secs(w.start_ms) << " - " << secs(w.end_ms) << "] " << w.frames << " frame(s), "
          << (w.people >= 0 ? "up to " + std::to_string(w.people) : std::string("fewer than k"))
          << " face(s) at once";
        for (const auto& c : w.counts)
          h << "\n  " << c.group << "\t" << c.people << " at once, " << std::fixed << std::setprecision(2)
            << c.mean << " per frame";
        for (const auto& name : w.suppressed) h << "\n  " << name << "\t<" << an_k;
        return h.str();
      };
      auto on_window = [&](const service::VideoWindow& w) {
        if (!ctx.as_json) std::cout << window_text(w) << std::endl;
      };
      auto r = ctx.svc->AnalyzeVideo(an_purpose, in, o, ctx.actor, on_window, stop);
      if (!r.ok()) { rc = Report(ctx, r.status(), an_purpose); return; }
      json windows = json::array();
      for (const auto& w : r->windows) {
        json counts = json::object();
        for (const auto& c : w.counts) counts[c.group] = {{"people", c.people}, {"mean", c.mean}};
        windows.push_back({{"start_ms", w.start_ms}, {"end_ms", w.end_ms}, {"frames", w.frames},
                           {"frames_with_faces", w.frames_with_faces},
                           {"people", w.people >= 0 ? json(w.people) : json(nullptr)}, {"counts", counts},
                           {"suppressed", w.suppressed}});
      }
      json j = {{"ok", true}, {"k", r->k}, {"window_ms", r->window_ms}, {"sample_fps", r->sample_fps},
                {"stream_fps", r->stream_fps}, {"frames_read", r->frames_read},
                {"frames_sampled", r->frames_sampled}, {"duration_ms", r->duration_ms}, {"windows", windows}};
      std::ostringstream h;
      h << r->frames_sampled << " frame(s) analysed of " << r->frames_read << " over " << secs(r->duration_ms)
        << " (" << (r->sample_fps > 0 ? std::to_string(r->sample_fps).substr(0, 4) + " per second" : std::string("every frame"))
        << "), " << r->windows.size() << " window(s); groups under k=" << r->k
        << " people suppressed (REQ AN2); \"at once\": most faces in one frame, a lower bound on the people";
      rc = Print(ctx, j, h.str());
      return;
    }
    std::vector<std::string> files;
    for (const std::string& p : an_paths) {
      std::error_code ec;
      if (std::filesystem::is_directory(p, ec)) {
        for (const auto& e : std::filesystem::recursive_directory_iterator(p, ec)) {
          std::string ext = e.path().extension().string();
          for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png")) files.push_back(e.path().string());
        }
      } else {
        files.push_back(p);
      }
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> images;
    for (const std::string& f : files) {
      auto b = ReadFile(f);
      if (!b.ok()) { rc = Report(ctx, b.status()); return; }
      images.push_back(std::move(b).value());
    }
    auto r = ctx.svc->Analyze(an_purpose, images, an_k, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), an_purpose); return; }
    json counts = json::object();
    std::ostringstream h;
    h << r->images << " photo(s), " << (r->faces > 0 ? std::to_string(r->faces) : std::string("fewer than k"))
      << " face(s); groups under k=" << r->k << " suppressed (REQ AN2)";
    for (auto& [name, n] : r->counts) {
      counts[name] = n;
      h << "\n  " << name << "\t" << n;
    }
    for (auto& name : r->suppressed) h << "\n  " << name << "\t<" << r->k;
    rc = Print(ctx, {{"ok", true}, {"images", r->images}, {"images_unreadable", r->images_unreadable},
                     {"faces", r->faces > 0 ? json(r->faces) : json(nullptr)}, {"k", r->k}, {"counts", counts},
                     {"suppressed", r->suppressed}},
               h.str());
  });

  // retention sweep
  auto* retention = app.add_subcommand("retention", "retention of templates (REQ S5, S7)");
  retention->require_subcommand(1);
  auto* sweep = retention->add_subcommand("sweep", "delete every expired template and shred keys left unused");
  sweep->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->SweepRetention(ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"templates_deleted", r->templates_deleted}, {"keys_destroyed", r->keys_destroyed},
                     {"subjects", r->subjects}},
               "retention sweep: " + std::to_string(r->templates_deleted) + " expired template(s) deleted, " +
                   std::to_string(r->keys_destroyed) + " subject key(s) destroyed");
  });

  // alternative choose / complete; consent refuse / may-ask; consent give --prompted
  // (REQ A2, C6, C7, D7; docs/compliance-alternatives.md)
  std::string alt_subject, alt_purpose, alt_method, alt_session, alt_outcome;
  int64_t alt_id = 0;
  auto* alternative = app.add_subcommand("alternative", "the non-face path: a face-free transaction (REQ A2, C6)");
  alternative->require_subcommand(1);
  auto* achoose = alternative->add_subcommand("choose", "the person chooses a non-face method; face is refused (A2) until completed");
  achoose->add_option("subject", alt_subject, "pseudonymous subject id")->required();
  achoose->add_option("purpose", alt_purpose)->required();
  achoose->add_option("method", alt_method, "one of the purpose's declared alternatives")->required();
  achoose->add_option("--session", alt_session, "device/interaction session the choice covers (REQ D7)");
  achoose->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ChooseAlternative(alt_subject, alt_purpose, alt_method, alt_session, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), alt_purpose); return; }
    rc = Print(ctx, {{"ok", true}, {"transaction", *r}, {"subject", alt_subject}, {"purpose", alt_purpose},
                     {"method", alt_method}, {"session", alt_session}},
               "alternative transaction " + std::to_string(*r) + " opened: " + alt_subject + " / " + alt_purpose +
                   " by " + alt_method + "; no face processing until it is completed");
  });
  auto* acomplete = alternative->add_subcommand("complete", "record the outcome of the alternative check (REQ C6)");
  acomplete->add_option("id", alt_id, "transaction id from `alternative choose`")->required();
  acomplete->add_option("outcome", alt_outcome, "granted | denied")->required();
  acomplete->callback([&] {
    if (!open()) return;
    Status st = ctx.svc->CompleteAlternative(alt_id, alt_outcome, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st); return; }
    rc = Print(ctx, {{"ok", true}, {"transaction", alt_id}, {"outcome", alt_outcome}},
               "alternative transaction " + std::to_string(alt_id) + " completed: " + alt_outcome);
  });
  // alternative connect / connectors / register / token / present (REQ A4)
  std::string altc_kind = "staff", altc_config = "{}";
  int64_t altc_valid = 300;
  // A secret or credential is read from standard input, one line, so it never appears in the
  // process list or the shell history.
  auto read_stdin_line = [](const std::string& what) -> Result<std::string> {
    std::string line;
    if (!std::getline(std::cin, line))
      return Status::InvalidInput("no " + what + " on standard input: pipe it in, e.g. `echo 1234 | facegate ...`");
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.pop_back();
    return line;
  };
  auto* aconnect = alternative->add_subcommand(
      "connect", "bind a declared alternative to a connector that checks it: staff, pin, card, qr or http (REQ A4)");
  aconnect->add_option("purpose", alt_purpose)->required();
  aconnect->add_option("method", alt_method, "one of the purpose's declared alternatives")->required();
  aconnect->add_option("--kind", altc_kind, "staff | pin | card | qr | http")->required();
  aconnect->add_option("--config", altc_config,
                       "JSON settings; http: {\"url\": \"https://id.example/verify\", \"timeout_ms\": 3000}");
  aconnect->callback([&] {
    if (!open()) return;
    AlternativeConnectorRecord c;
    c.purpose = alt_purpose;
    c.method = alt_method;
    c.kind = altc_kind;
    c.config = altc_config;
    Status st = ctx.svc->ConnectAlternative(c, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st, alt_purpose); return; }
    rc = Print(ctx, {{"ok", true}, {"purpose", alt_purpose}, {"method", alt_method}, {"kind", altc_kind}},
               "alternative " + alt_method + " of " + alt_purpose + " is checked by the " + altc_kind + " connector");
  });
  auto* aconnectors = alternative->add_subcommand("connectors", "each declared alternative of a purpose and its connector");
  aconnectors->add_option("purpose", alt_purpose)->required();
  aconnectors->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->AlternativeConnectors(alt_purpose);
    if (!r.ok()) { rc = Report(ctx, r.status(), alt_purpose); return; }
    json arr = json::array();
    std::string human;
    for (auto& c : *r) {
      arr.push_back({{"method", c.method}, {"kind", c.kind}, {"config", json::parse(c.config, nullptr, false)},
                     {"set_by", c.actor}, {"set_at", c.set_at}});
      human += c.method + "\t" + c.kind + "\t" + c.config + "\n";
    }
    rc = Print(ctx, arr, human.empty() ? "no alternatives declared" : human.substr(0, human.size() - 1));
  });
  auto* aregister = alternative->add_subcommand(
      "register", "register the person's PIN or card number (read from standard input) for a pin/card alternative");
  aregister->add_option("subject", alt_subject, "pseudonymous subject id")->required();
  aregister->add_option("purpose", alt_purpose)->required();
  aregister->add_option("method", alt_method)->required();
  aregister->callback([&] {
    auto secret = read_stdin_line("PIN or card number");
    if (!secret.ok()) { rc = Report(ctx, secret.status()); return; }
    if (!open()) return;
    Status st = ctx.svc->RegisterAlternativeCredential(alt_subject, alt_purpose, alt_method, *secret, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st, alt_purpose); return; }
    rc = Print(ctx, {{"ok", true}, {"subject", alt_subject}, {"purpose", alt_purpose}, {"method", alt_method}},
               "registered for " + alt_subject + " / " + alt_purpose + " / " + alt_method +
                   " (kept as an Argon2id verifier only)");
  });
  auto* atoken = alternative->add_subcommand("token", "issue a signed single-use token (to show as a QR code) for a qr alternative");
  atoken->add_option("subject", alt_subject, "pseudonymous subject id")->required();
  atoken->add_option("purpose", alt_purpose)->required();
  atoken->add_option("method", alt_method)->required();
  atoken->add_option("--valid", altc_valid, "seconds the token is valid (1..86400)")->capture_default_str();
  atoken->callback([&] {
    if (!open()) return;
    auto t = ctx.svc->IssueAlternativeToken(alt_subject, alt_purpose, alt_method, altc_valid, ctx.actor);
    if (!t.ok()) { rc = Report(ctx, t.status(), alt_purpose); return; }
    rc = Print(ctx, {{"ok", true}, {"token", *t}, {"valid_seconds", altc_valid}}, *t);
  });
  auto* apresent = alternative->add_subcommand(
      "present", "present the person's credential (standard input) on an open transaction; its connector decides");
  apresent->add_option("id", alt_id, "transaction id from `alternative choose`")->required();
  apresent->callback([&] {
    auto cred = read_stdin_line("credential");
    if (!cred.ok()) { rc = Report(ctx, cred.status()); return; }
    if (!open()) return;
    auto r = ctx.svc->PresentAlternative(alt_id, *cred, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"transaction", alt_id}, {"outcome", r->outcome}, {"connector", r->connector},
                     {"reason", r->reason}, {"attempts_left", r->attempts_left}},
               "transaction " + std::to_string(alt_id) + ": " + r->outcome + " (" + r->connector + ": " + r->reason +
                   (r->outcome == "retry" ? "; " + std::to_string(r->attempts_left) + " attempt(s) left" : "") + ")");
  });
  auto* crefuse = consent->add_subcommand("refuse", "record that the person refused; no re-prompt in the quiet period (REQ C7)");
  crefuse->add_option("subject", alt_subject)->required();
  crefuse->add_option("purpose", alt_purpose)->required();
  crefuse->callback([&] {
    if (!open()) return;
    Status st = ctx.svc->RefuseConsent(alt_subject, alt_purpose, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st, alt_purpose); return; }
    rc = Print(ctx, {{"ok", true}, {"subject", alt_subject}, {"purpose", alt_purpose}},
               "refusal recorded: " + alt_subject + " / " + alt_purpose + "; do not ask again during the quiet period");
  });
  auto* cmay = consent->add_subcommand("may-ask", "may the operator ask for consent now? refused (C7) in the quiet period");
  cmay->add_option("subject", alt_subject)->required();
  cmay->add_option("purpose", alt_purpose)->required();
  cmay->callback([&] {
    if (!open()) return;
    Status st = ctx.svc->MayAskConsent(alt_subject, alt_purpose);
    if (!st.ok()) { rc = Report(ctx, st, alt_purpose); return; }
    rc = Print(ctx, {{"ok", true}}, "yes: " + alt_subject + " may be asked for consent to " + alt_purpose);
  });
  cgive->add_flag("--prompted", cr.prompted,
                  "the operator or device asked for this consent (refused within the quiet period after a "
                  "refusal, REQ C7); omit when the person came forward on their own");

  // rules
  std::string rule_id;
  auto* rules = app.add_subcommand("rules", "the requirements facegate enforces, with their legal citations");
  rules->add_option("id", rule_id, "one requirement id, e.g. C1");
  rules->callback([&] {
    json arr = json::array();
    std::string human;
    for (const policy::Rule& r : policy::Rules()) {
      if (!rule_id.empty() && r.id != rule_id) continue;
      arr.push_back({{"id", r.id}, {"title", r.title}, {"citation", r.citation}});
      human += r.id + "\t" + r.title + (r.citation.empty() ? "" : " (" + r.citation + ")") + "\n";
    }
    if (arr.empty()) { rc = Report(ctx, Status::NotFound("no requirement '" + rule_id + "'; run 'facegate rules' for the list")); return; }
    rc = Print(ctx, arr, human.substr(0, human.size() - 1));
  });

  // models verify
  auto* models = app.add_subcommand("models", "the pinned model files (models.lock)");
  models->require_subcommand(1);
  auto* mv = models->add_subcommand("verify", "check every pinned model file's sha256 in the model cache");
  mv->callback([&] {
    service::Config cfg = service::DefaultConfig();
    auto files = nn::ModelFiles::Open(cfg.model_dir, cfg.lock_file);
    if (!files.ok()) { rc = Report(ctx, files.status()); return; }
    json arr = json::array();
    std::string human;
    Status worst;
    for (const auto& [pkg, path] : files->Pinned()) {
      auto r = files->Read(pkg, path);
      arr.push_back({{"package", pkg}, {"path", path}, {"ok", r.ok()}, {"message", r.ok() ? "" : r.status().message()}});
      human += std::string(r.ok() ? "ok      " : "FAILED  ") + pkg + "/" + path + (r.ok() ? "" : ": " + r.status().message()) + "\n";
      if (!r.ok() && worst.ok()) worst = r.status();
    }
    Print(ctx, json{{"ok", worst.ok()}, {"model_dir", cfg.model_dir}, {"files", arr}},
          human + (worst.ok() ? "all model files match models.lock" : "some model files differ from models.lock"));
    rc = worst.ok() ? kExitOk : ExitCode(worst);
  });

  // serve / apikey (REST API, docs/api.md)
  struct {
    std::string listen = "127.0.0.1:8080", cert, key, role, device;
    std::vector<std::string> purposes;
    int threads = 32;  // connections; face work is bounded separately by the cores
    int sweep_every = 300;
    double rate = 20;
  } sv;
  // Keys live with the data: apikeys.db next to facegate.db, or the shared PostgreSQL
  // database's api_keys table when the nodes share one (this home's keys copied in).
  auto open_keys = [&]() -> std::unique_ptr<server::ApiKeyStore> {
    const service::Config& cfg = ctx.svc->config();
    const std::string local = cfg.data_dir + "/apikeys.db";
    auto k = cfg.database.empty() ? server::ApiKeyStore::Open(local)
                                  : server::ApiKeyStore::OpenPostgres(cfg.database, local);
    if (!k.ok()) { rc = Report(ctx, k.status()); return nullptr; }
    return std::move(k).value();
  };
  auto* serve = app.add_subcommand("serve", "serve the HTTP/JSON API under /v1/ (docs/api.md); with --tenant NAME one tenant only, its own keys and data (several tenants: one serve each, docs/tenants.md)");
  serve->add_option("--listen", sv.listen, "host:port to listen on");
  serve->add_option("--cert", sv.cert, "TLS certificate (PEM); with --key serves HTTPS");
  serve->add_option("--key", sv.key, "TLS private key (PEM)");
  serve->add_option("--threads", sv.threads, "connection threads (face work runs on at most one per core)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  serve->add_option("--sweep-every", sv.sweep_every, "seconds between retention sweeps (REQ S5)")->check(CLI::Range(1, 86400));
  serve->add_option("--rate", sv.rate, "requests per second per API key (burst: twice that; 0: unlimited)");
  serve->callback([&] {
    if (!open()) return;
    auto keys = open_keys();
    if (!keys) return;
    auto where = server::ParseListen(sv.listen);
    if (!where.ok()) { rc = Report(ctx, where.status()); return; }
    server::ServerConfig sc;
    std::tie(sc.host, sc.port) = *where;
    sc.cert_file = sv.cert;
    sc.key_file = sv.key;
    sc.threads = sv.threads;
    sc.rate_per_second = sv.rate;
    sc.rate_burst = 2 * sv.rate;
    auto admins = keys->CountActive(server::Role::kAdmin);
    if (!admins.ok()) { rc = Report(ctx, admins.status()); return; }
    if (*admins == 0) {  // first start: one admin key, shown once
      auto k = keys->Create(server::Role::kAdmin, "", {}, static_cast<UnixTime>(std::time(nullptr)));
      if (!k.ok()) { rc = Report(ctx, k.status()); return; }
      std::cout << "No API key existed: created admin key " << k->key.id << " (shown only now, store it):\n  "
                << k->secret << "\n";
    }
    // Block SIGINT/SIGTERM before the server's threads start; this thread waits for them.
    std::signal(SIGINT, SIG_DFL);  // a shell may start background jobs with SIGINT ignored
    std::signal(SIGTERM, SIG_DFL);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    auto s = server::Server::Create(*ctx.svc, *keys, sc);
    if (!s.ok()) { rc = Report(ctx, s.status()); return; }
    Status st = (*s)->Start();
    if (!st.ok()) { rc = Report(ctx, st); return; }
    // Face data and API keys in clear text over a network: say so, loudly (docs/api.md, TLS).
    const bool loopback = sc.host == "127.0.0.1" || sc.host == "::1" || sc.host == "localhost" ||
                          sc.host.rfind("127.", 0) == 0;
    if (sc.cert_file.empty() && !loopback)
      std::cerr << "WARNING: serving plain HTTP on " << sc.host << ", a non-loopback address: photos, "
                << "decisions and API keys cross the network unencrypted. Give --cert and --key, or put "
                << "a TLS proxy in front and listen on 127.0.0.1." << std::endl;
    // Signed checkpoints of the audit chain outside the database (docs/security.md).
    auto checkpoint = [&] {
      auto cp = ctx.svc->CheckpointAudit();
      if (!cp.ok())
        std::cerr << "audit checkpoint failed: " << cp.status().ToString() << std::endl;
      else if (cp->written)
        std::cerr << "audit checkpoint " << cp->line << std::endl;
    };
    checkpoint();
    std::cout << "facegate serving " << (sc.cert_file.empty() ? "http" : "https") << "://" << sc.host << ":"
              << (*s)->port() << "/v1/ (data " << ctx.svc->config().data_dir << "; Ctrl-C stops)" << std::endl;
    // The retention sweeper runs here between signals (REQ S5, S7).
    int sig = -1;
    while (sig < 0) {
      struct timespec wait = {std::max(1, sv.sweep_every), 0};
      sig = sigtimedwait(&sigs, nullptr, &wait);
      if (sig < 0 && errno != EAGAIN && errno != EINTR) break;
      if (sig < 0) {
        auto swept = ctx.svc->SweepRetention("sweeper");
        if (!swept.ok())
          std::cerr << "retention sweep failed: " << swept.status().ToString() << std::endl;
        else if (swept->templates_deleted > 0)
          std::cout << "retention sweep: " << swept->templates_deleted << " expired template(s) deleted" << std::endl;
        checkpoint();
      }
    }
    std::cout << "stopping (signal " << sig << ")" << std::endl;
    (*s)->Stop();
    checkpoint();
  });
  auto* apikey = app.add_subcommand("apikey", "API keys for the REST API (stored hashed: in apikeys.db, or in the shared PostgreSQL database with --db)");
  apikey->require_subcommand(1);
  auto* kcreate = apikey->add_subcommand("create", "make a key; the key is printed once and never again");
  kcreate->add_option("--role", sv.role, "admin | operator | auditor | device")->required();
  kcreate->add_option("--device", sv.device, "device keys: the device it belongs to");
  kcreate->add_option("--purpose", sv.purposes, "device keys: a purpose it may act for (repeatable)");
  kcreate->callback([&] {
    if (!open()) return;
    auto keys = open_keys();
    if (!keys) return;
    auto role = server::ParseRole(sv.role);
    if (!role) { rc = Report(ctx, Status::InvalidInput("unknown role '" + sv.role + "'; use admin, operator, auditor or device")); return; }
    auto k = keys->Create(*role, sv.device, sv.purposes, static_cast<UnixTime>(std::time(nullptr)));
    if (!k.ok()) { rc = Report(ctx, k.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"id", k->key.id}, {"role", server::ToString(k->key.role)}, {"device", k->key.device},
                     {"purposes", k->key.purposes}, {"key", k->secret}},
               server::ToString(k->key.role) + std::string(" key ") + k->key.id + " (shown only now, store it):\n  " + k->secret);
  });
  auto* klist = apikey->add_subcommand("list", "list keys (ids and roles; secrets are not stored)");
  klist->callback([&] {
    if (!open()) return;
    auto keys = open_keys();
    if (!keys) return;
    auto ks = keys->List();
    if (!ks.ok()) { rc = Report(ctx, ks.status()); return; }
    json arr = json::array();
    std::string human;
    for (auto& k : *ks) {
      arr.push_back({{"id", k.id}, {"role", server::ToString(k.role)}, {"device", k.device}, {"purposes", k.purposes},
                     {"created_at", FormatTime(k.created_at)},
                     {"revoked_at", k.revoked_at ? json(FormatTime(*k.revoked_at)) : json(nullptr)}});
      human += k.id + "\t" + server::ToString(k.role) + "\t" + (k.device.empty() ? "-" : k.device) + "\t" +
               (k.revoked_at ? "revoked" : "active") + "\n";
    }
    rc = Print(ctx, arr, human.empty() ? "no API keys" : human.substr(0, human.size() - 1));
  });
  std::string k_id;
  auto* krevoke = apikey->add_subcommand("revoke", "revoke a key by id; it stops working at once");
  krevoke->add_option("id", k_id)->required();
  krevoke->callback([&] {
    if (!open()) return;
    auto keys = open_keys();
    if (!keys) return;
    Status st = keys->Revoke(k_id, static_cast<UnixTime>(std::time(nullptr)));
    if (!st.ok()) { rc = Report(ctx, st); return; }
    rc = Print(ctx, {{"ok", true}, {"id", k_id}, {"revoked", true}}, "API key " + k_id + " revoked");
  });

  // eval verify
  auto* eval = app.add_subcommand("eval", "measure accuracy on your own labelled photos (research grant, REQ P3)");
  eval->require_subcommand(1);
  std::string ev_pairs, ev_root = ".";
  bool ev_list = false;
  auto* evv = eval->add_subcommand("verify", "verification accuracy on PAIRS.tsv (path1 TAB path2 TAB same(1|0) [TAB fold])");
  evv->add_option("pairs", ev_pairs, "pairs file; paths relative to --root")->required();
  evv->add_option("--root", ev_root, "folder the paths are relative to");
  evv->add_flag("--list-missing", ev_list, "list the photos where no face was found");
  evv->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->EvalVerify(ev_pairs, ev_root, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json j = {{"ok", true}, {"pairs", r->pairs}, {"same_pairs", r->same_pairs}, {"photos", r->photos},
              {"photos_without_face", r->photos_without_face}, {"pairs_with_missing_face", r->pairs_with_missing_face},
              {"threshold", r->threshold}, {"accuracy_at_threshold", r->accuracy_at_threshold},
              {"cv_accuracy", r->cv_accuracy}, {"cv_accuracy_std", r->cv_accuracy_std},
              {"cv_mean_threshold", r->cv_mean_threshold}, {"tar_at_far_1pct", r->tar_at_far_1},
              {"tar_at_far_0_1pct", r->tar_at_far_01}, {"no_face", r->no_face_paths}};
    std::ostringstream h;
    h << std::fixed << std::setprecision(2);
    h << "pairs: " << r->pairs << " (" << r->same_pairs << " same), photos: " << r->photos
      << ", no face found: " << r->photos_without_face << " photos (" << r->pairs_with_missing_face
      << " pairs, counted as errors)\n";
    h << "accuracy at threshold " << std::setprecision(3) << r->threshold << ": " << std::setprecision(2)
      << 100 * r->accuracy_at_threshold << "%\n";
    h << "10-fold cross-validated accuracy: " << 100 * r->cv_accuracy << "% +- " << 100 * r->cv_accuracy_std
      << " (mean threshold " << std::setprecision(3) << r->cv_mean_threshold << ")\n" << std::setprecision(2);
    h << "TAR at FAR 1%: " << 100 * r->tar_at_far_1 << "%, at FAR 0.1%: " << 100 * r->tar_at_far_01 << "%";
    if (ev_list)
      for (auto& p : r->no_face_paths) h << "\nno face: " << p;
    rc = Print(ctx, j, h.str());
  });

  // eval identify
  std::string ei_gallery, ei_probes, ei_root = ".";
  float ei_threshold = 0;
  auto* evi = eval->add_subcommand(
      "identify", "open-set identification accuracy: GALLERY.tsv and PROBES.tsv (identity TAB path); "
                  "probe identities absent from the gallery are strangers");
  evi->add_option("gallery", ei_gallery, "gallery file; paths relative to --root")->required();
  evi->add_option("probes", ei_probes, "probes file; paths relative to --root")->required();
  evi->add_option("--root", ei_root, "folder the paths are relative to");
  evi->add_option("--threshold", ei_threshold, "decision threshold (default: the scope rule for the gallery's size)");
  evi->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->EvalIdentify(ei_gallery, ei_probes, ei_root, ctx.actor, ei_threshold);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json j = {{"ok", true}, {"gallery_photos", r->gallery_photos}, {"gallery_identities", r->gallery_identities},
              {"probes", r->probes}, {"enrolled_probes", r->enrolled_probes}, {"stranger_probes", r->stranger_probes},
              {"photos_without_face", r->photos_without_face}, {"threshold", r->threshold},
              {"threshold_from_scope_rule", r->threshold_from_scope_rule},
              {"expected_stranger_accept_rate", r->expected_stranger_accept}, {"rank1", r->rank1},
              {"identified", r->identified}, {"misidentified", r->misidentified},
              {"strangers_rejected", r->strangers_rejected}, {"no_face", r->no_face_paths}};
    std::ostringstream h;
    h << std::fixed << std::setprecision(2);
    h << "gallery: " << r->gallery_identities << " identities (" << r->gallery_photos
      << " photos, one mean template each); probes: " << r->enrolled_probes << " enrolled, " << r->stranger_probes
      << " strangers; no face found: " << r->photos_without_face << " photos (counted as errors)\n";
    h << "threshold " << std::setprecision(4) << r->threshold
      << (r->threshold_from_scope_rule ? " (scope rule for this size)" : " (given)") << std::setprecision(2)
      << ", expected stranger false-accept rate " << 100 * r->expected_stranger_accept << "%\n";
    h << "rank-1: " << 100 * r->rank1 << "%; enrolled probes identified correctly: " << 100 * r->identified
      << "% (as somebody else: " << 100 * r->misidentified << "%); strangers rejected: "
      << 100 * r->strangers_rejected << "%";
    rc = Print(ctx, j, h.str());
  });

  // eval attributes
  std::string ea_file, ea_root = ".";
  bool ea_faceapi = false, ea_list = false;
  auto* eva = eval->add_subcommand(
      "attributes", "age and gender accuracy on ATTRS.tsv (path TAB age TAB gender(M|F)), per age band");
  eva->add_option("attributes", ea_file, "attributes file; paths relative to --root")->required();
  eva->add_option("--root", ea_root, "folder the paths are relative to");
  eva->add_flag("--faceapi", ea_faceapi, "face-api's pipeline as is (no flip averaging)");
  eva->add_flag("--list-missing", ea_list, "list the photos where no face was found");
  eva->callback([&] {
    if (!open()) return;
    // Research analysis grant in the service: in memory only, audited, nothing stored (REQ P3, AN1).
    auto res = ctx.svc->EvalAttributes(ea_file, ea_root, ctx.actor, ea_faceapi);
    if (!res.ok()) { rc = Report(ctx, res.status()); return; }
    const service::EvalAttributesReport& r = *res;
    auto stats_json = [](const service::AttributeBandReport& s) {
      return json{{"band", s.band}, {"photos", s.photos}, {"no_face", s.no_face},
                  {"age_mae", s.age_mae}, {"age_bias", s.age_bias},
                  {"gender_accuracy", s.gender_accuracy},
                  {"gender_accuracy_found", s.gender_accuracy_found}};
    };
    json bands = json::array();
    for (const auto& b : r.bands) bands.push_back(stats_json(b));
    json j = {{"ok", true}, {"pipeline", r.faceapi_pipeline ? "face-api" : "default"},
              {"flip_average", r.flip_average},
              {"box_margin", r.box_margin}, {"overall", stats_json(r.overall)},
              {"bands", bands}, {"no_face_paths", r.no_face_paths}};
    std::ostringstream h;
    h << std::fixed << std::setprecision(2);
    h << "photos: " << r.overall.photos << ", no face found: " << r.overall.no_face
      << " (counted as gender errors; excluded from the age error)\n";
    h << "band    photos  no face  age MAE  age bias  gender acc  (where found)\n";
    std::vector<const service::AttributeBandReport*> rows;
    for (const auto& b : r.bands) rows.push_back(&b);
    rows.push_back(&r.overall);
    for (const auto* s : rows) {
      h << std::left << std::setw(8) << s->band << std::right << std::setw(6) << s->photos
        << std::setw(9) << s->no_face << std::setw(9) << s->age_mae << std::setw(10) << s->age_bias
        << std::setw(11) << 100 * s->gender_accuracy << "%" << std::setw(13)
        << 100 * s->gender_accuracy_found << "%\n";
    }
    std::string human = h.str();
    if (ea_list)
      for (auto& p : r.no_face_paths) human += "no face: " + p + "\n";
    rc = Print(ctx, j, human.substr(0, human.size() - 1));
  });

  // subject add / show: declared birth date (REQ M1, M3; docs/compliance-minors.md)
  std::string sj_id, sj_birth;
  auto* subject = app.add_subcommand("subject", "register a subject and declare a birth date (REQ M1)");
  subject->require_subcommand(1);
  auto subject_json = [](const service::SubjectInfo& s) {
    json j = {{"subject", s.id}, {"birth_date", s.birth_date.empty() ? json(nullptr) : json(s.birth_date)},
              {"age", s.age < 0 ? json(nullptr) : json(s.age)}, {"minor", s.minor}};
    if (s.adult_consent_at) j["own_consent_from"] = FormatTime(s.adult_consent_at).substr(0, 10);
    return j;
  };
  auto subject_human = [](const service::SubjectInfo& s) {
    if (s.birth_date.empty()) return s.id + ": no birth date declared (treated as an adult)";
    return s.id + ": born " + s.birth_date + ", age " + std::to_string(s.age) +
           (s.minor ? " (under 14: guardian consent only, REQ M1)" : "");
  };
  auto* sadd = subject->add_subcommand("add", "register a subject (pseudonymous id) with an optional birth date");
  sadd->add_option("id", sj_id, "pseudonymous subject id")->required();
  sadd->add_option("--birth-date", sj_birth, "declared birth date YYYY-MM-DD; under 14 needs a guardian (REQ M1)");
  sadd->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->DeclareSubject(sj_id, sj_birth, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json j = subject_json(*r);
    j["ok"] = true;
    rc = Print(ctx, j, subject_human(*r));
  });
  auto* sshow = subject->add_subcommand("show", "the subject's record and age now (a child's record needs an approval and the read is audited, REQ M3)");
  sshow->add_option("id", sj_id)->required();
  sshow->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ShowSubject(sj_id, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, subject_json(*r), subject_human(*r));
  });

  std::string sj_reader, sj_reason;
  int64_t sj_valid = 3600;
  auto* sapprove = subject->add_subcommand(
      "approve", "let another reader read a child's records for a while, with a reason (REQ M3); run as the "
                 "approver: `facegate --actor dpo subject approve K1 --reader op-7 --reason ...`");
  sapprove->add_option("id", sj_id, "the child's pseudonymous subject id")->required();
  sapprove->add_option("--reader", sj_reader, "who may read (a CLI --actor, or key:<id> of an API key)")->required();
  sapprove->add_option("--reason", sj_reason, "why the records are needed")->required();
  sapprove->add_option("--valid", sj_valid, "seconds the approval lasts (60..604800)")->capture_default_str();
  sapprove->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ApproveMinorAccess(sj_id, sj_reader, sj_reason, sj_valid, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"subject", sj_id}, {"reader", sj_reader}, {"approved_by", ctx.actor},
                     {"expires_at", FormatTime(*r)}},
               sj_reader + " may read the records of " + sj_id + " until " + FormatTime(*r) + " (approved by " +
                   ctx.actor + ")");
  });

  std::string sj_for;
  auto* sbapprove = subject->add_subcommand(
      "approve-birth-date",
      "approve, as a second person, that an admin changes a declared birth date (REQ M1): `facegate "
      "--actor dpo subject approve-birth-date K1 --for admin-2 --birth-date 2012-06-01 --reason ...`");
  sbapprove->add_option("id", sj_id, "pseudonymous subject id")->required();
  sbapprove->add_option("--for", sj_for, "who will change it (a CLI --actor, or key:<id> of an admin key)")->required();
  sbapprove->add_option("--birth-date", sj_birth, "the corrected date YYYY-MM-DD (\"\" to clear it)")->required();
  sbapprove->add_option("--reason", sj_reason, "why the declared date is wrong")->required();
  sbapprove->add_option("--valid", sj_valid, "seconds the approval lasts (60..604800)")->capture_default_str();
  sbapprove->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ApproveBirthDateChange(sj_id, sj_birth, sj_for, sj_reason, sj_valid, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"subject", sj_id}, {"for", sj_for}, {"approved_by", ctx.actor},
                     {"expires_at", FormatTime(*r)}},
               sj_for + " may change the birth date of " + sj_id + " until " + FormatTime(*r) +
                   " (approved by " + ctx.actor + ")");
  });
  auto* sbchange = subject->add_subcommand(
      "change-birth-date",
      "change a declared birth date under another person's approval (REQ M1; admins)");
  sbchange->add_option("id", sj_id, "pseudonymous subject id")->required();
  sbchange->add_option("--birth-date", sj_birth, "the approved date YYYY-MM-DD (\"\" to clear it)")->required();
  sbchange->add_option("--reason", sj_reason, "why the declared date is wrong")->required();
  sbchange->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ChangeBirthDate(sj_id, sj_birth, sj_reason, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json j = subject_json(*r);
    j["ok"] = true;
    rc = Print(ctx, j, subject_human(*r));
  });

  // policy set / show (REQ M2)
  std::string pol_name, pol_value;
  auto* policy_cmd = app.add_subcommand("policy", "policy switches, persisted and audited (REQ M2)");
  policy_cmd->require_subcommand(1);
  auto* pset = policy_cmd->add_subcommand("set", "set a switch: minors-face on|off (off: no face processing under 14)");
  pset->add_option("name", pol_name, "minors-face")->required();
  pset->add_option("value", pol_value, "on | off")->required();
  pset->callback([&] {
    if (!open()) return;
    Status st = ctx.svc->SetPolicy(pol_name, pol_value, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st); return; }
    rc = Print(ctx, {{"ok", true}, {"policy", pol_name}, {"value", pol_value}}, "policy " + pol_name + " = " + pol_value);
  });
  auto* pshow = policy_cmd->add_subcommand("show", "every policy switch and its value");
  pshow->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->Policies();
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json j = json::object();
    std::string human;
    for (auto& [k, v] : *r) {
      j[k] = v;
      human += k + " = " + v + "\n";
    }
    rc = Print(ctx, j, human.substr(0, human.size() - 1));
  });

  // disclose (REQ C8, P2)
  std::string ds_subject, ds_purpose, ds_to, ds_key, ds_out;
  auto* disclose = app.add_subcommand(
      "disclose", "hand a subject's templates to one named processor, sealed to its key; needs a consent naming it (REQ C8, P2)");
  disclose->add_option("subject", ds_subject)->required();
  disclose->add_option("purpose", ds_purpose)->required();
  disclose->add_option("--to", ds_to, "the recipient named in the disclosure consent (never the public)")->required();
  disclose->add_option("--recipient-key", ds_key, "file with the recipient's X25519 public key (64 hex digits)")->required();
  disclose->add_option("--out", ds_out, "write the sealed package here (default: print it)");
  disclose->callback([&] {
    if (!open()) return;
    auto hex = ReadFile(ds_key);
    if (!hex.ok()) { rc = Report(ctx, hex.status()); return; }
    std::string h;
    for (char ch : *hex) if (!std::isspace(static_cast<unsigned char>(ch))) h += ch;
    std::string key;
    bool good = h.size() == 64;
    for (size_t i = 0; good && i < 64; i += 2) {
      try { key += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)); } catch (...) { good = false; }
      if (good && !std::isxdigit(static_cast<unsigned char>(h[i])) ) good = false;
      if (good && !std::isxdigit(static_cast<unsigned char>(h[i + 1]))) good = false;
    }
    if (!good) { rc = Report(ctx, Status::InvalidInput("--recipient-key " + ds_key + " must hold the recipient's X25519 public key as 64 hex digits")); return; }
    if (!ds_out.empty() && std::filesystem::exists(ds_out)) { rc = Report(ctx, Status::Conflict("output " + ds_out + " exists; give a new file name")); return; }
    auto r = ctx.svc->Disclose(ds_subject, ds_purpose, ds_to, key, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), ds_purpose); return; }
    if (!ds_out.empty()) {
      if (Status w = store::WritePrivateFile(ds_out, r->package + "\n"); !w.ok()) { rc = Report(ctx, w); return; }
    }
    json j = {{"ok", true}, {"recipient", r->recipient}, {"consent_id", r->consent_id}, {"templates", r->templates},
              {"model", r->model}, {"disclosed_at", FormatTime(r->disclosed_at)}};
    if (ds_out.empty()) j["package"] = json::parse(r->package);
    else j["file"] = ds_out;
    rc = Print(ctx, j, ds_out.empty() ? r->package
                                      : std::to_string(r->templates) + " template(s) of " + ds_subject + " sealed for " +
                                            r->recipient + " in " + ds_out + " (consent " + std::to_string(r->consent_id) + ")");
  });

  // backup: a keyless copy of the database (REQ S7; docs/compliance-minors.md)
  std::string bk_file;
  auto* backup = app.add_subcommand(
      "backup", "copy the SQLite database without subject keys: what is shredded later stays unreadable in the copy (REQ S7)");
  backup->add_option("file", bk_file, "the backup file to write (never overwritten)")->required();
  backup->callback([&] {
    if (!open()) return;
    Status st = ctx.svc->Backup(bk_file, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st); return; }
    rc = Print(ctx, {{"ok", true}, {"file", bk_file}, {"subject_keys", "excluded"}},
               "backup written to " + bk_file + " (sealed templates without subject keys: they open only "
               "with a key the live store still holds)");
  });

  // rights request|list|show|complete|refuse|export|explain|correct|erase|withdraw|restrict|lift|review
  // (REQ R1, R2; src/cli/rights_commands.cpp, docs/rights.md)
  RightsCliContext rights_ctx{
      [&]() -> service::Service* { return open() ? ctx.svc.get() : nullptr; },
      [&](const Status& st) { return Report(ctx, st); },
      [&](const json& j, const std::string& human) { return Print(ctx, j, human); },
      [&] { return ctx.as_json; }, &ctx.actor, &rc};
  AddRightsCommands(app, rights_ctx);

  // tenant create / list / end (REQ S10; docs/tenants.md)
  TenantCliContext tenant_ctx{
      [&]() -> Result<service::Config> {
        if (!ctx.tenant.empty())
          return Status::InvalidInput("the tenant commands act on the root home, not inside a tenant: "
                                      "leave --tenant out (name the tenant after the command)");
        if (!ctx.db.empty())
          return Status::InvalidInput("a tenant's database is given after its name: "
                                      "facegate tenant create NAME --db CONNINFO");
        service::Config cfg = service::DefaultConfig();
        if (!ctx.home.empty()) cfg.data_dir = ctx.home;
        return cfg;
      },
      [&](const Status& st) { return Report(ctx, st); },
      [&](const json& j, const std::string& h) { return Print(ctx, j, h); },
      &ctx.actor,
      &rc};
  AddTenantCommands(app, tenant_ctx);

  // breach open|assess|show|list|notify-authority|notify-people|no-notify|close
  // (REQ S9, PIPL 57; src/cli/breach_commands.cpp, docs/breach.md)
  AddBreachCommands(app, rights_ctx);

  // eval eyes
  std::string ee_file, ee_root = ".";
  bool ee_list = false;
  auto* eve = eval->add_subcommand(
      "eyes", "eye-state accuracy on EYES.tsv (path TAB open|closed|one_closed) with a confusion table; "
              "no face or unsure counted as errors (docs/drowsiness.md)");
  eve->add_option("eyes", ee_file, "eyes file; paths relative to --root")->required();
  eve->add_option("--root", ee_root, "folder the paths are relative to");
  eve->add_flag("--list-missing", ee_list, "list the photos where no face was found");
  eve->callback([&] {
    if (!open()) return;
    auto res = ctx.svc->EvalEyes(ee_file, ee_root, ctx.actor);
    if (!res.ok()) { rc = Report(ctx, res.status()); return; }
    const service::EvalEyesReport& r = *res;
    json confusion = json::object();
    for (int l = 0; l < service::EvalEyesReport::kLabels; ++l)
      for (int p = 0; p < service::EvalEyesReport::kPredicted; ++p)
        confusion[service::kEyeLabels[l]][service::kEyePredictions[p]] = r.confusion[l][p];
    json j = {{"ok", true}, {"photos", r.photos}, {"correct", r.correct}, {"accuracy", r.accuracy},
              {"no_face", r.no_face}, {"confusion", confusion}, {"no_face_paths", r.no_face_paths}};
    std::ostringstream h;
    h << "photos: " << r.photos << ", correct: " << r.correct << " (" << std::fixed << std::setprecision(1)
      << 100 * r.accuracy << "%), no face found: " << r.no_face << " (counted as errors, as is unsure)\n";
    h << std::left << std::setw(14) << "label \\ judged";
    for (const char* p : service::kEyePredictions) h << std::right << std::setw(12) << p;
    for (int l = 0; l < service::EvalEyesReport::kLabels; ++l) {
      h << "\n" << std::left << std::setw(14) << service::kEyeLabels[l];
      for (int p = 0; p < service::EvalEyesReport::kPredicted; ++p) h << std::right << std::setw(12) << r.confusion[l][p];
    }
    if (ee_list)
      for (auto& p : r.no_face_paths) h << "\nno face: " << p;
    rc = Print(ctx, j, h.str());
  });

  // --json, --home and --tenant work before or after the subcommand.
  std::function<void(CLI::App*)> fall = [&](CLI::App* a) {
    a->fallthrough();
    for (CLI::App* sub : a->get_subcommands({})) fall(sub);
  };
  fall(&app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitInput;
  }
  return rc;
}

}  // namespace facegate::cli
