// Helpers of the tests that run on the `postgres` fixture's server.
#pragma once

#include <libpq-fe.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace facegate::testing {

// The fixture's libpq conninfo (written by pg-start.sh); empty if it did not start.
inline std::string BaseConninfo() {
  const char* f = std::getenv("FACEGATE_PG_CONNINFO_FILE");
  std::ifstream in(f ? f : FACEGATE_PG_CONNINFO_FILE);
  std::string s;
  std::getline(in, s);
  return s;
}

// Runs one administrative statement (e.g. creating a test's schema); true on success.
inline bool Admin(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  bool ok = PQstatus(c) == CONNECTION_OK;
  if (ok) {
    PGresult* r = PQexec(c, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
  }
  PQfinish(c);
  return ok;
}

}  // namespace facegate::testing
