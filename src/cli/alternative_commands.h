// `facegate alternative ...`: the non-face path and its connectors (REQ A2, A4, C6, D7;
// docs/compliance-alternatives.md),
// kept apart from commands.cpp so the command table stays readable.
#pragma once

#include <CLI/CLI.hpp>

namespace facegate::cli {

struct Cli;  // cli/cli_util.h

// Adds `alternative choose|complete|connect|connectors|register|token|present` to `app`. `cli`
// must outlive parsing.
void AddAlternativeCommands(CLI::App& app, Cli& cli);

}  // namespace facegate::cli
