#include "cli/report_commands.h"

#include <facegate/reports.h>

#include "cli/cli_util.h"
#include "service/json_views.h"
#include "service/workdays.h"

#include <ctime>
#include <fstream>
#include <string>

namespace facegate::cli {

namespace {

std::string AssessmentLine(const ImpactAssessmentRecord& a) {
  std::string s = "assessment " + std::to_string(a.id) + " of " + a.target_kind + " " + a.target + ": " + a.status;
  if (a.status != "draft") s += " (approved by " + a.approver + ")";
  if (a.status == "due") s += "; due again: " + a.due_reason;
  if (a.status == "draft") s += "; approve it: facegate assessment approve " + std::to_string(a.id) + " --approver NAME";
  return s;
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream o(path, std::ios::binary | std::ios::trunc);
  o << text << "\n";
  o.close();
  if (!o) return Status::InvalidInput("cannot write " + path + "; check the folder exists and is writable");
  return Status::Ok();
}

// "YYYY-MM-DD" at 00:00 China Standard Time; `next` gives the day after (an inclusive end).
bool ParseDay(const std::string& s, bool next, UnixTime* out) {
  int64_t days = 0;
  if (!service::ParseCivilDate(s, &days)) return false;
  *out = service::ChinaDayStart(days + (next ? 1 : 0));
  return true;
}

struct ReportCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);

  service::AssessmentInput in;
  bool device = false;
  int64_t id = 0;
  std::string approver, list_purpose, list_device;
  std::string out, from, to, eval;
  bool tenants = false;
  std::string pia_target;
  bool pia_device = false;
};

