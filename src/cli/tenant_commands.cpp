#include "cli/tenant_commands.h"

#include <facegate/tenants.h>

#include <iostream>
#include <memory>

#include "service/json_views.h"

namespace facegate::cli {

using json = nlohmann::json;
using service::FormatTime;

namespace {

struct TenantArgs {
  std::string name, db, return_to, confirm, return_recipient;
  bool delete_only = false;
};

json RecordJson(const tenants::TenantRecord& t) {
  json j = {{"name", t.name},
            {"state", t.state},
            {"created_at", FormatTime(t.created_at)},
            {"database", t.database.empty() ? "sqlite" : "postgresql"}};
  j["ended_at"] = t.ended_at ? json(FormatTime(t.ended_at)) : json(nullptr);
  j["ended_how"] = t.ended_how.empty() ? json(nullptr) : json(t.ended_how);
  j["package_sha256"] = t.package_sha256.empty() ? json(nullptr) : json(t.package_sha256);
  if (t.state == "ending") {
    j["end_mode"] = t.end_mode;
    j["end_step"] = t.end_step;
    j["end_started_at"] = FormatTime(t.end_started_at);
  }
  return j;
}

}  // namespace

void AddTenantCommands(CLI::App& app, TenantCliContext& ctx) {
  auto a = std::make_shared<TenantArgs>();
  auto* tenant = app.add_subcommand(
      "tenant",
      "tenants: one isolated home (database, keys, API keys, audit chain) per company served; "
      "at the entrustment's end, return and delete its data (REQ S10, PIPL 21; docs/tenants.md)");
  tenant->require_subcommand(1);

  auto* create = tenant->add_subcommand(
      "create", "create a tenant: its own home under <home>/tenants/NAME with its own database and keys; "
                "then use it with --tenant NAME");
  create->add_option("name", a->name, "tenant name: 1-40 of a-z, 0-9, '-' (e.g. acme)")->required();
  create->add_option("--db", a->db,
                     "PostgreSQL conninfo of the tenant's own database (default: SQLite in its home); "
                     "two tenants never share one database");
  create->callback([a, &ctx] {
    auto root = ctx.root();
    if (!root.ok()) { *ctx.rc = ctx.report(root.status()); return; }
    tenants::TenantRegistry reg(*root);
    auto t = reg.Create(a->name, a->db);
    if (!t.ok()) { *ctx.rc = ctx.report(t.status()); return; }
    *ctx.rc = ctx.print(json{{"ok", true}, {"tenant", RecordJson(*t)}, {"home", reg.HomeOf(t->name)}},
                        "tenant " + t->name + " created: home " + reg.HomeOf(t->name) +
                            " (own database, master key and API keys)\n  use it with: facegate --tenant " +
                            t->name + " ...   serve it with: facegate serve --tenant " + t->name);
  });

  auto* list = tenant->add_subcommand(
      "list", "every tenant with its state; for active ones the counts of subjects, templates and consents");
  list->callback([&ctx] {
    auto root = ctx.root();
    if (!root.ok()) { *ctx.rc = ctx.report(root.status()); return; }
    tenants::TenantRegistry reg(*root);
    auto all = reg.List();
    if (!all.ok()) { *ctx.rc = ctx.report(all.status()); return; }
    json arr = json::array();
    std::string human;
    for (const tenants::TenantRecord& t : *all) {
      json j = RecordJson(t);
      std::string line = t.name + "\t" + t.state + "\tcreated " + FormatTime(t.created_at);
      if (t.state == "active") {
        auto c = reg.Counts(t.name);
        if (c.ok()) {
          j["subjects"] = c->subjects;
          j["templates"] = c->templates;
          j["consents"] = c->consents;
          j["active_consents"] = c->active_consents;
          line += "\tsubjects " + std::to_string(c->subjects) + ", templates " + std::to_string(c->templates) +
                  ", consents " + std::to_string(c->consents) + " (" + std::to_string(c->active_consents) +
                  " active)";
        } else {
          j["counts_error"] = c.status().message();
          line += "\tcounts unavailable: " + c.status().message();
        }
      } else if (t.state == "ended") {
        line += "\tended " + FormatTime(t.ended_at) + " (" + t.ended_how + ")";
        if (!t.package_sha256.empty()) line += "\tpackage sha256 " + t.package_sha256;
      } else {
        line += "\tending since " + FormatTime(t.end_started_at) + " (step " + t.end_step +
                "): run tenant end again to finish";
      }
      arr.push_back(j);
      human += line + "\n";
    }
    *ctx.rc = ctx.print(json{{"ok", true}, {"tenants", arr}},
                        human.empty() ? "no tenants (create one with: facegate tenant create NAME)"
                                      : human.substr(0, human.size() - 1));
  });

  auto* end = tenant->add_subcommand(
      "end",
      "end a tenant's entrustment (PIPL 21): --return-to DIR writes a package (every subject's export, "
      "consents, notices, purposes, rights requests, the verified audit log, a manifest of SHA-256 sums) "
      "into DIR/tenant-NAME, THEN deletes everything (templates and consents through the service, subject "
      "keys, master key, database, API keys); --delete-only --confirm NAME deletes without return. Refused "
      "while a serve holds the tenant; an interrupted end is finished by running it again");
  end->add_option("name", a->name, "the tenant")->required();
  end->add_option("--return-to", a->return_to, "folder the package is written into (as tenant-NAME/)");
  end->add_option("--return-recipient", a->return_recipient,
                  "who receives the package; one abroad (a transfer basis recorded for it) needs every "
                  "person's separate consent naming it (REQ S8)");
  end->add_flag("--delete-only", a->delete_only, "delete without returning anything (needs --confirm NAME)");
  end->add_option("--confirm", a->confirm, "the tenant's name again, to confirm --delete-only");
  end->callback([a, &ctx] {
    auto root = ctx.root();
    if (!root.ok()) { *ctx.rc = ctx.report(root.status()); return; }
    tenants::TenantRegistry reg(*root);
    tenants::EndOptions o;
    o.return_to = a->return_to;
    o.return_recipient = a->return_recipient;
    o.delete_only = a->delete_only;
    o.confirm = a->confirm;
    o.actor = *ctx.actor;
    auto r = reg.End(a->name, o);
    if (!r.ok()) { *ctx.rc = ctx.report(r.status()); return; }
    json j = {{"ok", true},
              {"tenant", RecordJson(r->tenant)},
              {"resumed", r->resumed},
              {"package", r->package_path.empty() ? json(nullptr) : json(r->package_path)},
              {"package_sha256", r->package_sha256.empty() ? json(nullptr) : json(r->package_sha256)},
              {"subjects_returned", r->subjects_returned},
              {"audit_intact", r->audit_intact},
              {"audit_events", r->audit_events},
              {"subjects_erased", r->subjects_erased},
              {"templates_deleted", r->templates_deleted},
              {"consents_withdrawn", r->consents_withdrawn},
              {"subject_keys_destroyed", r->keys_destroyed},
              {"removed", r->removed},
              {"database_left", r->database_left.empty() ? json(nullptr) : json(r->database_left)}};
    std::string h = "tenant " + r->tenant.name + " ended (" + r->tenant.ended_how + ") at " +
                    FormatTime(r->tenant.ended_at) + (r->resumed ? ", finishing an interrupted end" : "");
    if (!r->package_path.empty())
      h += "\n  returned: " + r->package_path + " (" + std::to_string(r->subjects_returned) +
           " subjects; audit chain " + (r->audit_intact ? "intact" : "BROKEN, see audit/verify.json") + ", " +
           std::to_string(r->audit_events) + " events)\n  package sha256 (of manifest.json): " +
           r->package_sha256;
    h += "\n  deleted: " + std::to_string(r->subjects_erased) + " subjects erased, " +
         std::to_string(r->templates_deleted) + " templates, " + std::to_string(r->consents_withdrawn) +
         " consents withdrawn";
    if (!r->removed.empty()) {
      h += "\n  shredded and removed:";
      for (const std::string& f : r->removed) h += " " + f;
    }
    if (!r->database_left.empty())
      h += "\n  facegate's tables were dropped from the " + r->database_left +
           "; the empty database itself may be dropped too (dropdb)";
    *ctx.rc = ctx.print(j, h);
  });
}

}  // namespace facegate::cli
