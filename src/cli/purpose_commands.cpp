#include "cli/purpose_commands.h"

#include "cli/cli_util.h"

#include "policy/inference.h"
#include "policy/legal_basis.h"
#include "policy/notice.h"
#include "service/json_views.h"

#include <algorithm>
#include <string>
#include <vector>

namespace facegate::cli {

using service::IdentifyThresholdJson;
using service::IdentifyThresholdReport;
using service::IdentifyThresholdText;

namespace {

// The option values of `purpose` and `notice`: CLI11 fills them, the callbacks read them.
struct PurposeCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);

  struct {
    std::string name, scenario = "verification", retention, mandate;
    std::vector<std::string> alternatives;
    std::string liveness = "off";
    bool device_enrolment = false;
    std::string basis, justification;
  } pa;
  struct {
    std::string name, basis, justification;
  } pb;
  struct {
    std::string name, inference, use, justification;
    bool off = false;
  } pi;
  struct {
    std::string name, reason;
    float identify = 0;
    bool clear = false;
  } pt;
  CLI::Option* pthr_set = nullptr;  // its --identify: given or not
  std::string n_purpose, n_file;
  std::string n_format = "text";
};

void PurposeCommands::Add(CLI::App& app) {
  // purpose add
  auto* purpose = app.add_subcommand("purpose", "declare and list processing purposes");
  purpose->require_subcommand(1);
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
  padd->add_option("--basis", pa.basis,
                   "lawful basis (PIPL 13; REQ C2, AN4): consent (default for verification and "
                   "identification) | statutory_duty | other_law | contract | public_health | news_reporting | "
                   "disclosed_information; an analysis purpose must give one");
  padd->add_option("--justification", pa.justification,
                   "why a basis other than consent applies (the law and article); the notice must state it "
                   "in a \"Legal basis:\" line");
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
    p.legal_basis = pa.basis;
    p.basis_justification = pa.justification;
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
      const std::string basis = policy::EffectiveBasis(p);
      arr.push_back({{"name", p.name}, {"scenario", ToString(p.scenario)}, {"retention_days", p.retention_days},
                     {"alternatives", p.alternatives}, {"liveness", ToString(p.liveness)},
                     {"legal_basis", basis}, {"basis_justification", p.basis_justification}});
      human += p.name + "\t" + ToString(p.scenario) + "\t" + std::to_string(p.retention_days) + "d\t" +
               (basis.empty() ? "basis not recorded" : basis) + "\n";
    }
    rc = Print(ctx, arr, human.empty() ? "no purposes declared" : human.substr(0, human.size() - 1));
  });

  // purpose basis (REQ C2, AN4)
  auto* pbasis = purpose->add_subcommand(
      "basis", "record the lawful basis a purpose rests on (PIPL 13; REQ C2, AN4); then publish a notice that states it");
  pbasis->add_option("name", pb.name, "the purpose")->required();
  pbasis->add_option("basis", pb.basis,
                     "consent | statutory_duty | other_law | contract | public_health | news_reporting | "
                     "disclosed_information")
      ->required();
  pbasis->add_option("--justification", pb.justification,
                     "why it applies (the law and article); required for any basis but consent");
  pbasis->footer(
      "A basis other than consent must be stated in the purpose's notice (\"Legal basis: <basis>: <justification>\"):\n"
      "until a notice that states it is published, the purpose runs no face operation. Verification and\n"
      "identification rest on consent unless a law requires them (statutory_duty, other_law).");
  pbasis->callback([&] {
    if (!open()) return;
    Status st = ctx.svc->SetPurposeBasis(pb.name, pb.basis, pb.justification, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st, pb.name); return; }
    rc = Print(ctx, {{"ok", true}, {"purpose", pb.name}, {"legal_basis", pb.basis}},
               "purpose " + pb.name + " rests on " + pb.basis +
                   (pb.basis == "consent" ? std::string() : "; publish a notice stating it before it runs again"));
  });

  // purpose inference (REQ AN3)
  std::string catalogue;
  for (const policy::InferenceInfo& i : policy::SensitiveInferences()) {
    std::string uses;
    for (const std::string& u : i.allowed_uses) uses += (uses.empty() ? "" : ", ") + u;
    catalogue += "  " + i.name + ": " + i.what + "; only for " + uses + "\n";
  }
  auto* pinf = purpose->add_subcommand(
      "inference",
      "switch a sensitive inference on or off for an analysis purpose, or list what is on (REQ AN3); "
      "age, gender and expression need no switch");
  pinf->add_option("name", pi.name, "the analysis purpose (omit to list every purpose's)");
  pinf->add_option("inference", pi.inference, "the inference, e.g. drowsiness (omit to list)");
  pinf->add_option("--use", pi.use, "the use it serves, one the catalogue allows (e.g. driving_safety)");
  pinf->add_option("--justification", pi.justification, "why it is necessary for that use (required to switch on)");
  pinf->add_flag("--off", pi.off, "switch it off");
  pinf->footer("The catalogue:\n" + catalogue +
               "Switched on, it runs once the purpose's notice names it (\"Sensitive inferences: drowsiness, ...\")\n"
               "and its impact assessment, marked due by the switch, is approved again (REQ F1).");
  pinf->callback([&] {
    if (!open()) return;
    if (pi.inference.empty()) {
      auto list = ctx.svc->ListInferences(pi.name);
      if (!list.ok()) { rc = Report(ctx, list.status(), pi.name); return; }
      json arr = json::array();
      std::string human;
      for (const InferenceRecord& r : *list) {
        arr.push_back(service::InferenceJson(r));
        human += r.purpose + "\t" + r.inference + "\t" + r.declared_use + "\t" +
                 (r.disabled_at ? "off since " + service::FormatTime(*r.disabled_at)
                                : "on since " + service::FormatTime(r.enabled_at)) + "\n";
      }
      rc = Print(ctx, arr, human.empty() ? "no sensitive inference was switched on" : human.substr(0, human.size() - 1));
      return;
    }
    Status st = pi.off ? ctx.svc->DisableInference(pi.name, pi.inference, ctx.actor)
                       : ctx.svc->EnableInference(pi.name, pi.inference, pi.use, pi.justification, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st, pi.name); return; }
    rc = Print(ctx, {{"ok", true}, {"purpose", pi.name}, {"inference", pi.inference}, {"in_force", !pi.off}},
               pi.off ? pi.inference + " is off for " + pi.name
                      : pi.inference + " is on for " + pi.name + " (" + pi.use +
                            "); name it in the notice and have the impact assessment approved before it runs");
  });

  // purpose threshold (REQ SC2: the operator's stricter identification threshold)
  auto* pthr = purpose->add_subcommand(
      "threshold",
      "show or set the operator's stricter identification threshold of a purpose (REQ SC2): only "
      "below the scope rule's threshold for the scope's size; audited with the reason");
  pthr->add_option("name", pt.name, "an identification purpose")->required();
  pthr_set = pthr->add_option("--identify", pt.identify,
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
}

}  // namespace

void AddPurposeCommands(CLI::App& app, Cli& cli) { AddFamily<PurposeCommands>(app, cli); }

}  // namespace facegate::cli