void ReportCommands::Add(CLI::App& app) {
  auto* as = app.add_subcommand("assessment", "impact assessments of purposes and devices (REQ F1, PIPL 55-56)");
  as->require_subcommand(1);
  auto* ac = as->add_subcommand("create", "write a draft impact assessment; the measures come from the configuration");
  ac->add_option("target", in.target, "the purpose (or, with --device, the device id) it assesses")->required();
  ac->add_flag("--device", device, "TARGET is a device (an automatic device needs its own before it goes live)");
  ac->add_option("--lawfulness", in.lawfulness, "why the processing is lawful, legitimate and necessary")->required();
  ac->add_option("--impact", in.impact, "its impact on people's rights and the risks")->required();
  ac->add_option("--data-kind", in.data_kinds, "a kind of data processed (repeat; default face image, face template)");
  ac->add_option("--scope-size", in.scope_size, "most people the purpose may hold (default 1000); growing past it "
                                                "makes the assessment due");
  ac->add_option("--author", in.author, "who wrote it (default: --actor)");
  ac->callback([&] {
    if (!open()) return;
    in.target_kind = device ? "device" : "purpose";
    auto r = ctx.svc->CreateAssessment(in, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status(), device ? "" : in.target); return; }
    rc = Print(ctx, service::AssessmentJson(*r), AssessmentLine(*r));
  });
  auto* aa = as->add_subcommand("approve", "a second person approves a draft or due assessment (REQ F1)");
  aa->add_option("id", id, "the assessment")->required();
  aa->add_option("--approver", approver, "who approves it, never its author (default: --actor)");
  aa->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ApproveAssessment(id, approver, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, service::AssessmentJson(*r), AssessmentLine(*r) + ", document sha256 " + r->document_sha256);
  });
  auto* al = as->add_subcommand("list", "the assessments, newest first");
  al->add_option("--purpose", list_purpose, "only those of this purpose");
  al->add_option("--device", list_device, "only those of this device");
  al->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ListAssessments(!list_device.empty() ? "device" : !list_purpose.empty() ? "purpose" : "",
                                      !list_device.empty() ? list_device : list_purpose);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json arr = json::array();
    std::string human;
    for (const auto& a : *r) {
      arr.push_back(service::AssessmentJson(a));
      human += AssessmentLine(a) + "\n";
    }
    rc = Print(ctx, {{"ok", true}, {"assessments", arr}}, human.empty() ? "no impact assessment yet" : human.substr(0, human.size() - 1));
  });
  auto* ash = as->add_subcommand("show", "one assessment as its document");
  ash->add_option("id", id, "the assessment")->required();
  ash->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->GetAssessment(id);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, service::AssessmentJson(*r), service::Service::AssessmentDocument(*r) + "Status: " + r->status +
                                            (r->due_reason.empty() ? "" : " (" + r->due_reason + ")"));
  });

  auto* rep = app.add_subcommand("report", "reports for the authority and auditors: pia, filing, compliance (REQ F1-F3)");
  rep->require_subcommand(1);
  auto* rp = rep->add_subcommand("pia", "the impact assessments as a document (--out FILE.html|.pdf)");
  rp->add_option("target", pia_target, "only the assessments of this purpose (or device with --device)");
  rp->add_flag("--device", pia_device, "TARGET is a device");
  rp->add_option("--out", out, "the report file, .html or .pdf")->required();
  rp->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ListAssessments(pia_target.empty() ? "" : pia_device ? "device" : "purpose", pia_target);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    Status st = reports::WriteReport(reports::AssessmentsHtml(*r, std::time(nullptr)), out);
    if (!st.ok()) { rc = Report(ctx, st); return; }
    rc = Print(ctx, {{"ok", true}, {"out", out}, {"assessments", r->size()}},
               "wrote " + out + " (" + std::to_string(r->size()) + " assessments)");
  });
  auto* rf = rep->add_subcommand("filing", "the count of people with face data against the filing line, and the "
                                           "filing pack for the provincial cyberspace office (REQ F2)");
  rf->add_option("--out", out, "write the filing pack to FILE (.html, .pdf or .json)");
  rf->add_flag("--tenants", tenants, "count the people of every tenant of this home too (one processor)");
  rf->callback([&] {
    if (!open()) return;
    auto pack = ctx.svc->FilingPack(ctx.actor, tenants);
    if (!pack.ok()) { rc = Report(ctx, pack.status()); return; }
    const json p = json::parse(*pack);
    std::string human = std::to_string(p.value("people_with_face_data", int64_t{0})) +
                        " distinct people hold face data; filing line " +
                        std::to_string(p.value("filing_line", int64_t{0}));
    if (!p.value("warning", std::string()).empty()) human += "\n" + p.value("warning", std::string());
    if (!out.empty()) {
      Status st = out.size() > 5 && out.compare(out.size() - 5, 5, ".json") == 0
                      ? WriteText(out, *pack)
                      : reports::WriteReport(reports::FilingHtml(*pack), out);
      if (!st.ok()) { rc = Report(ctx, st); return; }
      human += "\nwrote " + out;
    }
    rc = Print(ctx, p, human);
  });
  auto* rc_ = rep->add_subcommand("compliance", "the compliance report of a period (REQ F3): audit chain, consents, "
                                                "refusals, alternatives, rights, breaches, assessments, devices, accuracy");
  rc_->add_option("--from", from, "first day, YYYY-MM-DD (China Standard Time)")->required();
  rc_->add_option("--to", to, "last day, YYYY-MM-DD, included")->required();
  rc_->add_option("--eval", eval, "accuracy results: the output of `facegate eval verify PAIRS --json`");
  rc_->add_option("--out", out, "the report file, .html, .pdf or .json")->required();
  rc_->callback([&] {
    if (!open()) return;
    UnixTime f = 0, t = 0;
    if (!ParseDay(from, false, &f) || !ParseDay(to, true, &t)) {
      rc = Report(ctx, Status::InvalidInput("--from and --to are dates YYYY-MM-DD, e.g. --from 2026-01-01 --to 2026-03-31"));
      return;
    }
    auto r = ctx.svc->MakeComplianceReport(f, t, eval, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    const std::string j = reports::ComplianceJson(*r);
    Status st = out.size() > 5 && out.compare(out.size() - 5, 5, ".json") == 0
                    ? WriteText(out, j)
                    : reports::WriteReport(reports::ComplianceHtml(*r), out);
    if (!st.ok()) { rc = Report(ctx, st); return; }
    rc = Print(ctx, json::parse(j), "wrote " + out + " (audit chain " + (r->audit.intact ? "intact" : "BROKEN") +
                                        ", " + std::to_string(r->counts.audit_events) + " events in the period)");
  });
}

}  // namespace

void AddReportCommands(CLI::App& app, Cli& cli) { AddFamily<ReportCommands>(app, cli); }

}  // namespace facegate::cli
