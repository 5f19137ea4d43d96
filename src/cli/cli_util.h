// Internal to src/cli/: the output helpers and the state that commands.cpp's command table
// shares with the command families (purpose_commands.cpp, consent_commands.cpp, ...).
#pragma once

#include <facegate/service.h>
#include <facegate/tenants.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace facegate::cli {

using json = nlohmann::json;

constexpr int kExitOk = 0, kExitInternal = 1, kExitInput = 2, kExitRefused = 3, kExitNotFound = 4,
              kExitConflict = 5, kExitIntegrity = 6, kExitNoMatch = 10;

int ExitCode(const Status& s);

struct Ctx {
  bool as_json = false;
  std::string home;
  std::string db;
  std::string actor = "cli";
  std::string tenant;  // --tenant: the tenant's home under <home>/tenants/ (REQ S10)
  std::optional<tenants::TenantLease> lease;  // held while a tenant is in use; an end waits for none
  std::unique_ptr<service::Service> svc;
};

// Prints an error (with the rule, citation and alternatives for refusals) and returns its exit code.
int Report(Ctx& ctx, const Status& st, const std::string& purpose = "");

int Print(Ctx& ctx, const json& j, const std::string& human);

Result<std::string> ReadFile(const std::string& path);

// Parses "365d", "12h", "30m", "90s" or a plain number of days into seconds.
std::optional<int64_t> ParseDuration(const std::string& s);

// The command table's state (commands.cpp's Run); lives until parsing ends.
struct Cli {
  Ctx ctx;
  int rc = kExitOk;             // the exit code to return
  std::function<bool()> open;  // opens ctx.svc (honouring --tenant); false after reporting why not
  std::vector<std::shared_ptr<void>> families;  // the families' option values, bound by CLI11
};

// Base of a command family: its callbacks reach the table's state as `ctx`, `rc` and `open()`;
// its option values are its members, so they live as long as the `Cli` that owns it.
struct Family {
  explicit Family(Cli& cli) : ctx(cli.ctx), rc(cli.rc), open(cli.open) {}
  Ctx& ctx;
  int& rc;
  std::function<bool()>& open;
};

// Makes a family `F` (a Family with `void Add(CLI::App&)`) owned by `cli` and adds its commands.
template <class F>
void AddFamily(CLI::App& app, Cli& cli) {
  auto f = std::make_shared<F>(cli);
  f->Add(app);
  cli.families.push_back(std::move(f));
}

}  // namespace facegate::cli
