#include "server/server.h"

#include <httplib.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <regex>
#include <thread>

#include "server/server_impl.h"

namespace facegate::server {

bool RoleAllows(Role role, Access access) {
  switch (access) {
    case Access::kPublic:
      return true;
    case Access::kPurposes:
    case Access::kConsents:
      return role == Role::kAdmin || role == Role::kOperator;
    case Access::kFace:
      return role == Role::kAdmin || role == Role::kOperator || role == Role::kDevice;
    case Access::kAudit:
      return role == Role::kAdmin || role == Role::kAuditor;
    case Access::kGate:
    case Access::kKiosk:  // device keys: their own purposes only (DeviceMayAct in the handlers)
      return role == Role::kAdmin || role == Role::kOperator || role == Role::kDevice;
    case Access::kAdmin:
      return role == Role::kAdmin;
    case Access::kRights:
      return role == Role::kAdmin || role == Role::kOperator;
    case Access::kAnyKey:
      return true;
    case Access::kDeploymentRead:
    case Access::kRightsRead:
    case Access::kDashboard:
      return role == Role::kAdmin || role == Role::kOperator || role == Role::kAuditor;
  }
  return false;
}

// The families' route tables joined: each family's file holds its handlers beside the table that
// says their roles (server_purposes.cpp, server_consents.cpp, server_faces.cpp, server_audit.cpp,
// server_alternatives.cpp, server_rights.cpp, server_admin.cpp, server_devices.cpp,
// server_console.cpp).
const std::vector<RouteEntry>& RouteTable() {
  static const std::vector<RouteEntry> table = [] {
    std::vector<RouteEntry> all;
    for (const std::vector<RouteEntry>* family :
         {&PurposeRoutes(), &ConsentRoutes(), &FaceRoutes(), &AuditRoutes(), &AlternativeRoutes(),
          &RightsRoutes(), &AdminRoutes(), &DeviceRoutes(), &ConsoleRoutes(),
          &ReportRoutes()})
      all.insert(all.end(), family->begin(), family->end());
    return all;
  }();
  return table;
}

const std::vector<RouteInfo>& Routes() {
  static const std::vector<RouteInfo> routes = [] {
    std::vector<RouteInfo> infos;
    for (const RouteEntry& e : RouteTable()) infos.push_back(e.route);
    return infos;
  }();
  return routes;
}

Result<std::pair<std::string, int>> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    return Status::InvalidInput("--listen '" + listen + "' needs host:port, e.g. 127.0.0.1:8080");
  std::string host = listen.substr(0, colon), port_s = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  int port = -1;
  try {
    size_t pos = 0;
    port = std::stoi(port_s, &pos);
    if (pos != port_s.size()) port = -1;
  } catch (...) {
  }
  if (port < 0 || port > 65535)
    return Status::InvalidInput("--listen '" + listen +
                                "': the port must be a number from 0 to 65535");
  return std::make_pair(host, port);
}

namespace {

// ---- A bounded worker pool: fixed threads, a bounded queue; when full, accept waits ----

class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(size_t threads, size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {
    for (size_t i = 0; i < std::max<size_t>(1, threads); ++i)
      workers_.emplace_back([this] { Work(); });
  }
  ~BoundedPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return jobs_.size() < capacity_ || stop_; });
    jobs_.push_back(std::move(fn));
    not_empty_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_ && workers_.empty()) return;
      stop_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        not_empty_.wait(lock, [&] { return !jobs_.empty() || stop_; });
        if (jobs_.empty()) return;  // stopping and drained
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        not_full_.notify_one();
      }
      fn();
    }
  }
  size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> workers_;
  bool stop_ = false;
};

// "/v1/purposes/{name}" -> "/v1/purposes/([^/]+)"
std::string PathRegex(const std::string& path) {
  static const std::regex param(R"(\{[^}]+\})");
  return std::regex_replace(path, param, "([^/]+)");
}

}  // namespace

