// REQ S1, S8: face data stays on this server unless a recorded basis says where
// the database is and why that is lawful; a remote host is refused before any
// connection is made (docs/compliance-storage.md).
#include <facegate/service.h>

#include "store/data_location.h"

namespace facegate::service {

Status CheckDatabaseLocation(const Config& config) {
  if (!IsPostgresConninfo(config.database)) return Status::Ok();  // embedded SQLite in data_dir
  FG_ASSIGN_OR_RETURN(std::vector<std::string> hosts, store::ConninfoHosts(config.database));
  for (const std::string& h : hosts) {
    if (store::IsLocalHost(h)) continue;
    if (!config.database_location_basis.empty()) continue;
    return Status::Refused(
        "S8", "the database host '" + h +
                  "' is not on this machine; face data stays on the local server and never "
                  "crosses a border by default. Use a local PostgreSQL (Unix socket or "
                  "127.0.0.1), or record where that server is and why keeping the data there is "
                  "lawful in FACEGATE_DB_LOCATION_BASIS (e.g. \"db1.internal: our data centre in "
                  "Shanghai, mainland China\"); a transfer abroad needs a PIPL 38 mechanism first");
  }
  return Status::Ok();
}

}  // namespace facegate::service
