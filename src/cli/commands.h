// The CLI's command table and output helpers.
#pragma once

namespace facegate::cli {

// Parses argv, runs the command, prints human or --json output; returns the exit code.
int Run(int argc, char** argv);

}  // namespace facegate::cli
