#include "cli/rights_commands.h"

#include <fstream>
#include <memory>
#include <sstream>

#include "service/json_views.h"
#include "store/fs_util.h"

namespace facegate::cli {

using json = nlohmann::json;

namespace {

// Option values of every rights subcommand; shared by their callbacks.
struct RightsArgs {
  std::string subject, kind, purpose, note, reason, outcome, photo, session, format, out;
  int64_t id = 0, request = 0, event = 0, limit = 10;
  bool open_only = false, overdue_only = false;
};

std::string Line(const RightsRequestRecord& r, UnixTime now) {
  std::string s = std::to_string(r.id) + "\t" + r.subject + "\t" + r.kind + "\t" + r.status +
                  (r.overdue_at(now) ? " OVERDUE" : "") + "\treceived " +
                  service::FormatTime(r.received_at) + "\tdue " + service::FormatTime(r.due_at);
  if (!r.purpose.empty()) s += "\t" + r.purpose;
  if (!r.reason.empty()) s += "\treason: " + r.reason;
  return s;
}

UnixTime Now(service::Service& svc) {
  return svc.config().clock ? svc.config().clock() : static_cast<UnixTime>(std::time(nullptr));
}

}  // namespace

void AddRightsCommands(CLI::App& app, RightsCliContext& ctx) {
  auto a = std::make_shared<RightsArgs>();
  auto* rights = app.add_subcommand(
      "rights",
      "rights of the person: requests tracked to their deadline, export, correction, deletion, "
      "restriction, explanation, human review (REQ R1, R2; docs/rights.md)");
  rights->require_subcommand(1);

  // Prints one request, or the error; sets the exit code.
  auto show_request = [&ctx](service::Service& svc, const Result<RightsRequestRecord>& r,
                             const std::string& verb) {
    if (!r.ok()) {
      *ctx.rc = ctx.report(r.status());
      return;
    }
    *ctx.rc = ctx.print(json{{"ok", true}, {"request", service::RightsRequestJson(*r, Now(svc))}},
                        verb + ": " + Line(*r, Now(svc)));
  };

  std::string kinds;
  for (const std::string& k : service::RightsKinds()) kinds += (kinds.empty() ? "" : " | ") + k;
  auto* req = rights->add_subcommand(
      "request", "record a person's request with its deadline (default 15 days)");
  req->add_option("subject", a->subject, "pseudonymous subject id of the person asking")
      ->required();
  req->add_option("kind", a->kind, kinds)->required();
  req->add_option("--purpose", a->purpose, "the purpose concerned (default: every purpose)");
  req->add_option("--note", a->note, "how and where it was asked");
  req->add_option("--event", a->event,
                  "human_review: the audit seq of the identification to review (REQ R2)");
  req->callback([a, &ctx, show_request] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    service::RightsRequestInput in{a->subject, a->kind, a->purpose, a->note, a->event};
    show_request(*svc, svc->OpenRightsRequest(in, *ctx.actor), "request recorded");
  });

