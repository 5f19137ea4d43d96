// `facegate site ...`: site files (REQ D4, D6; docs/sites.md): where recognition devices stand
// in a place, checked without a database, kept apart from commands.cpp like the other families.
#pragma once

#include <CLI/CLI.hpp>

namespace facegate::cli {

struct Cli;  // cli/cli_util.h

// Adds `site check|map` (the site file only: no data directory, no database) and
// `site register|list|show` (the registered sites) to `app`. `cli` must outlive parsing.
void AddSiteCommands(CLI::App& app, Cli& cli);

}  // namespace facegate::cli
