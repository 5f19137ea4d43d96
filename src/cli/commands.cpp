#include "cli/commands.h"
#include "cli/admin_commands.h"
#include "cli/alternative_commands.h"
#include "cli/audit_commands.h"
#include "cli/report_commands.h"
#include "cli/breach_commands.h"
#include "cli/cli_util.h"
#include "cli/consent_commands.h"
#include "cli/device_commands.h"
#include "cli/eval_commands.h"
#include "cli/face_commands.h"
#include "cli/purpose_commands.h"
#include "cli/rights_commands.h"
#include "cli/site_commands.h"
#include "cli/tenant_commands.h"

#include <facegate/service.h>
#include <facegate/tenants.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <utility>

namespace facegate::cli {

int Run(int argc, char** argv) {
  Cli cli;  // the state every command family shares (cli/cli_util.h)
  Ctx& ctx = cli.ctx;
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
  int& rc = cli.rc;

  cli.open = [&]() -> bool {
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

  // The commands, in the order `facegate --help` lists them, one family a file in src/cli/.
  // purpose add|list|threshold, notice publish|show (REQ A1, SC2, N1, N2; purpose_commands.cpp)
  AddPurposeCommands(app, cli);
  // consent give|withdraw|receipt|list|refuse|may-ask (REQ C1-C8; consent_commands.cpp)
  AddConsentCommands(app, cli);
  // enrol, verify, identify (REQ C1, SC1, SC2, D3; face_commands.cpp)
  AddFaceCommands(app, cli);
  // audit verify|checkpoint|list|minors (REQ S6, M3; audit_commands.cpp)
  AddAuditCommands(app, cli);
  // assessment create|approve|list|show, report pia|filing|compliance (REQ F1-F3; report_commands.cpp)
  AddReportCommands(app, cli);
  // analyze (REQ SC3, AN1-AN3; face_commands.cpp)
  AddAnalyzeCommands(app, cli);
  // retention sweep (REQ S5, S7; admin_commands.cpp)
  AddRetentionCommands(app, cli);
  // alternative choose|complete|connect|connectors|register|token|present
  // (REQ A2, A4, C6, D7; alternative_commands.cpp)
  AddAlternativeCommands(app, cli);
  // rules, models verify (admin_commands.cpp)
  AddRulesCommands(app, cli);
  // serve, apikey create|list|revoke (REST API, docs/api.md; admin_commands.cpp)
  AddServeCommands(app, cli);
  // eval verify|identify|attributes|eyes (REQ P3; eval_commands.cpp)
  AddEvalCommands(app, cli);
  // subject add|show|approve|approve-birth-date|change-birth-date (REQ M1, M3;
  // consent_commands.cpp)
  AddSubjectCommands(app, cli);
  // policy set|show, disclose, backup (REQ M2, C8, P2, S7; admin_commands.cpp)
  AddAdminCommands(app, cli);

  // rights request|list|show|complete|refuse|export|explain|correct|erase|withdraw|restrict|lift|review
  // (REQ R1, R2; src/cli/rights_commands.cpp, docs/rights.md)
  RightsCliContext rights_ctx{
      [&]() -> service::Service* { return cli.open() ? ctx.svc.get() : nullptr; },
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
  // device register|list|show|signage|live|suspend|capture|frame|alternative|watch
  // (REQ D1-D7; device_commands.cpp, docs/devices.md)
  AddDeviceCommands(app, cli);
  AddSiteCommands(app, cli);  // site check|map|register|list|show (REQ D4, D6; site_commands.cpp, docs/sites.md)

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
