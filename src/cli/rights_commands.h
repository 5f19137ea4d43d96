// `facegate rights ...`: the rights of the person (REQ R1, R2; docs/rights.md),
// kept apart from commands.cpp so the command table stays readable.
#pragma once

#include <facegate/service.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace facegate::cli {

// What the rights commands need from the main command table.
struct RightsCliContext {
  std::function<service::Service*()> open;   // opens the service; nullptr after printing why not
  std::function<int(const Status&)> report;  // prints an error; returns its exit code
  std::function<int(const nlohmann::json&, const std::string&)> print;  // JSON or human output
  std::function<bool()> as_json;                                        // --json given
  std::string* actor;                                                   // who acts ("cli")
  int* rc;                                                              // the exit code to return
};

// Adds the `rights` command and its subcommands to `app`. `ctx` must outlive parsing.
void AddRightsCommands(CLI::App& app, RightsCliContext& ctx);

}  // namespace facegate::cli
