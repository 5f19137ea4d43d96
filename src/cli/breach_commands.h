// `facegate breach ...`: the breach workflow (REQ S9, PIPL 57; docs/breach.md),
// kept apart from commands.cpp like the rights commands.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/rights_commands.h"

namespace facegate::cli {

// The breach commands need what the rights commands need from the command table.
using BreachCliContext = RightsCliContext;

// Adds `breach open|assess|show|list|notify-authority|notify-people|no-notify|close`
// to `app`. `ctx` must outlive parsing.
void AddBreachCommands(CLI::App& app, BreachCliContext& ctx);

// Parses a time given on the command line: Unix seconds, "YYYY-MM-DD" (00:00 UTC) or
// "YYYY-MM-DDTHH:MM[:SS]Z" (UTC). nullopt when it is none of these.
std::optional<UnixTime> ParseCliTime(const std::string& s);

}  // namespace facegate::cli
