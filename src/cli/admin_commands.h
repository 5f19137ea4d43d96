// The operator's commands: `retention`, `rules`, `models`, `serve`, `apikey`, `policy`,
// `disclose` and `backup` (REQ S5, S7, M2, C8, P2; docs/api.md),
// kept apart from commands.cpp so the command table stays readable.
#pragma once

#include <CLI/CLI.hpp>

namespace facegate::cli {

struct Cli;  // cli/cli_util.h

// Adds `retention sweep` to `app`. `cli` must outlive parsing (likewise below).
void AddRetentionCommands(CLI::App& app, Cli& cli);

// Adds `rules` and `models verify`.
void AddRulesCommands(CLI::App& app, Cli& cli);

// Adds `serve` and `apikey create|list|revoke` (REST API, docs/api.md).
void AddServeCommands(CLI::App& app, Cli& cli);

// Adds `policy set|show`, `disclose` and `backup`.
void AddAdminCommands(CLI::App& app, Cli& cli);

}  // namespace facegate::cli
