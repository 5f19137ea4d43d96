// `facegate device ...`: recognition devices, their capture sessions and `device watch` (REQ D1-D7;
// docs/devices.md), kept apart from commands.cpp like the other families.
#pragma once

#include <CLI/CLI.hpp>

namespace facegate::cli {

struct Cli;  // cli/cli_util.h

// Adds `device register|list|show|signage|live|suspend|capture|frame|alternative|watch` to `app`.
// `cli` must outlive parsing.
void AddDeviceCommands(CLI::App& app, Cli& cli);

}  // namespace facegate::cli
