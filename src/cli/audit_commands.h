// `facegate audit ...`: the tamper-evident audit log (REQ S6, M3),
// kept apart from commands.cpp so the command table stays readable.
#pragma once

#include <CLI/CLI.hpp>

namespace facegate::cli {

struct Cli;  // cli/cli_util.h

// Adds `audit verify|checkpoint|list|minors` to `app`. `cli` must outlive parsing.
void AddAuditCommands(CLI::App& app, Cli& cli);

}  // namespace facegate::cli
