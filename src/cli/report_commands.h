// `facegate assessment ...` and `facegate report pia|filing|compliance`: impact assessments,
// the filing line and the compliance reports (REQ F1-F3; docs/reports.md).
#pragma once

#include <CLI/CLI.hpp>

namespace facegate::cli {

struct Cli;  // cli/cli_util.h

// Adds `assessment create|approve|list|show` and `report pia|filing|compliance` to `app`.
void AddReportCommands(CLI::App& app, Cli& cli);

}  // namespace facegate::cli
