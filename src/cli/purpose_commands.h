// `facegate purpose ...` and `facegate notice ...`: processing purposes, their identification
// threshold and their notices (REQ A1, SC2, N1, N2),
// kept apart from commands.cpp so the command table stays readable.
#pragma once

#include <CLI/CLI.hpp>

namespace facegate::cli {

struct Cli;  // cli/cli_util.h

// Adds `purpose add|list|threshold` and `notice publish|show` to `app`. `cli` must outlive parsing.
void AddPurposeCommands(CLI::App& app, Cli& cli);

}  // namespace facegate::cli