// Server::Impl is ServerImpl (server_impl.h), which the family files define the handlers of.
struct Server::Impl : ServerImpl {
  using ServerImpl::ServerImpl;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() {
  Stop();
}
int Server::port() const {
  return impl_->bound_port;
}

namespace {

// The kiosk and the console from `root` (web/build.mjs output). Everything a page loads comes
// from this server: the policy forbids any other origin, inline script and framing.
Status MountPages(httplib::Server& h, const std::string& root) {
  for (const char* page : {"kiosk", "console"}) {
    const std::string dir = root + "/" + page;
    if (!std::filesystem::exists(dir + "/index.html"))
      return Status::InvalidInput("the web pages are not built in " + root + " (no " + page +
                                  "/index.html); build them with `cmake --build build --target "
                                  "web`, or serve without pages (--no-web)");
    if (!h.set_mount_point(std::string("/") + page + "/", dir))
      return Status::InvalidInput("cannot serve the pages from " + dir + ": not a readable directory");
  }
  h.set_file_extension_and_mimetype_mapping("map", "application/json");
  h.set_file_extension_and_mimetype_mapping("js", "text/javascript; charset=utf-8");
  h.set_file_extension_and_mimetype_mapping("html", "text/html; charset=utf-8");
  h.set_file_request_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: "
                   "blob:; media-src 'self' blob: data:; connect-src 'self'; object-src 'none'; "
                   "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Permissions-Policy", "camera=(self), microphone=(), geolocation=()");
    res.set_header("Cache-Control", "no-cache");
  });
  auto to = [](const char* where) {
    return [where](const httplib::Request&, httplib::Response& res) { res.set_redirect(where); };
  };
  h.Get("/", to("/console/"));
  h.Get("/kiosk", to("/kiosk/"));
  h.Get("/console", to("/console/"));
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Create(service::Service& svc, ApiKeyStore& keys,
                                               const ServerConfig& config) {
  auto impl = std::make_unique<Impl>(svc, keys, config);
  Impl& I = *impl;
  if (!config.cert_file.empty() || !config.key_file.empty()) {
    if (config.cert_file.empty() || config.key_file.empty())
      return Status::InvalidInput("TLS needs both --cert and --key");
    auto ssl =
        std::make_unique<httplib::SSLServer>(config.cert_file.c_str(), config.key_file.c_str());
    if (!ssl->is_valid())
      return Status::InvalidInput("cannot load the TLS certificate " + config.cert_file +
                                  " or key " + config.key_file +
                                  "; check that both are PEM files and match");
    I.http = std::move(ssl);
  } else {
    I.http = std::make_unique<httplib::Server>();
  }
  httplib::Server& h = *I.http;
  const int threads = std::max(1, config.threads), queue = std::max(1, config.queue);
  h.new_task_queue = [threads, queue] { return new BoundedPool(threads, queue); };
  h.set_payload_max_length(config.max_body_bytes);
  h.set_read_timeout(config.read_timeout_s, 0);
  h.set_write_timeout(config.write_timeout_s, 0);
  h.set_keep_alive_timeout(config.keep_alive_timeout_s);
  h.set_keep_alive_max_count(100);
  // Errors httplib produces itself (no route, body too large, unreadable request) get a JSON body
  // too.
  const size_t max_body = config.max_body_bytes;
  h.set_error_handler([max_body](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string msg;
    if (res.status == 404)
      msg = "no route " + req.method + " " + req.path +
            "; the routes are listed in docs/openapi.yaml";
    else if (res.status == 413)
      msg = "the request body is larger than " + std::to_string(max_body >> 20) +
            " MiB; send a smaller photo (JPEG, at most a few MiB)";
    else if (res.status == 400 && req.method == "POST" && !req.has_header("Content-Length") &&
             !req.has_header("Transfer-Encoding"))
      msg = "a POST needs a Content-Length header, also for an empty body (curl: -d '')";
    else if (res.status == 400)
      msg = "the request could not be read; check the HTTP syntax and the Content-Type";
    else
      msg = "the request failed with HTTP " + std::to_string(res.status);
    SendJson(res, res.status, ErrorJson(ReasonCode(res.status), msg));
  });
  if (!config.web_root.empty()) {
    Status pages = MountPages(h, config.web_root);
    if (!pages.ok()) return pages;
  }
  for (const RouteEntry& e : RouteTable()) {
    const RouteInfo& r = e.route;
    const Handler m = e.handler;
    httplib::Server::Handler fn = [&I, &r, m](const httplib::Request& req, httplib::Response& res) {
      I.Dispatch(r, m, req, res);
    };
    const std::string pattern = PathRegex(r.path);
    if (r.method == "GET")
      h.Get(pattern, fn);
    else if (r.method == "POST")
      h.Post(pattern, [&I, &r, m](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
        I.DispatchWithBody(r, m, req, res, reader);
      });
    else
      return Status::Internal("unsupported method " + r.method);
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Status Server::Start() {
  Impl& I = *impl_;
  if (I.running) return Status::Conflict("the server is already running");
  const std::string where = I.config.host + ":" + std::to_string(I.config.port);
  if (I.config.port == 0) {
    I.bound_port = I.http->bind_to_any_port(I.config.host);
    if (I.bound_port <= 0) I.bound_port = 0;
  } else if (I.http->bind_to_port(I.config.host, I.config.port)) {
    I.bound_port = I.config.port;
  }
  if (I.bound_port == 0)
    return Status::Internal("cannot listen on " + where +
                            ": the address is in use or not permitted; choose another --listen");
  I.running = true;
  I.listener = std::thread([&I] { I.http->listen_after_bind(); });
  // Wait until the accept loop runs, so an early Stop() is not lost.
  for (int i = 0; i < 500 && !I.http->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return Status::Ok();
}

void Server::Stop() {
  Impl& I = *impl_;
  if (!I.running.exchange(false)) return;
  I.http->stop();
  if (I.listener.joinable()) I.listener.join();
}

}  // namespace facegate::server
