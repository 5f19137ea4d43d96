#include "cli/consent_commands.h"

#include "cli/cli_util.h"

#include "service/json_views.h"

#include <iostream>
#include <string>

namespace facegate::cli {

using service::ConsentJson;
using service::FormatTime;

namespace {

// A subject's record as JSON and as a line for people (subject add, show, change-birth-date).
json SubjectJson(const service::SubjectInfo& s) {
  json j = {{"subject", s.id}, {"birth_date", s.birth_date.empty() ? json(nullptr) : json(s.birth_date)},
            {"age", s.age < 0 ? json(nullptr) : json(s.age)}, {"minor", s.minor}};
  if (s.adult_consent_at) j["own_consent_from"] = FormatTime(s.adult_consent_at).substr(0, 10);
  return j;
}

std::string SubjectHuman(const service::SubjectInfo& s) {
  if (s.birth_date.empty()) return s.id + ": no birth date declared (treated as an adult)";
  return s.id + ": born " + s.birth_date + ", age " + std::to_string(s.age) +
         (s.minor ? " (under 14: guardian consent only, REQ M1)" : "");
}

// The option values of `consent`: CLI11 fills them, the callbacks read them.
struct ConsentCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);

  service::Service::ConsentRequest cr;
  std::string c_option = "once", c_method = "click", c_valid;
  std::string c_kind = "processing";
  std::string w_subject, w_purpose;
  int64_t receipt_id = 0;
};

void ConsentCommands::Add(CLI::App& app) {
  // consent give / withdraw / list
  auto* consent = app.add_subcommand("consent", "give, withdraw and list consents (REQ C1-C5)");
  consent->require_subcommand(1);
  auto* cgive = consent->add_subcommand("give", "record a separate consent for one purpose");
  cgive->add_option("subject", cr.subject, "pseudonymous subject id")->required();
  cgive->add_option("purpose", cr.purpose)->required();
  cgive->add_option("--notice", cr.notice_id, "id of the notice shown and acknowledged (REQ N1)")->required();
  cgive->add_option("--option", c_option, "once | while_in_use | always (REQ C5)");
  cgive->add_option("--method", c_method, "click | written | guardian (REQ C2)");
  cgive->add_option("--evidence", cr.evidence, "written: signer and form hash; guardian: who and relation");
  cgive->add_option("--session", cr.session, "session the consent belongs to (while_in_use)");
  cgive->add_option("--valid", c_valid, "validity, e.g. 30d (default: once/while_in_use 1d, always = retention)");
  cgive->add_option("--kind", c_kind,
                    "processing (face processing for the purpose, default) | disclosure (handing the data "
                    "to --to RECIPIENT, REQ C8) | import (a template from a --source photo, REQ P1)")
      ->check(CLI::IsMember({"processing", "disclosure", "import"}));
  cgive->add_option("--to", cr.recipient, "disclosure: the one processor the data may go to (REQ C8)");
  cgive->add_option("--recipient-country", cr.recipient_country,
                    "disclosure to a recipient abroad: where it is, ISO 3166-1 alpha-2 (e.g. SG; REQ S8)");
  cgive->add_option("--recipient-contact", cr.recipient_contact,
                    "disclosure abroad: the recipient's contact the person was told (PIPL 39)");
  cgive->add_option("--recipient-rights", cr.recipient_rights,
                    "disclosure abroad: how the person exercises their rights against the recipient (PIPL 39)");
  cgive->add_option("--source", cr.source, "import: public-photo | profile-picture (REQ P1)");
  cgive->add_option("--guardian", cr.guardian, "guardian consent: the guardian's identity (REQ M1)");
  cgive->add_option("--relation", cr.guardian_relation, "guardian consent: relation to the subject, e.g. mother (REQ M1)");
  cgive->add_flag("--prompted", cr.prompted,
                  "the operator or device asked for this consent (refused within the quiet period after a "
                  "refusal, REQ C7); omit when the person came forward on their own");
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

  // consent refuse / may-ask; consent give --prompted, above (REQ C7; docs/compliance-alternatives.md)
  auto* crefuse = consent->add_subcommand("refuse", "record that the person refused; no re-prompt in the quiet period (REQ C7)");
  crefuse->add_option("subject", w_subject)->required();
  crefuse->add_option("purpose", w_purpose)->required();
  crefuse->callback([&] {
    if (!open()) return;
    Status st = ctx.svc->RefuseConsent(w_subject, w_purpose, ctx.actor);
    if (!st.ok()) { rc = Report(ctx, st, w_purpose); return; }
    rc = Print(ctx, {{"ok", true}, {"subject", w_subject}, {"purpose", w_purpose}},
               "refusal recorded: " + w_subject + " / " + w_purpose + "; do not ask again during the quiet period");
  });
  auto* cmay = consent->add_subcommand("may-ask", "may the operator ask for consent now? refused (C7) in the quiet period");
  cmay->add_option("subject", w_subject)->required();
  cmay->add_option("purpose", w_purpose)->required();
  cmay->callback([&] {
    if (!open()) return;
    Status st = ctx.svc->MayAskConsent(w_subject, w_purpose);
    if (!st.ok()) { rc = Report(ctx, st, w_purpose); return; }
    rc = Print(ctx, {{"ok", true}}, "yes: " + w_subject + " may be asked for consent to " + w_purpose);
  });
}

// The option values of `subject`: CLI11 fills them, the callbacks read them.
struct SubjectCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);

  std::string sj_id, sj_birth;
  std::string sj_reader, sj_reason;
  int64_t sj_valid = 3600;
  std::string sj_for;
};

void SubjectCommands::Add(CLI::App& app) {
  // subject add / show: declared birth date (REQ M1, M3; docs/compliance-minors.md)
  auto* subject = app.add_subcommand("subject", "register a subject and declare a birth date (REQ M1)");
  subject->require_subcommand(1);
  auto* sadd = subject->add_subcommand("add", "register a subject (pseudonymous id) with an optional birth date");
  sadd->add_option("id", sj_id, "pseudonymous subject id")->required();
  sadd->add_option("--birth-date", sj_birth, "declared birth date YYYY-MM-DD; under 14 needs a guardian (REQ M1)");
  sadd->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->DeclareSubject(sj_id, sj_birth, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json j = SubjectJson(*r);
    j["ok"] = true;
    rc = Print(ctx, j, SubjectHuman(*r));
  });
  auto* sshow = subject->add_subcommand("show", "the subject's record and age now (a child's record needs an approval and the read is audited, REQ M3)");
  sshow->add_option("id", sj_id)->required();
  sshow->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ShowSubject(sj_id, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, SubjectJson(*r), SubjectHuman(*r));
  });

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
    json j = SubjectJson(*r);
    j["ok"] = true;
    rc = Print(ctx, j, SubjectHuman(*r));
  });
}

}  // namespace

void AddConsentCommands(CLI::App& app, Cli& cli) { AddFamily<ConsentCommands>(app, cli); }
void AddSubjectCommands(CLI::App& app, Cli& cli) { AddFamily<SubjectCommands>(app, cli); }

}  // namespace facegate::cli
