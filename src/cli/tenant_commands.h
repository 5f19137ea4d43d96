// `facegate tenant ...`: create, list and end tenants (REQ S10; docs/tenants.md),
// kept apart from commands.cpp so the command table stays readable.
#pragma once

#include <facegate/service.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace facegate::cli {

// What the tenant commands need from the main command table.
struct TenantCliContext {
  // The root home's Config (--home / $FACEGATE_HOME, models); kInvalidInput when
  // --tenant was given too (the tenant commands act on the root, not inside a tenant).
  std::function<Result<service::Config>()> root;
  std::function<int(const Status&)> report;  // prints an error; returns its exit code
  std::function<int(const nlohmann::json&, const std::string&)> print;  // JSON or human output
  std::string* actor;                                                   // who acts ("cli")
  int* rc;                                                              // the exit code to return
};

// Adds the `tenant` command and its subcommands to `app`. `ctx` must outlive parsing.
void AddTenantCommands(CLI::App& app, TenantCliContext& ctx);

}  // namespace facegate::cli
