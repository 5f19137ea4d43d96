// The `facegate` command: every capability of the service from a terminal.
// Exit codes: 0 ok (verify: match), 1 internal error, 2 bad input or usage,
// 3 refused by the compliance core, 4 not found, 5 conflict, 6 integrity
// failure, 10 verify ran but the face did not match.
#include <facegate/service.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"

int main(int argc, char** argv) { return facegate::cli::Run(argc, argv); }
