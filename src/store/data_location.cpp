#include "store/data_location.h"

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>

namespace facegate::store {
namespace {

std::vector<std::string> SplitHosts(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = list.find(',', start);
    out.push_back(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> ConninfoHosts(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (!opts) {
    std::string why = err ? err : "out of memory";
    if (err) PQfreemem(err);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Status::InvalidInput("database conninfo does not parse (" + why +
                                "); write e.g. host=/run/postgresql dbname=facegate");
  }
  std::string host, hostaddr;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    if (std::strcmp(o->keyword, "host") == 0) host = o->val;
    if (std::strcmp(o->keyword, "hostaddr") == 0) hostaddr = o->val;
  }
  PQconninfoFree(opts);
  // libpq falls back to the environment when the conninfo names no host.
  if (host.empty() && hostaddr.empty()) {
    if (const char* h = std::getenv("PGHOST")) host = h;
    if (const char* a = std::getenv("PGHOSTADDR")) hostaddr = a;
  }
  // hostaddr, when given, is the address actually used; host is then only a name.
  return SplitHosts(hostaddr.empty() ? host : hostaddr);
}

bool IsLocalHost(const std::string& host) {
  if (host.empty() || host[0] == '/' || host[0] == '@') return true;  // Unix socket
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

}  // namespace facegate::store
