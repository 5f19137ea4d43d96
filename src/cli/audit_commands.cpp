#include "cli/audit_commands.h"

#include "cli/cli_util.h"

#include "service/json_views.h"

#include <string>

namespace facegate::cli {

using service::FormatTime;

namespace {

// The option values of `audit`: CLI11 fills them, the callbacks read them.
struct AuditCommands : Family {
  using Family::Family;
  void Add(CLI::App& app);

  int64_t a_after = 0, a_limit = 50;
  int am_year = 0;
};

void AuditCommands::Add(CLI::App& app) {
  // audit verify / list
  auto* audit = app.add_subcommand("audit", "the tamper-evident audit log (REQ S6)");
  audit->require_subcommand(1);
  auto* av = audit->add_subcommand("verify", "recompute the hash chain; name the first broken link");
  av->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->VerifyAudit();
    if (!r.ok()) { rc = Report(ctx, r.status()); return; }
    json j = {{"ok", r->intact}, {"intact", r->intact}, {"events", r->events},
              {"checkpoints", r->checkpoints}, {"anchored_seq", r->anchored_seq},
              {"pruned_through", r->pruned_through}};
    if (!r->intact) {
      j["first_broken_seq"] = r->first_broken_seq;
      j["reason"] = r->reason;
    }
    const std::string anchored =
        r->checkpoints ? ", " + std::to_string(r->checkpoints) + " signed checkpoint(s) up to event " +
                             std::to_string(r->anchored_seq) + " agree"
                       : ", no signed checkpoint yet (facegate audit checkpoint)";
    const std::string pruned = r->pruned_through ? ", from event " + std::to_string(r->pruned_through + 1) +
                                                       " on: retention pruned the older ones (REQ S5)"
                                                 : "";
    Print(ctx, j, r->intact ? "audit chain intact (" + std::to_string(r->events) + " events" + pruned + anchored + ")"
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
  auto* al = audit->add_subcommand("list", "print audit events");
  al->add_option("--after", a_after, "only events after this sequence number");
  al->add_option("--limit", a_limit, "at most this many events");
  al->callback([&] {
    if (!open()) return;
    auto r = ctx.svc->ListAudit(a_after, a_limit, ctx.actor);
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
}

}  // namespace

void AddAuditCommands(CLI::App& app, Cli& cli) { AddFamily<AuditCommands>(app, cli); }

}  // namespace facegate::cli
