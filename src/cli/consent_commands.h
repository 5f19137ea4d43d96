// `facegate consent ...` and `facegate subject ...`: consents, refusals and the declared birth
// date of a subject with its approvals (REQ C1-C8, M1, M3; docs/compliance-minors.md),
// kept apart from commands.cpp so the command table stays readable.
#pragma once

#include <CLI/CLI.hpp>

namespace facegate::cli {

struct Cli;  // cli/cli_util.h

// Adds `consent give|withdraw|receipt|list|refuse|may-ask` to `app`. `cli` must outlive parsing.
void AddConsentCommands(CLI::App& app, Cli& cli);

// Adds `subject add|show|approve|approve-birth-date|change-birth-date` to `app`. `cli` must
// outlive parsing.
void AddSubjectCommands(CLI::App& app, Cli& cli);

}  // namespace facegate::cli
