// The REST API of facegate (`facegate serve`): HTTP/JSON under /v1/ over the
// Service, with API-key roles, per-key rate limits, body and time limits, and TLS
// when a certificate is given. docs/api.md is the user's guide, docs/openapi.yaml
// the contract; a test keeps Routes() and the YAML in step.
#pragma once

#include <facegate/service.h>
#include <facegate/status.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/api_keys.h"

namespace facegate::server {

// Which group of operations a route belongs to; the role matrix is over these.
enum class Access {
  kPublic,    // no key needed (health)
  kPurposes,  // purposes and notices, read and write
  kConsents,  // give, list, withdraw consents
  kFace,      // enrol and verify (device keys: own device and purposes only)
  kAudit,     // read and verify the audit log
  // What a gate or consent kiosk does besides face: show the notice, record a refusal,
  // ask whether it may prompt (REQ C7), the non-face alternative (REQ A2, C6).
  // Device keys: own device and purposes only.
  kGate,
  kAdmin,       // administration (retention sweep, the operator's identification threshold): admin keys only
  kRights,      // record and handle rights requests: export, correct, erase, restrict (REQ R1, R2)
  kRightsRead,  // read rights requests and their deadlines
  kDeploymentRead,  // read devices, capture sessions' devices and sites (admin, operator, auditor)
  kAnyKey,          // about the calling key itself (GET /v1/me): every role, a key needed
  // The person's own consent at a consent kiosk: give it, withdraw it in one step, read its
  // receipt (REQ C1, C2, C4: withdrawal on the same channel as giving). Admin and operator;
  // device keys for their own purposes only.
  kKiosk,
  kDashboard,       // the console's dashboard counts (REQ F2, R1): admin, operator, auditor read
};
// Whether a role may use a group (admin: all; operator: purposes, consents, face, gate;
// auditor: audit; device: face, gate and kiosk; rights: admin and operator handle, auditor reads;
// deployment (devices, sites): admin and operator and auditor read).
bool RoleAllows(Role role, Access access);

// One served route. `path` is written as in docs/openapi.yaml, e.g. /v1/purposes/{name}.
struct RouteInfo {
  std::string method;  // "GET", "POST"
  std::string path;
  Access access;
};
// Every route the server registers, in registration order.
const std::vector<RouteInfo>& Routes();

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;                  // 0: an ephemeral port (see Server::port())
  std::string cert_file, key_file;  // both set: HTTPS
  // Connection threads (bounded pool). A slow client holds one while its request arrives, so
  // there are many more of them than cores; the face work itself is bounded by face_workers.
  int threads = 32;
  int queue = 64;  // accepted connections waiting for a worker; beyond it accept waits
  size_t max_body_bytes = 16u << 20;  // larger bodies: 413
  double rate_per_second = 20;  // per API key (and per address for failed logins); <= 0: unlimited
  double rate_burst = 40;
  int read_timeout_s = 10, write_timeout_s = 10, keep_alive_timeout_s = 5;
  // A request body still arriving this long after the request began is cut off: 408. With the
  // per-read timeout it bounds how long a client trickling its body holds a thread.
  int request_deadline_s = 30;
  // Face requests (enrol, verify, identify, analyze, correct) decoded and run at once; the
  // others wait their turn without spending CPU. 0: the machine's hardware threads.
  int face_workers = 0;
  // Decode work per API key: pixels per second in the photos it sends (from their headers,
  // before any decoding), burst four times that; past it 429. <= 0: unlimited.
  double pixels_per_second = 50e6;
  // The built pages (<build>/web: kiosk/ and console/, docs/ui.md), served at /kiosk/ and
  // /console/ with a strict Content-Security-Policy. Empty: no pages, the API only.
  std::string web_root;
  // Where request lines go (method, path, status, key id, time; never headers or bodies).
  // Empty: standard error.
  std::function<void(const std::string&)> log;
};

class Server {
 public:
  // Routes requests to `svc`, authenticating with `keys`; both must outlive the Server.
  static Result<std::unique_ptr<Server>> Create(service::Service& svc, ApiKeyStore& keys,
                                                const ServerConfig& config);
  ~Server();  // stops

  // Binds and starts serving on background threads; kInternal if the address is taken
  // or the certificate cannot be loaded.
  Status Start();
  // The bound port (useful with port 0).
  int port() const;
  // Stops accepting, finishes running requests and joins the threads.
  void Stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" ("127.0.0.1:8080", "[::1]:8080", ":8080" = all interfaces).
Result<std::pair<std::string, int>> ParseListen(const std::string& listen);

}  // namespace facegate::server
