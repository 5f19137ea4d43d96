#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"facegate: face recognition that is lawful by construction"};
  CLI11_PARSE(app, argc, argv);
  return 0;
}
