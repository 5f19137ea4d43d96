// Where the database lives (REQ S1, S8): facegate keeps face data on the local
// server by default, so it parses a PostgreSQL conninfo before connecting and
// tells local hosts (Unix socket, loopback) from remote ones.
#pragma once

#include <facegate/status.h>

#include <string>
#include <vector>

namespace facegate::store {

// The hosts a libpq conninfo (URI or key=value) would connect to, from host=,
// hostaddr= or, when the conninfo names none, $PGHOST/$PGHOSTADDR. An empty
// entry stands for libpq's default, the local Unix socket. kInvalidInput when
// the conninfo does not parse.
Result<std::vector<std::string>> ConninfoHosts(const std::string& conninfo);

// True for a Unix socket directory ("/run/postgresql", "@abstract"), "" (the
// default socket), "localhost" and loopback addresses (127.0.0.0/8, ::1).
bool IsLocalHost(const std::string& host);

}  // namespace facegate::store
