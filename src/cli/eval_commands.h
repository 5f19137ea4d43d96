// `facegate eval ...`: accuracy on your own labelled photos (research grant, REQ P3),
// kept apart from commands.cpp so the command table stays readable.
#pragma once

#include <CLI/CLI.hpp>

namespace facegate::cli {

struct Cli;  // cli/cli_util.h

// Adds `eval verify|identify|attributes|eyes` to `app`. `cli` must outlive parsing.
void AddEvalCommands(CLI::App& app, Cli& cli);

}  // namespace facegate::cli