  auto* list = rights->add_subcommand(
      "list", "list requests, newest first; overdue ones are marked OVERDUE");
  list->add_option("--subject", a->subject, "only this person's requests");
  list->add_flag("--open", a->open_only, "only requests still open");
  list->add_flag("--overdue", a->overdue_only, "only open requests past their deadline");
  list->callback([a, &ctx] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    auto rs = svc->ListRightsRequests(a->subject, a->open_only || a->overdue_only);
    if (!rs.ok()) {
      *ctx.rc = ctx.report(rs.status());
      return;
    }
    const UnixTime now = Now(*svc);
    json arr = json::array();
    std::string human;
    int64_t overdue = 0;
    for (const RightsRequestRecord& r : *rs) {
      if (a->overdue_only && !r.overdue_at(now)) continue;
      overdue += r.overdue_at(now);
      arr.push_back(service::RightsRequestJson(r, now));
      human += Line(r, now) + "\n";
    }
    if (human.empty()) human = "no requests\n";
    if (overdue) human += std::to_string(overdue) + " request(s) overdue\n";
    *ctx.rc = ctx.print(json{{"ok", true}, {"requests", arr}, {"overdue", overdue}},
                        human.substr(0, human.size() - 1));
  });

  auto* show = rights->add_subcommand("show", "one request with its detail");
  show->add_option("id", a->id, "request id")->required();
  show->callback([a, &ctx] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    auto r = svc->GetRightsRequest(a->id);
    if (!r.ok()) {
      *ctx.rc = ctx.report(r.status());
      return;
    }
    json j = service::RightsRequestJson(*r, Now(*svc));
    *ctx.rc = ctx.print(json{{"ok", true}, {"request", j}},
                        Line(*r, Now(*svc)) + "\ndetail: " + j["detail"].dump(2));
  });

  auto* complete = rights->add_subcommand(
      "complete", "mark an open request done (what was done elsewhere, in --note)");
  complete->add_option("id", a->id, "request id")->required();
  complete->add_option("--note", a->note, "what was done");
  complete->callback([a, &ctx, show_request] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    show_request(*svc, svc->CompleteRightsRequest(a->id, a->note, *ctx.actor), "request done");
  });

  auto* refuse = rights->add_subcommand(
      "refuse", "refuse an open request, giving the person the reason (REQ R1)");
  refuse->add_option("id", a->id, "request id")->required();
  refuse
      ->add_option("--reason", a->reason,
                   "the law or fact that prevents it, in words the person understands")
      ->required();
  refuse->callback([a, &ctx, show_request] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    show_request(*svc, svc->RefuseRightsRequest(a->id, a->reason, *ctx.actor), "request refused");
  });

  // Prints a document as JSON (--json or --format json) or Markdown, to stdout or --out.
  auto emit = [a, &ctx](const service::RightsDocument& doc, const std::string& what) {
    const bool as_json = a->format == "json" || (a->format.empty() && ctx.as_json());
    const std::string body = as_json ? doc.json : doc.markdown;
    if (a->out.empty()) {
      std::cout << body << (body.empty() || body.back() == '\n' ? "" : "\n");
      *ctx.rc = 0;
      return;
    }
    // An export is everything held about a person: 0600 whatever the umask.
    if (Status written = store::WritePrivateFile(a->out, body); !written.ok()) {
      *ctx.rc = ctx.report(written);
      return;
    }
    *ctx.rc = ctx.print(
        json{{"ok", true}, {"request", doc.request_id}, {"file", a->out}},
        what + " written to " + a->out + " (request " + std::to_string(doc.request_id) + ")");
  };

  auto* exp = rights->add_subcommand("export",
                                     "access and copy: everything held about the person (REQ R1)");
  exp->add_option("subject", a->subject, "pseudonymous subject id")->required();
  exp->add_option("--request", a->request,
                  "the access/copy request this answers (default: recorded now)");
  exp->add_option("--format", a->format, "markdown (default) | json")
      ->check(CLI::IsMember({"markdown", "json"}));
  exp->add_option("--out", a->out, "write to this file instead of standard output");
  exp->callback([a, &ctx, emit] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    auto doc = svc->ExportSubject(a->subject, a->request, *ctx.actor);
    if (!doc.ok()) {
      *ctx.rc = ctx.report(doc.status());
      return;
    }
    emit(*doc, "export of " + a->subject);
  });

  auto* explain = rights->add_subcommand(
      "explain", "the rules applied to the person's latest decisions (REQ R1)");
  explain->add_option("subject", a->subject, "pseudonymous subject id")->required();
  explain->add_option("--limit", a->limit, "how many decisions, newest first (default 10)");
  explain->add_option("--request", a->request,
                      "the explanation request this answers (default: recorded now)");
  explain->add_option("--format", a->format, "markdown (default) | json")
      ->check(CLI::IsMember({"markdown", "json"}));
  explain->add_option("--out", a->out, "write to this file instead of standard output");
  explain->callback([a, &ctx, emit] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    auto doc = svc->ExplainDecisions(a->subject, a->limit, a->request, *ctx.actor);
    if (!doc.ok()) {
      *ctx.rc = ctx.report(doc.status());
      return;
    }
    emit(*doc, "explanation for " + a->subject);
  });

  auto* correct = rights->add_subcommand("correct",
                                         "correction: replace the person's templates for a purpose "
                                         "with a new photo (old ones deleted)");
  correct->add_option("subject", a->subject, "pseudonymous subject id")->required();
  correct->add_option("purpose", a->purpose)->required();
  correct->add_option("photo", a->photo, "JPEG, PNG, WebP or BMP with the person's face")->required();
  correct->add_option("--session", a->session, "session for while_in_use consents");
  correct->add_option("--request", a->request,
                      "the person's open correction request, approved by another person "
                      "(facegate rights approve ID)")
      ->required();
  correct->callback([a, &ctx] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    std::ifstream in(a->photo, std::ios::binary);
    if (!in) {
      *ctx.rc = ctx.report(Status::NotFound("cannot open file " + a->photo + ": check the path"));
      return;
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();
    auto r = svc->CorrectEnrolment(a->subject, a->purpose, bytes.str(), a->session, a->request,
                                   *ctx.actor);
    if (!r.ok()) {
      *ctx.rc = ctx.report(r.status());
      return;
    }
    *ctx.rc = ctx.print(json{{"ok", true},
                             {"request", r->request_id},
                             {"templates_replaced", r->templates_replaced},
                             {"template_id", r->template_id},
                             {"model", r->model},
                             {"expires_at", service::FormatTime(r->expires_at)}},
                        "corrected " + a->subject + " / " + a->purpose + ": " +
                            std::to_string(r->templates_replaced) +
                            " template(s) replaced by template " + std::to_string(r->template_id) +
                            " (request " + std::to_string(r->request_id) + ")");
  });

  auto* erase = rights->add_subcommand("erase",
                                       "deletion: consents withdrawn, templates deleted, key "
                                       "destroyed, identity anonymised (REQ R1, S7)");
  erase->add_option("subject", a->subject, "pseudonymous subject id")->required();
  erase->add_option("--request", a->request,
                    "the deletion request this answers (default: recorded now)");
  erase->callback([a, &ctx] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    auto r = svc->EraseSubject(a->subject, a->request, *ctx.actor);
    if (!r.ok()) {
      *ctx.rc = ctx.report(r.status());
      return;
    }
    *ctx.rc = ctx.print(json{{"ok", true},
                             {"request", r->request_id},
                             {"consents_withdrawn", r->consents_withdrawn},
                             {"templates_deleted", r->templates_deleted},
                             {"key_destroyed", r->key_destroyed},
                             {"identity_anonymised", r->identity_anonymised}},
                        "erased " + a->subject + ": " + std::to_string(r->consents_withdrawn) +
                            " consent(s) withdrawn, " + std::to_string(r->templates_deleted) +
                            " template(s) deleted, key destroyed" +
                            (r->identity_anonymised ? ", identity anonymised" : "") + " (request " +
                            std::to_string(r->request_id) + ")");
  });

  auto* withdraw = rights->add_subcommand(
      "withdraw", "withdrawal through a tracked request (as consent withdraw; REQ C4)");
  withdraw->add_option("subject", a->subject, "pseudonymous subject id")->required();
  withdraw->add_option("purpose", a->purpose)->required();
  withdraw->add_option("--request", a->request,
                       "the withdrawal request this answers (default: recorded now)");
  withdraw->callback([a, &ctx] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    auto r = svc->WithdrawByRequest(a->subject, a->purpose, a->request, *ctx.actor);
    if (!r.ok()) {
      *ctx.rc = ctx.report(r.status());
      return;
    }
    *ctx.rc = ctx.print(json{{"ok", true},
                             {"consents_withdrawn", r->consents_withdrawn},
                             {"templates_deleted", r->templates_deleted},
                             {"key_destroyed", r->key_destroyed}},
                        "withdrawn: " + std::to_string(r->consents_withdrawn) + " consent(s), " +
                            std::to_string(r->templates_deleted) + " template(s) deleted");
  });

  auto* restrict = rights->add_subcommand(
      "restrict",
      "restriction: every face operation for the person is refused (R1), data kept, until lifted");
  restrict->add_option("subject", a->subject, "pseudonymous subject id")->required();
  restrict->add_option("--request", a->request,
                       "the restriction request this answers (default: recorded now)");
  restrict->callback([a, &ctx] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    auto r = svc->RestrictSubject(a->subject, a->request, *ctx.actor);
    if (!r.ok()) {
      *ctx.rc = ctx.report(r.status());
      return;
    }
    *ctx.rc = ctx.print(json{{"ok", true},
                             {"subject", a->subject},
                             {"restriction", r->id},
                             {"request", r->request_id},
                             {"placed_at", service::FormatTime(r->placed_at)}},
                        "processing of " + a->subject + " restricted (request " +
                            std::to_string(r->request_id) +
                            "); lift it with `facegate rights lift " + a->subject + "`");
  });

  auto* lift = rights->add_subcommand(
      "lift", "lift the restriction: processing resumes under the existing consents");
  lift->add_option("subject", a->subject, "pseudonymous subject id")->required();
  lift->callback([a, &ctx] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    Status st = svc->LiftRestriction(a->subject, *ctx.actor);
    if (!st.ok()) {
      *ctx.rc = ctx.report(st);
      return;
    }
    *ctx.rc = ctx.print(json{{"ok", true}, {"subject", a->subject}},
                        "restriction of " + a->subject + " lifted");
  });

  auto* approve = rights->add_subcommand(
      "approve",
      "approve an open correction request as a second person, after checking the person's identity "
      "(REQ R1): `facegate --actor dpo rights approve 12 --reason \"ID card checked\"`");
  approve->add_option("id", a->id, "the correction request id")->required();
  approve->add_option("--reason", a->reason, "how the person's identity was checked")->required();
  approve->callback([a, &ctx] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    Status st = svc->ApproveCorrection(a->id, a->reason, *ctx.actor);
    if (!st.ok()) {
      *ctx.rc = ctx.report(st);
      return;
    }
    *ctx.rc = ctx.print(json{{"ok", true}, {"request", a->id}, {"approved_by", *ctx.actor}},
                        "correction request " + std::to_string(a->id) + " approved by " + *ctx.actor);
  });

  auto* review = rights->add_subcommand(
      "review",
      "record the human review of a 1:N decision on an open human_review request (REQ R2)");
  review->add_option("id", a->id, "the human_review request id")->required();
  review->add_option("outcome", a->outcome, "confirmed | overturned")->required();
  review->add_option("--reason", a->reason, "the reviewer's reason")->required();
  review->callback([a, &ctx, show_request] {
    service::Service* svc = ctx.open();
    if (!svc) return;
    show_request(*svc, svc->RecordReview(a->id, a->outcome, a->reason, *ctx.actor),
                 "review recorded");
  });
}

}  // namespace facegate::cli
