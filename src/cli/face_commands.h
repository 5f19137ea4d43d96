// `facegate enrol|verify|identify|analyze`: the face operations (REQ C1, SC1-SC3, AN1-AN3),
// kept apart from commands.cpp so the command table stays readable.
#pragma once

#include <CLI/CLI.hpp>

namespace facegate::cli {

struct Cli;  // cli/cli_util.h

// Adds `enrol`, `verify` and `identify` to `app`. `cli` must outlive parsing.
void AddFaceCommands(CLI::App& app, Cli& cli);

// Adds `analyze` (photos, a video file or a camera; counts or drowsiness) to `app`. `cli` must
// outlive parsing.
void AddAnalyzeCommands(CLI::App& app, Cli& cli);

}  // namespace facegate::cli
