// Tenants (REQ S10, PIPL 21): facegate serving several companies, each isolated
// by construction. A tenant is its own facegate home, <home>/tenants/<name>/,
// with its own database, master key, subject keys, API keys and audit chain;
// no code path opens two tenants' stores in one Service. At the end of the
// entrustment a tenant's data is returned (a package with a manifest of
// SHA-256 sums) and deleted, or deleted only; the registry at
// <home>/tenants/registry.json keeps who ended when and how (docs/tenants.md).
#pragma once

#include <facegate/records.h>
#include <facegate/service.h>
#include <facegate/status.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace facegate::tenants {

// One entry of the tenant registry.
struct TenantRecord {
  std::string name;
  UnixTime created_at = 0;
  std::string state;     // "active", "ending" (an end started and not finished), "ended"
  std::string database;  // PostgreSQL conninfo given at create; "" = SQLite in the tenant's home
  UnixTime ended_at = 0;
  std::string ended_how;       // "returned+deleted" or "deleted"
  std::string package_sha256;  // SHA-256 of the returned package's manifest.json ("" if none)
  std::string package_path;    // where the package was written ("" if none)
  // While "ending" (so a second `tenant end` can finish the job):
  std::string end_mode;  // "return" or "delete"
  std::string end_step;  // "started", "returned" (package written), "deleting"
  UnixTime end_started_at = 0;
};

// What an active tenant holds, for `tenant list`.
struct TenantCounts {
  int64_t subjects = 0, templates = 0, consents = 0, active_consents = 0;
};

// How a tenant is ended.
struct EndOptions {
  // Return: the package goes to <return_to>/tenant-<name>/ (must not exist yet).
  std::string return_to;
  // Who receives it, when named: a recipient abroad (a transfer basis recorded in the tenant's
  // home) needs every person's separate consent naming it (REQ S8). "": the tenant itself, here.
  std::string return_recipient;
  // Delete without return: an explicit choice, confirmed by repeating the name.
  bool delete_only = false;
  std::string confirm;
  std::string actor = "cli";
  // Called after each durable step ("ending", "returned", "erased", "keys-destroyed",
  // "files-removed"); returning false stops the end there, as a crash would, leaving
  // the tenant "ending" for a later `tenant end` to finish. May be empty.
  std::function<bool(const std::string& step)> on_step;
};

// What an end did.
struct EndReport {
  TenantRecord tenant;  // the registry entry afterwards (state "ended")
  bool resumed = false;  // an earlier, interrupted end was finished
  std::string package_path;
  std::string package_sha256;
  int64_t subjects_returned = 0;  // subject exports in the package
  int64_t subjects_erased = 0;    // erased through the Service before the files went
  int64_t templates_deleted = 0, consents_withdrawn = 0, keys_destroyed = 0;
  bool audit_intact = false;  // the returned audit chain verified (REQ S6)
  int64_t audit_events = 0;
  std::vector<std::string> removed;  // files shredded and removed, relative to the tenant home
  // PostgreSQL: the database whose facegate tables were dropped; the (empty) database
  // itself is the operator's to drop. "" for SQLite.
  std::string database_left;
};

// Checks a tenant name: [a-z0-9][a-z0-9-]{0,39}. kInvalidInput saying what is allowed.
Status CheckTenantName(const std::string& name);

// A shared hold on one tenant's home for as long as a process uses it (a serve,
// a CLI command). An end needs the exclusive hold, so it is refused while any
// lease is held, and a lease is refused while an end runs. Released on destruction.
class TenantLease {
 public:
  TenantLease(TenantLease&&) noexcept;
  TenantLease& operator=(TenantLease&&) noexcept;
  ~TenantLease();

 private:
  friend class TenantRegistry;
  friend Result<std::optional<TenantLease>> LeaseIfTenantHome(const std::string& data_dir);
  explicit TenantLease(int fd);
  int fd_ = -1;
};

// The registry of tenants under one root home (`<root_home>/tenants/`).
class TenantRegistry {
 public:
  // `base` gives the root home (data_dir) and the model settings every tenant's
  // Service uses; its `database` is not used (each tenant records its own).
  explicit TenantRegistry(service::Config base);

  // The tenant's home: <root>/tenants/<name>.
  std::string HomeOf(const std::string& name) const;

  // Creates a tenant: its home (0700), database, master key. `database` "" is
  // SQLite in the home; a PostgreSQL conninfo must name a database no other
  // tenant uses (kConflict). kConflict also when the name exists or existed.
  Result<TenantRecord> Create(const std::string& name, const std::string& database);
  // Every tenant ever created, by name.
  Result<std::vector<TenantRecord>> List();
  // kNotFound naming the tenants that exist.
  Result<TenantRecord> Get(const std::string& name);
  // Counts of an active tenant's records (opens its store under a lease).
  Result<TenantCounts> Counts(const std::string& name);

  // The Config of an active tenant's Service and a lease held for its use.
  // kNotFound if never created; kRefused "S10" if it ended (naming when and how)
  // or is being ended, or kConflict while an end holds it.
  Result<std::pair<service::Config, TenantLease>> OpenTenant(const std::string& name);

  // Returns and deletes, or only deletes, the tenant's data (REQ S10, S7): see
  // EndOptions. Refused (kConflict) while a serve or another command holds the
  // tenant. Resumes an end that was interrupted. Returns what was done.
  Result<EndReport> End(const std::string& name, const EndOptions& options);

 private:
  Status Mutate(const std::function<Status(std::vector<TenantRecord>&)>& change);
  service::Config base_;
  std::string dir_;  // <root>/tenants
};

// If `data_dir` is a tenant's home opened directly (--home .../tenants/<name>),
// refuses an ended tenant (kRefused "S10") and returns a lease on it; nullopt
// for a home that is not a tenant's.
Result<std::optional<TenantLease>> LeaseIfTenantHome(const std::string& data_dir);

}  // namespace facegate::tenants
