#include "cli/alternative_commands.h"

#include "cli/cli_util.h"

#include <iostream>
#include <string>

namespace facegate::cli {

namespace {

// A secret or credential is read from standard input, one line, so it never appears in the
// process list or the shell history.
Result<std::string> ReadStdinLine(const std::string& what) {
  std::string line;
  if (!std::getline(std::cin, line))
    return Status::InvalidInput("no " + what + " on standard input: pipe it in, e.g. `echo 1234 | facegate ...`");
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

// The option values of `alternative`: CLI11 fills them, the callbacks read them.
struct AlternativeCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);

  std::string alt_subject, alt_purpose, alt_method, alt_session, alt_outcome;
  int64_t alt_id = 0;
  std::string altc_kind = "staff", altc_config = "{}";
  int64_t altc_valid = 300;
};

void AlternativeCommands::Add(CLI::App& app) {
  // alternative choose / complete (REQ A2, C6, D7; docs/compliance-alternatives.md); consent
  // refuse / may-ask and consent give --prompted (REQ C7) are in consent_commands.cpp
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
    auto secret = ReadStdinLine("PIN or card number");
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
    auto cred = ReadStdinLine("credential");
    if (!cred.ok()) { rc = Report(ctx, cred.status()); return; }
    if (!open()) return;
    auto r = ctx.svc->PresentAlternative(alt_id, *cred, ctx.actor);
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    rc = Print(ctx, {{"ok", true}, {"transaction", alt_id}, {"outcome", r->outcome}, {"connector", r->connector},
                     {"reason", r->reason}, {"attempts_left", r->attempts_left}},
               "transaction " + std::to_string(alt_id) + ": " + r->outcome + " (" + r->connector + ": " + r->reason +
                   (r->outcome == "retry" ? "; " + std::to_string(r->attempts_left) + " attempt(s) left" : "") + ")");
  });
}

}  // namespace

void AddAlternativeCommands(CLI::App& app, Cli& cli) { AddFamily<AlternativeCommands>(app, cli); }

}  // namespace facegate::cli
