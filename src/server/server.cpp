#include "server/server.h"

#include <httplib.h>
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "policy/notice.h"
#include "policy/rules.h"
#include "server/rate_limit.h"
#include "server/request.h"
#include "service/json_views.h"
#include "service/liveness_check.h"
#include "vision/image_header.h"

namespace facegate::server {

using json = nlohmann::json;

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
      return role == Role::kAdmin || role == Role::kOperator || role == Role::kDevice;
    case Access::kAdmin:
      return role == Role::kAdmin;
    case Access::kRights:
      return role == Role::kAdmin || role == Role::kOperator;
    case Access::kRightsRead:
      return role == Role::kAdmin || role == Role::kOperator || role == Role::kAuditor;
  }
  return false;
}

const std::vector<RouteInfo>& Routes() {
  static const std::vector<RouteInfo> routes = {
      {"GET", "/v1/health", Access::kPublic},
      {"GET", "/v1/purposes", Access::kPurposes},
      {"POST", "/v1/purposes", Access::kPurposes},
      {"GET", "/v1/purposes/{name}", Access::kPurposes},
      {"POST", "/v1/purposes/{name}/notices", Access::kPurposes},
      {"GET", "/v1/purposes/{name}/notice", Access::kGate},  // kiosks show it (device keys)
      {"POST", "/v1/purposes/{name}/threshold", Access::kAdmin},
      {"POST", "/v1/consents", Access::kConsents},
      {"GET", "/v1/subjects/{id}/consents", Access::kConsents},
      {"POST", "/v1/subjects/{id}/consents/{purpose}/withdraw", Access::kConsents},
      {"POST", "/v1/enrol", Access::kFace},
      {"POST", "/v1/verify", Access::kFace},
      {"POST", "/v1/identify", Access::kFace},
      {"GET", "/v1/audit", Access::kAudit},
      {"GET", "/v1/audit/verify", Access::kAudit},
      // Analysis, alternatives, refusal and may-ask, receipts, retention, rules.
      {"POST", "/v1/analyze", Access::kFace},
      {"POST", "/v1/alternatives", Access::kGate},
      // Manual completion is staff's decision: never a device's, whatever the connector
      // (a device presents the credential instead, and its connector decides).
      {"POST", "/v1/alternatives/{id}/complete", Access::kConsents},
      // Alternative connectors (REQ A4): binding, credentials, tokens, presenting.
      {"GET", "/v1/purposes/{name}/connectors", Access::kPurposes},
      {"POST", "/v1/purposes/{name}/connectors", Access::kAdmin},
      {"POST", "/v1/alternatives/credentials", Access::kConsents},
      {"POST", "/v1/alternatives/tokens", Access::kConsents},
      {"POST", "/v1/alternatives/{id}/present", Access::kGate},
      {"POST", "/v1/subjects/{id}/approvals", Access::kAdmin},  // REQ M3
      // A declared birth date changes only by an admin under another person's approval (M1).
      {"POST", "/v1/subjects/{id}/birth-date", Access::kAdmin},
      {"POST", "/v1/subjects/{id}/birth-date/approvals", Access::kAdmin},
      {"POST", "/v1/subjects/{id}/consents/{purpose}/refuse", Access::kGate},
      {"GET", "/v1/subjects/{id}/consents/{purpose}/may-ask", Access::kGate},
      {"GET", "/v1/consents/{id}/receipt", Access::kConsents},
      {"POST", "/v1/retention/sweep", Access::kAdmin},
      {"GET", "/v1/rules", Access::kPublic},
      {"GET", "/v1/rules/{id}", Access::kPublic},
      // Subjects with a declared birth date (REQ M1, M3).
      {"POST", "/v1/subjects", Access::kConsents},
      {"GET", "/v1/subjects/{id}", Access::kConsents},
      // rights of the person (REQ R1, R2; docs/rights.md)
      {"POST", "/v1/rights", Access::kRights},
      {"GET", "/v1/rights", Access::kRightsRead},
      {"GET", "/v1/rights/{id}", Access::kRightsRead},
      {"POST", "/v1/rights/{id}/complete", Access::kRights},
      {"POST", "/v1/rights/{id}/refuse", Access::kRights},
      {"POST", "/v1/rights/{id}/review", Access::kRights},
      {"POST", "/v1/rights/{id}/approve", Access::kRights},  // a correction, by a second person
      {"POST", "/v1/subjects/{id}/export", Access::kRights},
      {"POST", "/v1/subjects/{id}/explanation", Access::kRights},
      {"POST", "/v1/subjects/{id}/restrict", Access::kRights},
      {"POST", "/v1/subjects/{id}/lift", Access::kRights},
      {"POST", "/v1/subjects/{id}/erase", Access::kRights},
      {"POST", "/v1/subjects/{id}/correct", Access::kRights},
      // breach workflow, admins only (REQ S9, PIPL 57; docs/breach.md)
      {"POST", "/v1/breaches", Access::kAdmin},
      {"GET", "/v1/breaches", Access::kAdmin},
      {"GET", "/v1/breaches/{id}", Access::kAdmin},
      {"POST", "/v1/breaches/{id}/assess", Access::kAdmin},
      {"POST", "/v1/breaches/{id}/notify-authority", Access::kAdmin},
      {"POST", "/v1/breaches/{id}/notify-people", Access::kAdmin},
      {"POST", "/v1/breaches/{id}/no-notify", Access::kAdmin},
      {"POST", "/v1/breaches/{id}/close", Access::kAdmin},
  };
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

using service::ConsentJson;
using service::FormatTime;
using service::TimingsJson;
using service::QualityJson;

namespace {

// ---- JSON shapes (the same field names as the CLI's --json output) ----

json PurposeJson(const PurposeRecord& p) {
  json j = {{"name", p.name},
            {"scenario", ToString(p.scenario)},
            {"retention_days", p.retention_days},
            {"alternatives", p.alternatives},
            {"created_at", FormatTime(p.created_at)}};
  if (!p.legal_mandate.empty()) j["legal_mandate"] = p.legal_mandate;
  j["liveness"] = ToString(p.liveness);
  return j;
}

json NoticeJson(const NoticeRecord& n, bool with_text) {
  json j = {{"notice_id", n.id},
            {"purpose", n.purpose},
            {"version", n.version},
            {"sha256", n.sha256},
            {"published_at", FormatTime(n.published_at)}};
  if (with_text) j["text"] = n.text;
  return j;
}

json AuditEventJson(const AuditEvent& e) {
  return {{"seq", e.seq},         {"at", FormatTime(e.at)},
          {"actor", e.actor},     {"action", e.action},
          {"subject", e.subject}, {"purpose", e.purpose},
          {"outcome", e.outcome}, {"detail", json::parse(e.detail, nullptr, false)},
          {"hash", e.hash}};
}

// ---- HTTP status of each error kind (docs/api.md, "Errors") ----

int HttpStatus(ErrorKind k) {
  switch (k) {
    case ErrorKind::kOk:
      return 200;
    case ErrorKind::kInvalidInput:
      return 400;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kRefused:
      return 422;  // the compliance core said no; 401/403 are about keys
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kIntegrity:
      return 500;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

const char* ReasonCode(int http) {
  switch (http) {
    case 400:
      return "invalid_input";
    case 401:
      return "unauthenticated";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "too_large";
    case 422:
      return "refused";
    case 429:
      return "rate_limited";
    default:
      return http >= 500 ? "internal" : "invalid_input";
  }
}

void SendJson(httplib::Response& res, int status, const json& j) {
  res.status = status;
  res.set_content(SafeDump(j, 2) + "\n", "application/json");
}

// An error body; refusals add the rule, its citation and the alternatives (REQ A1).
json ErrorJson(const std::string& code, const std::string& message) {
  return {{"ok", false}, {"error", code}, {"message", message}};
}

Result<json> ParseBody(const httplib::Request& req, const std::string& hint) {
  return ParseJsonBody(req.body, hint);
}

struct Page {
  int64_t page = 1, size = 50;
};

Result<int64_t> QueryInt(const httplib::Request& req, const char* name, int64_t def, int64_t lo,
                         int64_t hi) {
  if (!req.has_param(name)) return def;
  std::string v = req.get_param_value(name);
  try {
    size_t pos = 0;
    long long n = std::stoll(v, &pos);
    if (pos == v.size() && n >= lo && n <= hi) return static_cast<int64_t>(n);
  } catch (...) {
  }
  return Status::InvalidInput(std::string("query parameter ") + name + "='" + v +
                              "' must be an integer from " + std::to_string(lo) + " to " +
                              std::to_string(hi));
}

Result<Page> ParsePage(const httplib::Request& req) {
  Page p;
  FG_ASSIGN_OR_RETURN(p.page, QueryInt(req, "page", 1, 1, 1'000'000'000));
  FG_ASSIGN_OR_RETURN(p.size, QueryInt(req, "size", 50, 1, 500));
  return p;
}

template <typename T, typename F>
json Paged(const std::vector<T>& all, const Page& p, F to_json) {
  json items = json::array();
  const size_t from = static_cast<size_t>((p.page - 1) * p.size);
  for (size_t i = from; i < all.size() && i < from + static_cast<size_t>(p.size); ++i)
    items.push_back(to_json(all[i]));
  return {
      {"ok", true}, {"items", items}, {"page", p.page}, {"size", p.size}, {"total", all.size()}};
}

bool Truthy(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return false;
  std::string v = req.get_param_value(name);
  return v == "1" || v == "true" || v == "yes" || v.empty();
}

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

// What a handler sees of one authenticated call.
struct Call {
  Call(const httplib::Request& q, httplib::Response& s, const RouteInfo& r)
      : req(q), res(s), route(r) {}
  const httplib::Request& req;
  httplib::Response& res;
  const RouteInfo& route;
  std::optional<ApiKey> key;
  std::string actor = "anonymous";
  bool audited = false;          // a Service method audited this call already
  std::string subject, purpose;  // for the server's own audit event
  std::string action;
};

struct Server::Impl {
  service::Service& svc;
  ApiKeyStore& keys;
  ServerConfig config;
  RateLimiter limiter;
  std::unique_ptr<httplib::Server> http;
  std::thread listener;
  int bound_port = 0;
  std::atomic<bool> running{false};
  std::atomic<uint64_t> unauthenticated_{0}, unauthenticated_unlogged_{0};  // 401s since start
  RateLimiter log_limiter{5, 20};  // log lines of refused unauthenticated calls
  std::atomic<uint64_t> internal_errors_{0};  // references of 5xx answers in the server log

  // Decode work per key, in megapixels (ServerConfig::pixels_per_second).
  RateLimiter pixel_limiter;
  // Face requests running at once (ServerConfig::face_workers); the rest wait their turn.
  std::mutex face_mu;
  std::condition_variable face_cv;
  int face_busy = 0, face_max = 1;

  Impl(service::Service& s, ApiKeyStore& k, const ServerConfig& c)
      : svc(s),
        keys(k),
        config(c),
        limiter(c.rate_per_second, c.rate_burst),
        pixel_limiter(c.pixels_per_second / 1e6, 4 * c.pixels_per_second / 1e6) {
    face_max = c.face_workers > 0 ? c.face_workers
                                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }

  // Whether a route runs the engine on the photos it is sent.
  static bool RunsFaceWork(const RouteInfo& r) {
    return r.access == Access::kFace || r.path == "/v1/subjects/{id}/correct";
  }

  // Charges the key for the decode work of `images` (pixels from their headers, before any
  // decoding); false after answering 429 when its budget is spent (ServerConfig::pixels_per_second).
  bool ChargeDecodeWork(Call& c, const std::vector<const std::string*>& images) {
    if (!c.key || config.pixels_per_second <= 0) return true;
    double megapixels = 0;
    for (const std::string* img : images)
      if (auto h = vision::ReadImageHeader(*img); h.ok())
        megapixels += static_cast<double>(h->width) * static_cast<double>(h->height) / 1e6;
    int retry = 1;
    if (pixel_limiter.Take("key:" + c.key->id, megapixels, &retry)) return true;
    c.audited = true;  // like every 429: logged, not chained
    c.res.set_header("Retry-After", std::to_string(retry));
    SendJson(c.res, 429,
             ErrorJson("rate_limited", "this key has sent more image pixels than it may have decoded (" +
                                           std::to_string(static_cast<int64_t>(config.pixels_per_second / 1e6)) +
                                           " megapixels per second); retry after " + std::to_string(retry) +
                                           " s, or send smaller photos (a face needs well under 1 MP)"));
    return false;
  }

  // Reads the body of a POST through httplib's content reader, so the whole request has a
  // deadline: a client trickling its body is cut off (408) instead of holding a thread for as
  // long as it likes. Then dispatches as usual, with the body (or multipart fields) in place.
  void DispatchWithBody(const RouteInfo& route, void (Impl::*handler)(Call&), const httplib::Request& req,
                        httplib::Response& res, const httplib::ContentReader& reader) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(config.request_deadline_s);
    httplib::Request full = req;  // headers, params and matches (into req.path, which outlives this)
    size_t received = 0;
    bool late = false, too_large = false;
    auto within = [&](size_t n) {
      received += n;
      if (received > config.max_body_bytes) too_large = true;
      else if (std::chrono::steady_clock::now() > deadline) late = true;
      return !too_large && !late;
    };
    bool read = false;
    if (req.is_multipart_form_data()) {
      httplib::MultipartFormDataMap::iterator part = full.files.end();
      read = reader(
          [&](const httplib::MultipartFormData& file) {
            part = full.files.emplace(file.name, file);
            return within(0);
          },
          [&](const char* data, size_t n) {
            if (!within(n) || part == full.files.end()) return false;
            part->second.content.append(data, n);
            return true;
          });
    } else {
      read = reader([&](const char* data, size_t n) {
        if (!within(n)) return false;
        full.body.append(data, n);
        return true;
      });
    }
    if (!read) {
      too_large |= res.status == 413;  // httplib refused a Content-Length over the limit itself
      const int status = late ? 408 : too_large ? 413 : 400;
      const std::string message =
          late ? "the request took longer than " + std::to_string(config.request_deadline_s) +
                     " s to arrive; send it again on a faster connection, or a smaller photo"
          : too_large ? "the request body is larger than " + std::to_string(config.max_body_bytes >> 20) +
                            " MiB; send a smaller photo (JPEG, at most a few MiB)"
          : !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")
              ? "a POST needs a Content-Length header, also for an empty body (curl: -d '')"
              : "the request body could not be read; check the Content-Type and the multipart syntax";
      res.set_header("Connection", "close");
      SendJson(res, status, ErrorJson(ReasonCode(status), message));
      Log(FormatTime(static_cast<UnixTime>(std::time(nullptr))) + " " + req.remote_addr + " " + req.method +
          " " + req.path + " " + std::to_string(status) + " body not read (" + std::to_string(received) +
          " bytes)");
      return;
    }
    Dispatch(route, handler, full, res);
  }

  UnixTime Now() const {
    return svc.config().clock ? svc.config().clock() : static_cast<UnixTime>(std::time(nullptr));
  }

  // One line per call: control characters a client put in a URL (%0A, %0D, ESC) are
  // escaped, so no request can forge or split a line of the server log.
  void Log(const std::string& text) {
    const std::string line = LogSafe(text);
    if (config.log)
      config.log(line);
    else
      std::cerr << line << std::endl;
  }
  static std::string LogSafe(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char ch : s) {
      if (ch < 0x20 || ch == 0x7F) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02X", ch);
        out += buf;
      } else {
        out += static_cast<char>(ch);
      }
    }
    return out;
  }

  // Appends the server's own audit event for calls no Service method audited (REQ S6).
  void AuditCall(const Call& c, int http) {
    AuditEvent e;
    e.at = Now();
    e.actor = c.actor;
    e.action = c.action;
    e.subject = c.subject;
    e.purpose = c.purpose;
    e.outcome = http < 400 ? "ok" : std::string("error:") + ReasonCode(http);
    json d = {{"method", c.req.method}, {"route", c.route.path}, {"http_status", http}};
    if (!c.key) d["remote"] = c.req.remote_addr;
    e.detail = SafeDump(d);
    auto r = svc.store().AppendAudit(e);
    if (!r.ok()) Log("audit append failed: " + r.status().ToString());
  }

  // Writes the error body for `st`; refusals carry requirement, rule, citation, alternatives.
  void Fail(Call& c, const Status& st) {
    // A server-side failure's message may name files, hosts or the database: it goes to the
    // server log under a reference, and the client gets the reference only.
    if (HttpStatus(st.kind()) >= 500) {
      const uint64_t ref = ++internal_errors_;
      Log("error " + std::to_string(ref) + " in " + c.route.method + " " + c.route.path + ": " + st.ToString());
      return SendJson(c.res, HttpStatus(st.kind()),
                      ErrorJson(ToString(st.kind()), "the server failed while handling this request (error " +
                                                         std::to_string(ref) +
                                                         " in the server log); try again, and if it persists "
                                                         "tell the operator the error number"));
    }
    json j = ErrorJson(ToString(st.kind()), st.message());
    std::vector<std::string> alts =
        c.purpose.empty() ? std::vector<std::string>{} : svc.AlternativesOf(c.purpose);
    if (st.kind() == ErrorKind::kRefused) {
      service::Refusal r = service::DescribeRefusal(st, alts);
      j["requirement"] = r.requirement;
      j["rule"] = r.title;
      j["citation"] = r.citation;
      j["alternatives"] = r.alternatives;
    } else if (!alts.empty() && c.route.access == Access::kFace) {
      j["alternatives"] = alts;  // REQ A1: the non-face way is on offer whatever went wrong
    }
    SendJson(c.res, HttpStatus(st.kind()), j);
  }

  void Forbid(Call& c, const std::string& message) {
    SendJson(c.res, 403, ErrorJson("forbidden", message));
  }

  // ---- handlers ----

  void Health(Call& c) {
    SendJson(c.res, 200, {{"ok", true}, {"status", "serving"}, {"version", "v1"}});
  }

  void ListPurposes(Call& c) {
    c.action = "purpose.list";
    auto page = ParsePage(c.req);
    if (!page.ok()) return Fail(c, page.status());
    auto ps = svc.ListPurposes();
    if (!ps.ok()) return Fail(c, ps.status());
    SendJson(c.res, 200, Paged(*ps, *page, PurposeJson));
  }

  void AddPurpose(Call& c) {
    c.action = "purpose.add";
    auto body = ParseBody(
        c.req,
        R"({"name": "office-entry", "scenario": "verification", "retention_days": 365, "alternatives": ["staff-card"]})");
    if (!body.ok()) return Fail(c, body.status());
    PurposeRecord p;
    auto name = Str(*body, "name", true, "the purpose's name, e.g. office-entry");
    if (!name.ok()) return Fail(c, name.status());
    p.name = c.purpose = *name;
    auto sc_s = Str(*body, "scenario", false);
    if (!sc_s.ok()) return Fail(c, sc_s.status());
    auto sc = ParseScenario(sc_s->empty() ? "verification" : *sc_s);
    if (!sc)
      return Fail(c, Status::InvalidInput("unknown scenario '" + *sc_s +
                                          "'; use verification, identification or analysis"));
    p.scenario = *sc;
    auto days =
        Int(*body, "retention_days", true, "how many days templates are kept, e.g. 365 (REQ S5)");
    if (!days.ok()) return Fail(c, days.status());
    p.retention_days = *days;
    auto alts = StrList(*body, "alternatives");
    if (!alts.ok()) return Fail(c, alts.status());
    p.alternatives = *alts;
    auto mandate = Str(*body, "legal_mandate", false);
    if (!mandate.ok()) return Fail(c, mandate.status());
    p.legal_mandate = *mandate;
    auto live_s = Str(*body, "liveness", false);
    if (!live_s.ok()) return Fail(c, live_s.status());
    auto live = ParseLivenessRequirement(live_s->empty() ? "off" : *live_s);
    if (!live)
      return Fail(c, Status::InvalidInput("liveness '" + *live_s +
                                          "' is not one of off, enrol, verify, both"));
    p.liveness = *live;
    bool device_enrolment = false;
    if (auto it = body->find("device_enrolment"); it != body->end() && !it->is_null()) {
      if (!it->is_boolean())
        return Fail(c, Status::InvalidInput("field \"device_enrolment\" must be true or false (whether "
                                            "device keys may enrol for this purpose; default false)"));
      device_enrolment = it->get<bool>();
    }
    c.audited = true;
    Status st = svc.AddPurpose(p, c.actor);
    if (!st.ok()) {
      c.purpose.clear();  // no alternatives of a purpose that was not made
      return Fail(c, st);
    }
    if (device_enrolment) {
      Status allowed = svc.SetDeviceEnrolment(p.name, true, c.actor);
      if (!allowed.ok()) return Fail(c, allowed);
    }
    auto stored = svc.store().GetPurpose(p.name);
    json pj = PurposeJson(stored.ok() ? *stored : p);
    pj["device_enrolment"] = device_enrolment;
    SendJson(c.res, 201, {{"ok", true}, {"purpose", pj}});
  }

  void GetPurpose(Call& c) {
    c.action = "purpose.get";
    c.purpose = c.req.matches[1];
    auto p = svc.store().GetPurpose(c.purpose);
    if (!p.ok()) {
      c.purpose.clear();
      return Fail(c,
                  Status::NotFound("purpose '" + std::string(c.req.matches[1]) +
                                   "' does not exist; GET /v1/purposes lists the declared ones"));
    }
    json j = {{"ok", true}, {"purpose", PurposeJson(*p)}};
    auto device_enrolment = svc.DeviceEnrolment(c.purpose);
    j["purpose"]["device_enrolment"] = device_enrolment.ok() && *device_enrolment;
    auto n = svc.LatestNotice(c.purpose);
    j["notice"] = n.ok() ? NoticeJson(*n, false) : json(nullptr);
    SendJson(c.res, 200, j);
  }

  // The operator's stricter identification threshold (REQ SC2); admin only.
  void SetThreshold(Call& c) {
    c.action = "purpose.threshold";
    c.purpose = c.req.matches[1];
    const char* kHint = R"({"identify": 0.40, "reason": "site A grew past the model's limit"} or {"clear": true, "reason": "..."})";
    auto body = ParseBody(c.req, kHint);
    if (!body.ok()) return Fail(c, body.status());
    auto reason = Str(*body, "reason", true, std::string("why the threshold is set or removed; send ") + kHint);
    if (!reason.ok()) return Fail(c, reason.status());
    const bool clear = body->contains("clear") && (*body)["clear"].is_boolean() && (*body)["clear"].get<bool>();
    const bool has_value = body->contains("identify");
    if (clear == has_value)
      return Fail(c, Status::InvalidInput(std::string("send either \"identify\" (a distance) or \"clear\": true; e.g. ") + kHint));
    if (has_value && !(*body)["identify"].is_number())
      return Fail(c, Status::InvalidInput(std::string("\"identify\" must be a number, e.g. 0.40; send ") + kHint));
    c.audited = true;
    auto r = clear ? svc.ClearIdentifyThreshold(c.purpose, *reason, c.actor)
                   : svc.SetIdentifyThreshold(c.purpose, (*body)["identify"].get<float>(), *reason, c.actor);
    if (!r.ok()) return Fail(c, r.status());
    json j = service::IdentifyThresholdJson(*r);
    j["ok"] = true;
    SendJson(c.res, 200, j);
  }

  void PublishNotice(Call& c) {
    c.action = "notice.publish";
    c.purpose = c.req.matches[1];
    auto body = ParseBody(c.req, R"({"text": "Processor: ...\nContact: ...\nPurpose: ..."})");
    if (!body.ok()) return Fail(c, body.status());
    auto text =
        Str(*body, "text", true,
            "the notice text with Processor:, Contact:, Purpose:, Method:, Data kinds:, Storage "
            "period:, Why face:, Rights: lines (REQ N1)");
    if (!text.ok()) return Fail(c, text.status());
    c.audited = true;
    auto n = svc.PublishNotice(c.purpose, *text, c.actor);
    if (!n.ok()) return Fail(c, n.status());
    json j = NoticeJson(*n, false);
    j["ok"] = true;
    SendJson(c.res, 201, j);
  }

  // The notice in force; ?format=voice (plain sentences for speech) or large-print (HTML) are
  // the accessible forms (REQ N2). A device key reads the notices of its own purposes only, so a
  // consent kiosk can show what the person agrees to.
  void GetNotice(Call& c) {
    c.action = "notice.get";
    c.purpose = c.req.matches[1];
    const std::string format = c.req.has_param("format") ? c.req.get_param_value("format") : "text";
    if (format != "text" && format != "voice" && format != "large-print")
      return Fail(c, Status::InvalidInput("query parameter format='" + format +
                                          "' is not text, voice or large-print (REQ N2)"));
    if (!DeviceMayAct(c, c.purpose, "")) return;
    auto n = svc.LatestNotice(c.purpose);
    if (!n.ok()) {
      if (n.status().kind() == ErrorKind::kNotFound)
        return Fail(
            c, Status::NotFound("no notice is published for purpose '" + c.purpose +
                                "'; publish one with POST /v1/purposes/" + c.purpose + "/notices"));
      return Fail(c, n.status());
    }
    json j = NoticeJson(*n, true);
    j["ok"] = true;
    j["format"] = format;
    // REQ A3: every form names the non-face ways as plainly as the face method.
    const std::vector<std::string> alts = svc.AlternativesOf(c.purpose);
    j["alternatives"] = alts;
    j["alternatives_statement"] = policy::AlternativesStatement(alts);
    if (format == "voice")
      j["text"] = policy::NoticeForVoice(n->text, alts);
    else if (format == "large-print")
      j["text"] = policy::NoticeLargePrintHtml(
          n->text, "Notice: " + n->purpose + " (version " + std::to_string(n->version) + ")", alts);
    SendJson(c.res, 200, j);
  }

  void GiveConsent(Call& c) {
    c.action = "consent.give";
    auto body = ParseBody(
        c.req,
        R"({"subject": "S1", "purpose": "office-entry", "notice_id": 1, "option": "always", "method": "click"})");
    if (!body.ok()) return Fail(c, body.status());
    service::Service::ConsentRequest r;
    auto subject = Str(*body, "subject", true, "the pseudonymous subject id");
    if (!subject.ok()) return Fail(c, subject.status());
    r.subject = c.subject = *subject;
    auto purpose = Str(*body, "purpose", true, "the one purpose this consent is for (REQ C1)");
    if (!purpose.ok()) return Fail(c, purpose.status());
    r.purpose = c.purpose = *purpose;
    auto notice =
        Int(*body, "notice_id", true, "the id of the notice shown and acknowledged (REQ N1)");
    if (!notice.ok()) return Fail(c, notice.status());
    r.notice_id = *notice;
    auto opt = Str(*body, "option", false);
    if (!opt.ok()) return Fail(c, opt.status());
    auto o = ParseConsentOption(opt->empty() ? "once" : *opt);
    if (!o)
      return Fail(c, Status::InvalidInput("unknown option '" + *opt +
                                          "'; use once, while_in_use or always"));
    r.option = *o;
    auto meth = Str(*body, "method", false);
    if (!meth.ok()) return Fail(c, meth.status());
    auto m = ParseConsentMethod(meth->empty() ? "click" : *meth);
    if (!m)
      return Fail(c, Status::InvalidInput("unknown method '" + *meth +
                                          "'; use click, written or guardian"));
    r.method = *m;
    auto evidence = Str(*body, "evidence", false);
    if (!evidence.ok()) return Fail(c, evidence.status());
    r.evidence = *evidence;
    auto session = Str(*body, "session", false);
    if (!session.ok()) return Fail(c, session.status());
    r.session = *session;
    auto valid = Int(*body, "valid_seconds", false);
    if (!valid.ok()) return Fail(c, valid.status());
    if (*valid < 0)
      return Fail(c, Status::InvalidInput("field \"valid_seconds\" must not be negative"));
    r.valid_seconds = *valid;
    // REQ C8, P1: what the consent covers; REQ M1: the guardian of a child.
    auto kind = Str(*body, "kind", false);
    if (!kind.ok()) return Fail(c, kind.status());
    auto k = ParseConsentKind(kind->empty() ? "processing" : *kind);
    if (!k)
      return Fail(c, Status::InvalidInput("unknown kind '" + *kind +
                                          "'; use processing, disclosure or import"));
    r.kind = *k;
    for (auto [field, dest] : {std::pair<const char*, std::string*>{"recipient", &r.recipient},
                               {"source", &r.source},
                               {"guardian", &r.guardian},
                               {"guardian_relation", &r.guardian_relation}}) {
      auto v = Str(*body, field, false);
      if (!v.ok()) return Fail(c, v.status());
      *dest = *v;
    }
    // REQ C7: a consent the operator or device asked for is refused in the quiet period.
    auto prompted = body->find("prompted");
    if (prompted != body->end() && !prompted->is_null()) {
      if (!prompted->is_boolean())
        return Fail(c, Status::InvalidInput(
                           "field \"prompted\" must be true (the operator or device asked) or "
                           "false (the person came forward on their own)"));
      r.prompted = prompted->get<bool>();
    }
    c.audited = true;
    auto rec = svc.GiveConsent(r, c.actor);
    if (!rec.ok()) return Fail(c, rec.status());
    SendJson(c.res, 201, {{"ok", true}, {"consent", ConsentJson(*rec)}});
  }

  void ListConsents(Call& c) {
    c.action = "consent.list";
    c.subject = c.req.matches[1];
    auto page = ParsePage(c.req);
    if (!page.ok()) return Fail(c, page.status());
    std::vector<ConsentRecord> all;
    if (c.req.has_param("purpose")) {
      c.purpose = c.req.get_param_value("purpose");
      auto r = svc.ListConsents(c.subject, c.purpose, c.actor);
      if (!r.ok()) return Fail(c, r.status());
      all = std::move(*r);
    } else {  // every purpose
      auto ps = svc.ListPurposes();
      if (!ps.ok()) return Fail(c, ps.status());
      for (const PurposeRecord& p : *ps) {
        auto r = svc.ListConsents(c.subject, p.name, c.actor);
        if (!r.ok()) return Fail(c, r.status());
        all.insert(all.end(), r->begin(), r->end());
      }
    }
    SendJson(c.res, 200, Paged(all, *page, ConsentJson));
  }

  void Withdraw(Call& c) {
    c.action = "consent.withdraw";
    c.subject = c.req.matches[1];
    c.purpose = c.req.matches[2];
    c.audited = true;
    auto r = svc.WithdrawConsent(c.subject, c.purpose, c.actor);
    if (!r.ok()) return Fail(c, r.status());
    SendJson(c.res, 200,
             {{"ok", true},
              {"subject", c.subject},
              {"purpose", c.purpose},
              {"consents_withdrawn", r->consents_withdrawn},
              {"templates_deleted", r->templates_deleted},
              {"key_destroyed", r->key_destroyed}});
  }

  // The fields of an enrol or verify request, from multipart or JSON.
  struct FaceRequest {
    std::string subject, purpose, session, device, image;
  };

  Result<FaceRequest> ReadFaceRequest(Call& c) {
    FaceRequest f;
    const char* kHint =
        R"({"subject": "S1", "purpose": "office-entry", "image_base64": "<base64 of the JPEG>"} or multipart/form-data with fields subject, purpose and file "image")";
    if (c.req.is_multipart_form_data()) {
      auto field = [&](const char* name) {
        return c.req.has_file(name) ? c.req.get_file_value(name).content : "";
      };
      f.subject = field("subject");
      f.purpose = field("purpose");
      f.session = field("session");
      f.device = field("device");
      if (!c.req.has_file("image"))
        return Status::InvalidInput(
            std::string("multipart field \"image\" is missing; send the photo as ") + kHint);
      f.image = c.req.get_file_value("image").content;
    } else {
      FG_ASSIGN_OR_RETURN(json body, ParseBody(c.req, kHint));
      FG_ASSIGN_OR_RETURN(f.subject, Str(body, "subject", false));
      FG_ASSIGN_OR_RETURN(f.purpose, Str(body, "purpose", false));
      FG_ASSIGN_OR_RETURN(f.session, Str(body, "session", false));
      FG_ASSIGN_OR_RETURN(f.device, Str(body, "device", false));
      FG_ASSIGN_OR_RETURN(std::string b64,
                          Str(body, "image_base64", true, std::string("the photo; send ") + kHint));
      FG_ASSIGN_OR_RETURN(f.image, DecodeBase64(std::move(b64)));
    }
    if (f.subject.empty())
      return Status::InvalidInput("field \"subject\" is required: the pseudonymous subject id");
    if (f.purpose.empty())
      return Status::InvalidInput("field \"purpose\" is required: e.g. office-entry");
    if (f.image.empty())
      return Status::InvalidInput("the image is empty; send a JPEG or PNG photo");
    return f;
  }

  static bool IsAdmin(const Call& c) { return c.key && c.key->role == Role::kAdmin; }

  // What a device sees of a face decision: the decision and the way forward (match or not,
  // who when identified, the alternatives, what to retake), never a score. Distances and
  // liveness scores would make the device an oracle to tune a forged photo against; they stay
  // in the audit log, for admin and auditor views (docs/security.md).
  static json DecisionView(const Call& c, json j) {
    if (!c.key || c.key->role != Role::kDevice) return j;
    for (const char* score : {"distance", "threshold", "stranger_accept_rate", "genuine_accept_rate",
                              "max_scope_size", "operator_threshold", "scope_size"})
      j.erase(score);
    if (j.contains("liveness") && j["liveness"].is_object()) {
      json verdict = {{"verdict", j["liveness"].value("verdict", "")}};
      j["liveness"] = verdict;
    }
    return j;
  }

  // A device key acts only for its own device and purposes (docs/api.md, "Roles").
  bool DeviceMayAct(Call& c, const FaceRequest& f) { return DeviceMayAct(c, f.purpose, f.device); }
  bool DeviceMayAct(Call& c, const std::string& purpose, const std::string& device) {
    if (!c.key || c.key->role != Role::kDevice) return true;
    if (!device.empty() && device != c.key->device) {
      Forbid(c, "this device key belongs to device '" + c.key->device +
                    "' and cannot act for device '" + device + "'; use that device's own key");
      return false;
    }
    if (std::find(c.key->purposes.begin(), c.key->purposes.end(), purpose) ==
        c.key->purposes.end()) {
      std::string allowed;
      for (auto& p : c.key->purposes) allowed += (allowed.empty() ? "" : ", ") + p;
      Forbid(c, "this device key may act only for purposes [" + allowed + "], not '" + purpose +
                    "'; ask an admin for a key with that purpose");
      return false;
    }
    return true;
  }

  void Enrol(Call& c) {
    c.action = "enrol";
    auto f = ReadFaceRequest(c);
    if (!f.ok()) return Fail(c, f.status());
    c.subject = f->subject;
    c.purpose = f->purpose;
    if (!DeviceMayAct(c, *f)) return;
    if (!ChargeDecodeWork(c, {&f->image})) return;
    // A device verifies or identifies; it enrols only where the purpose says so, or a stolen
    // kiosk key could add faces to people's records.
    if (c.key && c.key->role == Role::kDevice) {
      auto allowed = svc.DeviceEnrolment(f->purpose);
      if (!allowed.ok()) return Fail(c, allowed.status());
      if (!*allowed)
        return Forbid(c, "device keys do not enrol for purpose '" + f->purpose +
                             "': enrolment is done by an operator, or an admin allows it for the purpose "
                             "(POST /v1/purposes with \"device_enrolment\": true)");
    }
    c.audited = true;
    auto r = svc.Enrol(f->subject, f->purpose, f->image, f->session, c.actor);
    sodium_memzero(f->image.data(), f->image.size());  // REQ S2: the photo is not kept
    if (!r.ok()) return Fail(c, r.status());
    json j = {{"ok", true},
              {"subject", f->subject},
              {"purpose", f->purpose},
              {"template_id", r->template_id},
              {"consent_id", r->consent_id},
              {"model", r->model},
              {"expires_at", FormatTime(r->expires_at)}};
    if (Truthy(c.req, "timings")) j["timings"] = TimingsJson(r->timings);
    if (r->liveness) j["liveness"] = service::LivenessJson(*r->liveness);
    j["quality"] = QualityJson(r->quality);
    SendJson(c.res, 201, j);
  }

  void Verify(Call& c) {
    c.action = "verify";
    auto f = ReadFaceRequest(c);
    if (!f.ok()) return Fail(c, f.status());
    c.subject = f->subject;
    c.purpose = f->purpose;
    if (!DeviceMayAct(c, *f)) return;
    if (!ChargeDecodeWork(c, {&f->image})) return;
    c.audited = true;
    auto r = svc.Verify(f->subject, f->purpose, f->image, f->session, c.actor);
    sodium_memzero(f->image.data(), f->image.size());  // REQ S2, D3: nothing of the probe is kept
    if (!r.ok()) return Fail(c, r.status());
    // A non-match is an answer, not an error: 200 with match=false and what it rested on.
    json j = {
        {"ok", true},        {"subject", f->subject},       {"purpose", f->purpose},
        {"match", r->match}, {"distance", r->distance},     {"threshold", r->threshold},
        {"model", r->model}, {"consent_id", r->consent_id}, {"alternatives", r->alternatives}};
    if (Truthy(c.req, "timings")) j["timings"] = TimingsJson(r->timings);
    if (r->liveness) j["liveness"] = service::LivenessJson(*r->liveness);
    j["quality"] = QualityJson(r->quality);
    SendJson(c.res, 200, DecisionView(c, j));
  }

  // 1:N within the scope of an identification purpose (REQ SC2). Same roles as
  // /v1/verify; only the match is named, a non-match is "unknown" (REQ D3).
  void Identify(Call& c) {
    c.action = "identify";
    const char* kHint =
        R"({"purpose": "site-entry", "image_base64": "<base64 of the JPEG>"} or multipart/form-data with field purpose and file "image")";
    FaceRequest f;
    if (c.req.is_multipart_form_data()) {
      auto field = [&](const char* name) {
        return c.req.has_file(name) ? c.req.get_file_value(name).content : "";
      };
      f.purpose = field("purpose");
      f.device = field("device");
      if (!c.req.has_file("image"))
        return Fail(c, Status::InvalidInput(
                           std::string("multipart field \"image\" is missing; send the photo as ") + kHint));
      f.image = c.req.get_file_value("image").content;
    } else {
      auto body = ParseBody(c.req, kHint);
      if (!body.ok()) return Fail(c, body.status());
      auto purpose = Str(*body, "purpose", false);
      auto device = Str(*body, "device", false);
      auto b64 = Str(*body, "image_base64", true, std::string("the photo; send ") + kHint);
      for (const Status& st : {purpose.status(), device.status(), b64.status()})
        if (!st.ok()) return Fail(c, st);
      f.purpose = *purpose;
      f.device = *device;
      auto image = DecodeBase64(std::move(b64).value());
      if (!image.ok()) return Fail(c, image.status());
      f.image = std::move(image).value();
    }
    if (f.purpose.empty())
      return Fail(c, Status::InvalidInput("field \"purpose\" is required: the identification purpose "
                                          "whose scope is searched, e.g. site-entry"));
    if (f.image.empty()) return Fail(c, Status::InvalidInput("the image is empty; send a JPEG or PNG photo"));
    c.purpose = f.purpose;
    if (!DeviceMayAct(c, f)) return;
    if (!ChargeDecodeWork(c, {&f.image})) return;
    c.audited = true;
    auto r = svc.Identify(f.purpose, f.image, c.actor);
    sodium_memzero(f.image.data(), f.image.size());  // REQ D3: nothing of the probe is kept
    if (!r.ok()) return Fail(c, r.status());
    // "Unknown" is an answer, not an error: 200 with identified=false.
    json j = {{"ok", true},
              {"purpose", f.purpose},
              {"identified", r->identified},
              {"subject", r->identified ? json(r->subject) : json(nullptr)},
              {"distance", std::isfinite(r->distance) ? json(r->distance) : json(nullptr)},
              {"threshold", r->threshold},
              {"scope_size", r->scope_size},
              {"stranger_accept_rate", r->stranger_accept_rate},
              {"genuine_accept_rate", r->genuine_accept_rate},
              {"max_scope_size", r->max_scope_size},
              {"operator_threshold", r->operator_threshold},
              {"model", r->model},
              {"alternatives", r->alternatives}};
    if (r->identified) j["consent_id"] = r->consent_id;
    if (!r->warning.empty()) j["warning"] = r->warning;
    if (Truthy(c.req, "timings")) j["timings"] = TimingsJson(r->timings);
    if (r->liveness) j["liveness"] = service::LivenessJson(*r->liveness);
    // "Unknown" names nobody, and says nothing of how near the nearest member came: that
    // distance would tell a photo's holder whether its person is enrolled (it stays in the
    // audit log for admins and auditors).
    if (!r->identified && !IsAdmin(c)) j["distance"] = nullptr;
    SendJson(c.res, 200, DecisionView(c, j));
  }

  void ListAudit(Call& c) {
    c.action = "audit.list";
    auto page = ParsePage(c.req);
    if (!page.ok()) return Fail(c, page.status());
    auto head = svc.AuditHead();
    if (!head.ok()) return Fail(c, head.status());
    const int64_t total = *head ? (*head)->seq : 0;
    // Page n holds the events with seq in ((n-1)*size, n*size]; ?after=SEQ reads on from a cursor.
    auto after = QueryInt(c.req, "after", (page->page - 1) * page->size, 0, INT64_MAX);
    if (!after.ok()) return Fail(c, after.status());
    auto events = svc.ListAudit(*after, page->size);
    if (!events.ok()) return Fail(c, events.status());
    json items = json::array();
    for (const AuditEvent& e : *events) items.push_back(AuditEventJson(e));
    SendJson(c.res, 200,
             {{"ok", true},
              {"items", items},
              {"page", page->page},
              {"size", page->size},
              {"total", total}});
  }

  void VerifyAudit(Call& c) {
    c.action = "audit.verify";
    auto r = svc.VerifyAudit();
    if (!r.ok()) return Fail(c, r.status());
    json j = {{"ok", r->intact},
              {"intact", r->intact},
              {"events", r->events},
              {"checkpoints", r->checkpoints},
              {"anchored_seq", r->anchored_seq}};
    if (!r->intact) {
      j["first_broken_seq"] = r->first_broken_seq;
      j["reason"] = r->reason;
    }
    SendJson(c.res, 200, j);  // the check ran: its answer is in "intact"
  }

  // ---- analysis, alternatives, refusal and may-ask, receipts, retention, rules ----

  // Counts by age band, gender and expression for an analysis purpose; groups under k are
  // suppressed and nothing per face is returned or kept (REQ SC3, AN1, AN2, AN4).
  void Analyze(Call& c) {
    c.action = "analyze";
    const char* kHint =
        R"({"purpose": "shop-count", "k": 5, "images_base64": ["<base64 of a JPEG>", ...]} or multipart/form-data with fields purpose, k and one or more files "image")";
    std::string purpose, device;
    int64_t k = 5;
    std::vector<std::string> images;
    if (c.req.is_multipart_form_data()) {
      auto field = [&](const char* name) {
        return c.req.has_file(name) ? c.req.get_file_value(name).content : "";
      };
      purpose = field("purpose");
      device = field("device");
      const std::string k_s = field("k");
      if (!k_s.empty()) {
        size_t pos = 0;
        try {
          k = std::stoll(k_s, &pos);
        } catch (...) {
          pos = 0;
        }
        if (pos != k_s.size())
          return Fail(c, Status::InvalidInput("field \"k\"='" + k_s +
                                              "' must be an integer, at least 2 (REQ AN2)"));
      }
      auto range = c.req.files.equal_range("image");
      for (auto it = range.first; it != range.second; ++it) images.push_back(it->second.content);
      if (images.empty())
        return Fail(
            c,
            Status::InvalidInput(
                std::string("multipart field \"image\" is missing; send the photos as ") + kHint));
    } else {
      auto body = ParseBody(c.req, kHint);
      if (!body.ok()) return Fail(c, body.status());
      auto p = Str(*body, "purpose", false);
      auto d = Str(*body, "device", false);
      auto kk = Int(*body, "k", false);
      auto list = StrList(*body, "images_base64");
      for (const Status& st : {p.status(), d.status(), kk.status(), list.status()})
        if (!st.ok()) return Fail(c, st);
      purpose = *p;
      device = *d;
      if (body->contains("k") && !(*body)["k"].is_null()) k = *kk;
      if (list->empty())
        return Fail(c, Status::InvalidInput(std::string("field \"images_base64\" is required: a "
                                                        "non-empty array of photos; send ") +
                                            kHint));
      for (size_t i = 0; i < list->size(); ++i) {
        auto img = DecodeBase64(std::move((*list)[i]));
        if (!img.ok())
          return Fail(c, Status::InvalidInput("images_base64[" + std::to_string(i) +
                                              "]: " + img.status().message()));
        images.push_back(std::move(img).value());
      }
    }
    if (purpose.empty())
      return Fail(c, Status::InvalidInput("field \"purpose\" is required: a purpose declared with "
                                          "scenario analysis, e.g. shop-count"));
    if (k < 2 || k > 1'000'000)
      return Fail(c, Status::InvalidInput("field \"k\" must be from 2 to 1000000: smaller groups "
                                          "could single a person out (REQ AN2)"));
    c.purpose = purpose;
    if (!DeviceMayAct(c, purpose, device)) return;
    std::vector<const std::string*> all;
    for (const std::string& img : images) all.push_back(&img);
    if (!ChargeDecodeWork(c, all)) return;
    c.audited = true;
    auto r = svc.Analyze(purpose, images, static_cast<int>(k), c.actor);
    for (std::string& img : images)
      sodium_memzero(img.data(), img.size());  // REQ AN1: no frame kept
    if (!r.ok()) return Fail(c, r.status());
    json counts = json::object();
    for (auto& [name, n] : r->counts) counts[name] = n;
    SendJson(c.res, 200,
             {{"ok", true},
              {"purpose", purpose},
              {"images", r->images},
              {"images_unreadable", r->images_unreadable},
              {"faces", r->faces > 0 ? json(r->faces) : json(nullptr)},
              {"k", r->k},
              {"counts", counts},
              {"suppressed", r->suppressed},
              {"repeated_faces", r->repeated_faces}});
  }

  // The person chooses a non-face method: a face-free transaction opens, in which every face
  // operation for the subject, purpose and session is refused (REQ A2, D7).
  void ChooseAlternative(Call& c) {
    c.action = "alternative.choose";
    auto body = ParseBody(
        c.req,
        R"({"subject": "S1", "purpose": "office-entry", "method": "staff-card", "session": "kiosk-7:42"})");
    if (!body.ok()) return Fail(c, body.status());
    auto subject = Str(*body, "subject", true, "the pseudonymous subject id");
    auto purpose = Str(*body, "purpose", true, "e.g. office-entry");
    auto method = Str(*body, "method", true,
                      "one of the purpose's alternatives (GET /v1/purposes/{name} lists them)");
    auto session = Str(*body, "session", false);
    auto device = Str(*body, "device", false);
    for (const Status& st :
         {subject.status(), purpose.status(), method.status(), session.status(), device.status()})
      if (!st.ok()) return Fail(c, st);
    c.subject = *subject;
    c.purpose = *purpose;
    if (!DeviceMayAct(c, *purpose, *device)) return;
    c.audited = true;
    auto id = svc.ChooseAlternative(*subject, *purpose, *method, *session, c.actor);
    if (!id.ok()) return Fail(c, id.status());
    SendJson(c.res, 201,
             {{"ok", true},
              {"transaction", *id},
              {"subject", *subject},
              {"purpose", *purpose},
              {"method", *method},
              {"session", *session}});
  }

  // Records the outcome of the alternative check and closes the transaction; audited like a
  // face outcome, so the service never depends on face (REQ C6).
  void CompleteAlternative(Call& c) {
    c.action = "alternative.complete";
    auto id = PathId(c, 1, "transaction id from POST /v1/alternatives");
    if (!id.ok()) return Fail(c, id.status());
    auto body = ParseBody(c.req, R"({"outcome": "granted"} or {"outcome": "denied"})");
    if (!body.ok()) return Fail(c, body.status());
    auto outcome = Str(*body, "outcome", true,
                       "granted or denied: whether the alternative check let the person through");
    if (!outcome.ok()) return Fail(c, outcome.status());
    auto a = svc.store().GetAlternative(*id);
    if (a.ok()) {
      c.subject = a->subject;
      c.purpose = a->purpose;
      if (!DeviceMayAct(c, a->purpose, "")) return;
    }
    c.audited = true;
    Status st = svc.CompleteAlternative(*id, *outcome, c.actor);
    if (!st.ok()) return Fail(c, st);
    SendJson(c.res, 200, {{"ok", true}, {"transaction", *id}, {"outcome", *outcome}});
  }

  // ---- alternative connectors (REQ A4) ----

  static json ConnectorJson(const AlternativeConnectorRecord& r) {
    return {{"method", r.method}, {"kind", r.kind}, {"config", json::parse(r.config, nullptr, false)},
            {"set_by", r.actor}, {"set_at", r.set_at ? FormatTime(r.set_at) : std::string()}};
  }

  void ListConnectors(Call& c) {
    c.action = "alternative.connectors";
    c.purpose = c.req.matches[1];
    auto r = svc.AlternativeConnectors(c.purpose);
    if (!r.ok()) return Fail(c, r.status());
    json arr = json::array();
    for (auto& x : *r) arr.push_back(ConnectorJson(x));
    SendJson(c.res, 200, {{"ok", true}, {"purpose", c.purpose}, {"connectors", arr}});
  }

  void ConnectAlternative(Call& c) {
    c.action = "alternative.connect";
    c.purpose = c.req.matches[1];
    const char* kHint = R"({"method": "id-service", "kind": "http", "config": {"url": "https://id.example/verify"}})";
    auto body = ParseBody(c.req, kHint);
    if (!body.ok()) return Fail(c, body.status());
    auto method = Str(*body, "method", true, "one of the purpose's declared alternatives");
    if (!method.ok()) return Fail(c, method.status());
    auto kind = Str(*body, "kind", true, "staff, pin, card, qr or http");
    if (!kind.ok()) return Fail(c, kind.status());
    AlternativeConnectorRecord rec;
    rec.purpose = c.purpose;
    rec.method = *method;
    rec.kind = *kind;
    if (body->contains("config")) {
      if (!(*body)["config"].is_object())
        return Fail(c, Status::InvalidInput(std::string("\"config\" must be an object; send ") + kHint));
      rec.config = (*body)["config"].dump();
    }
    c.audited = true;
    Status st = svc.ConnectAlternative(rec, c.actor);
    if (!st.ok()) return Fail(c, st);
    SendJson(c.res, 200, {{"ok", true}, {"purpose", c.purpose}, {"method", rec.method}, {"kind", rec.kind}});
  }

  void RegisterCredential(Call& c) {
    c.action = "alternative.register";
    auto body = ParseBody(c.req, R"({"subject": "S1", "purpose": "office-entry", "method": "pin", "secret": "4821"})");
    if (!body.ok()) return Fail(c, body.status());
    auto subject = Str(*body, "subject", true, "the pseudonymous subject id");
    if (!subject.ok()) return Fail(c, subject.status());
    auto purpose = Str(*body, "purpose", true);
    if (!purpose.ok()) return Fail(c, purpose.status());
    auto method = Str(*body, "method", true, "a pin or card alternative of the purpose");
    if (!method.ok()) return Fail(c, method.status());
    auto secret = Str(*body, "secret", true, "the PIN (4-12 digits) or card number");
    if (!secret.ok()) return Fail(c, secret.status());
    c.subject = *subject;
    c.purpose = *purpose;
    c.audited = true;
    Status st = svc.RegisterAlternativeCredential(*subject, *purpose, *method, *secret, c.actor);
    if (!st.ok()) return Fail(c, st);
    SendJson(c.res, 200, {{"ok", true}, {"subject", *subject}, {"purpose", *purpose}, {"method", *method}});
  }

  void IssueToken(Call& c) {
    c.action = "alternative.token";
    auto body = ParseBody(c.req, R"({"subject": "S1", "purpose": "office-entry", "method": "qr", "valid_seconds": 300})");
    if (!body.ok()) return Fail(c, body.status());
    auto subject = Str(*body, "subject", true, "the pseudonymous subject id");
    if (!subject.ok()) return Fail(c, subject.status());
    auto purpose = Str(*body, "purpose", true);
    if (!purpose.ok()) return Fail(c, purpose.status());
    auto method = Str(*body, "method", true, "a qr alternative of the purpose");
    if (!method.ok()) return Fail(c, method.status());
    auto valid = Int(*body, "valid_seconds", false);
    if (!valid.ok()) return Fail(c, valid.status());
    c.subject = *subject;
    c.purpose = *purpose;
    c.audited = true;
    const int64_t seconds = *valid ? *valid : 300;
    auto t = svc.IssueAlternativeToken(*subject, *purpose, *method, seconds, c.actor);
    if (!t.ok()) return Fail(c, t.status());
    SendJson(c.res, 200, {{"ok", true}, {"token", *t}, {"valid_seconds", seconds}});
  }

  void PresentAlternative(Call& c) {
    c.action = "alternative.present";
    auto id = PathId(c, 1, "transaction id from POST /v1/alternatives");
    if (!id.ok()) return Fail(c, id.status());
    auto body = ParseBody(c.req, R"({"credential": "4821"})");
    if (!body.ok()) return Fail(c, body.status());
    auto credential = Str(*body, "credential", true, "what the person presented: PIN, card number or QR payload");
    if (!credential.ok()) return Fail(c, credential.status());
    auto a = svc.store().GetAlternative(*id);
    if (a.ok()) {
      c.subject = a->subject;
      c.purpose = a->purpose;
      if (!DeviceMayAct(c, a->purpose, "")) return;
    }
    c.audited = true;
    auto r = svc.PresentAlternative(*id, *credential, c.actor);
    if (!r.ok()) return Fail(c, r.status());
    SendJson(c.res, 200, {{"ok", true}, {"transaction", *id}, {"outcome", r->outcome}, {"connector", r->connector},
                          {"reason", r->reason}, {"attempts_left", r->attempts_left}});
  }

  // 404 unless the purpose in the path is declared (kept as c.purpose for the audit event).
  bool PurposeExists(Call& c, const std::string& purpose) {
    auto p = svc.store().GetPurpose(purpose);
    if (p.ok()) {
      c.purpose = purpose;
      return true;
    }
    if (p.status().kind() != ErrorKind::kNotFound) {
      Fail(c, p.status());
      return false;
    }
    Fail(c, Status::NotFound("purpose '" + purpose +
                             "' does not exist; GET /v1/purposes lists the declared ones"));
    return false;
  }

  // The person said no: starts the quiet period in which nobody asks again (REQ C7).
  void RefuseConsent(Call& c) {
    c.action = "consent.refuse";
    c.subject = c.req.matches[1];
    const std::string purpose = c.req.matches[2];
    if (!DeviceMayAct(c, purpose, "")) return;
    if (!PurposeExists(c, purpose)) return;
    c.audited = true;
    Status st = svc.RefuseConsent(c.subject, c.purpose, c.actor);
    if (!st.ok()) return Fail(c, st);
    const int64_t quiet = svc.config().consent_quiet_seconds;
    SendJson(c.res, 201,
             {{"ok", true},
              {"subject", c.subject},
              {"purpose", c.purpose},
              {"quiet_seconds", quiet},
              {"quiet_until", FormatTime(Now() + quiet)}});
  }

  // May the operator or device ask the person for consent now? "No" within the quiet period
  // after a refusal is an answer (200, may_ask false, with the rule and citation), not an error.
  void MayAskConsent(Call& c) {
    c.action = "consent.may_ask";
    c.subject = c.req.matches[1];
    const std::string purpose = c.req.matches[2];
    if (!DeviceMayAct(c, purpose, "")) return;
    if (!PurposeExists(c, purpose)) return;
    Status st = svc.MayAskConsent(c.subject, c.purpose);
    json j = {{"ok", true}, {"subject", c.subject}, {"purpose", c.purpose}, {"may_ask", st.ok()}};
    if (!st.ok()) {
      if (st.kind() != ErrorKind::kRefused) return Fail(c, st);
      service::Refusal r = service::DescribeRefusal(st, svc.AlternativesOf(c.purpose));
      j["requirement"] = r.requirement;
      j["rule"] = r.title;
      j["citation"] = r.citation;
      j["message"] = st.message();
      j["alternatives"] = r.alternatives;
    }
    SendJson(c.res, 200, j);
  }

  // The person's consent receipt (Kantara Consent Receipt / ISO/IEC 27560 fields, REQ C2).
  static json SubjectJson(const service::SubjectInfo& s) {
    json j = {{"subject", s.id},
              {"birth_date", s.birth_date.empty() ? json(nullptr) : json(s.birth_date)},
              {"age", s.age < 0 ? json(nullptr) : json(s.age)},
              {"minor", s.minor}};
    return j;
  }

  // Registers a subject with its declared birth date (REQ M1); audited by the Service.
  void DeclareSubject(Call& c) {
    c.action = "subject.declare";
    auto body = ParseBody(c.req, R"({"id": "K1", "birth_date": "2015-06-01"})");
    if (!body.ok()) return Fail(c, body.status());
    auto id = Str(*body, "id", true, "the pseudonymous subject id");
    if (!id.ok()) return Fail(c, id.status());
    c.subject = *id;
    auto born = Str(*body, "birth_date", false);
    if (!born.ok()) return Fail(c, born.status());
    c.audited = true;
    auto r = svc.DeclareSubject(*id, *born, c.actor);
    if (!r.ok()) return Fail(c, r.status());
    json j = SubjectJson(*r);
    j["ok"] = true;
    SendJson(c.res, 201, j);
  }

  // The subject's record and age now; a child's record read is audited as minor.read (REQ M3).
  void ShowSubject(Call& c) {
    c.action = "subject.show";
    c.subject = c.req.matches[1];
    auto r = svc.ShowSubject(c.subject, c.actor);
    if (!r.ok()) return Fail(c, r.status());
    json j = SubjectJson(*r);
    j["ok"] = true;
    SendJson(c.res, 200, j);
  }

  // REQ M3: an admin lets another key read a child's records for a while, with a reason.
  void ApproveMinorAccess(Call& c) {
    c.action = "minor.access.approve";
    c.subject = c.req.matches[1];
    auto body = ParseBody(c.req, R"({"reader": "key:<id>", "reason": "parent asked for the records", "valid_seconds": 3600})");
    if (!body.ok()) return Fail(c, body.status());
    auto reader = Str(*body, "reader", true, "key:<id> of the API key that may read");
    if (!reader.ok()) return Fail(c, reader.status());
    auto reason = Str(*body, "reason", true, "why the child's records are needed");
    if (!reason.ok()) return Fail(c, reason.status());
    auto valid = Int(*body, "valid_seconds", false);
    if (!valid.ok()) return Fail(c, valid.status());
    c.audited = true;
    auto r = svc.ApproveMinorAccess(c.subject, *reader, *reason, *valid ? *valid : 3600, c.actor);
    if (!r.ok()) return Fail(c, r.status());
    SendJson(c.res, 201, {{"ok", true}, {"subject", c.subject}, {"reader", *reader}, {"approved_by", c.actor},
                          {"expires_at", FormatTime(*r)}});
  }

  // REQ M1: a declared birth date changes under another person's approval only (admin keys).
  void ChangeBirthDate(Call& c) {
    c.action = "subject.birth_date.change";
    c.subject = c.req.matches[1];
    auto body = ParseBody(c.req, R"({"birth_date": "2012-06-01", "reason": "typo in the form, checked on the ID card"})");
    if (!body.ok()) return Fail(c, body.status());
    if (!body->contains("birth_date"))
      return Fail(c, Status::InvalidInput("field \"birth_date\" is required: the corrected date, or null to clear it"));
    auto born = Str(*body, "birth_date", false);
    auto reason = Str(*body, "reason", true, "why the declared date is wrong");
    for (const Status& st : {born.status(), reason.status()})
      if (!st.ok()) return Fail(c, st);
    c.audited = true;
    auto r = svc.ChangeBirthDate(c.subject, *born, *reason, c.actor);
    if (!r.ok()) return Fail(c, r.status());
    json j = SubjectJson(*r);
    j["ok"] = true;
    SendJson(c.res, 200, j);
  }

  void ApproveBirthDateChange(Call& c) {
    c.action = "subject.birth_date.approve";
    c.subject = c.req.matches[1];
    auto body = ParseBody(
        c.req,
        R"({"for": "key:<id of the admin who changes it>", "birth_date": "2012-06-01", "reason": "...", "valid_seconds": 3600})");
    if (!body.ok()) return Fail(c, body.status());
    if (!body->contains("birth_date"))
      return Fail(c, Status::InvalidInput("field \"birth_date\" is required: the date approved, or null to clear it"));
    auto changer = Str(*body, "for", true, "key:<id> of the admin who will change the date");
    auto born = Str(*body, "birth_date", false);
    auto reason = Str(*body, "reason", true, "why the declared date is wrong");
    auto valid = Int(*body, "valid_seconds", false);
    for (const Status& st : {changer.status(), born.status(), reason.status(), valid.status()})
      if (!st.ok()) return Fail(c, st);
    c.audited = true;
    auto r = svc.ApproveBirthDateChange(c.subject, *born, *changer, *reason, *valid ? *valid : 3600, c.actor);
    if (!r.ok()) return Fail(c, r.status());
    SendJson(c.res, 201, {{"ok", true}, {"subject", c.subject}, {"for", *changer},
                          {"birth_date", born->empty() ? json(nullptr) : json(*born)},
                          {"approved_by", c.actor}, {"expires_at", FormatTime(*r)}});
  }

  void ConsentReceipt(Call& c) {
    c.action = "consent.receipt";
    auto id = PathId(c, 1, "a consent id, e.g. from POST /v1/consents");
    if (!id.ok()) return Fail(c, id.status());
    c.audited = true;
    auto r = svc.ConsentReceipt(*id, c.actor);
    if (!r.ok()) return Fail(c, r.status());
    SendJson(c.res, 200, {{"ok", true}, {"receipt", json::parse(*r)}});
  }

  // Deletes every expired template now and destroys keys left unused (REQ S5, S7); `serve`
  // also sweeps on its own every --sweep-every seconds.
  void SweepRetention(Call& c) {
    c.action = "retention.sweep";
    auto r = svc.SweepRetention(c.actor);
    // The Service audits failures and sweeps that deleted something; an idle sweep is audited here.
    c.audited = !r.ok() || r->templates_deleted > 0;
    if (!r.ok()) return Fail(c, r.status());
    SendJson(c.res, 200,
             {{"ok", true},
              {"templates_deleted", r->templates_deleted},
              {"keys_destroyed", r->keys_destroyed},
              {"subjects", r->subjects}});
  }

  static json RuleJson(const policy::Rule& r) {
    return {{"id", r.id}, {"title", r.title}, {"citation", r.citation}};
  }

  // The requirements facegate enforces with their legal citations: public, like the law.
  void ListRules(Call& c) {
    auto page = ParsePage(c.req);
    if (!page.ok()) return Fail(c, page.status());
    SendJson(c.res, 200, Paged(policy::Rules(), *page, RuleJson));
  }

  void GetRule(Call& c) {
    const std::string id = c.req.matches[1];
    const policy::Rule* r = policy::FindRule(id);
    if (!r)
      return Fail(c, Status::NotFound("no requirement '" + id + "'; GET /v1/rules lists them"));
    SendJson(c.res, 200, {{"ok", true}, {"rule", RuleJson(*r)}});
  }

  // A positive integer id from the path (match `group`), or kInvalidInput saying what it is.
  static Result<int64_t> PathId(Call& c, int group, const std::string& what) {
    const std::string s = c.req.matches[group];
    size_t pos = 0;
    long long v = 0;
    try {
      v = std::stoll(s, &pos);
    } catch (...) {
      pos = 0;
    }
    if (pos != s.size() || v <= 0)
      return Status::InvalidInput("'" + s + "' in the path is not an id: " + what);
    return static_cast<int64_t>(v);
  }

  // ---- rights of the person (REQ R1, R2; docs/rights.md) ----
  // Operators and admins record and handle requests; auditors read them.

  // An optional integer "request" field or ?request= query parameter.
  Result<int64_t> RequestIdOf(Call& c, const json* body) {
    if (body) {
      FG_ASSIGN_OR_RETURN(int64_t id, Int(*body, "request", false));
      if (id) return id;
    }
    return QueryInt(c.req, "request", 0, 0, INT64_MAX);
  }

  // A JSON body that may be absent (an action with no fields).
  Result<json> OptionalBody(Call& c, const std::string& hint) {
    if (c.req.body.empty()) return json::object();
    return ParseBody(c.req, hint);
  }

  void SendRequest(Call& c, int http, const Result<RightsRequestRecord>& r) {
    if (!r.ok()) return Fail(c, r.status());
    SendJson(c.res, http, {{"ok", true}, {"request", service::RightsRequestJson(*r, Now())}});
  }

  void OpenRightsRequest(Call& c) {
    c.action = "rights.request";
    auto body = ParseBody(
        c.req, R"({"subject": "S1", "kind": "access", "note": "asked at the front desk"})");
    if (!body.ok()) return Fail(c, body.status());
    service::RightsRequestInput in;
    auto subject = Str(*body, "subject", false);
    if (!subject.ok()) return Fail(c, subject.status());
    in.subject = *subject;
    auto kind = Str(*body, "kind", true, "access, copy, correction, deletion, restriction, "
                                         "withdrawal, explanation or human_review");
    if (!kind.ok()) return Fail(c, kind.status());
    in.kind = *kind;
    auto purpose = Str(*body, "purpose", false);
    auto note = Str(*body, "note", false);
    auto event = Int(*body, "event_seq", false);
    for (const Status* s : {&purpose.status(), &note.status(), &event.status()})
      if (!s->ok()) return Fail(c, *s);
    in.purpose = *purpose;
    in.note = *note;
    in.event_seq = *event;
    c.subject = in.subject;
    c.audited = true;
    SendRequest(c, 201, svc.OpenRightsRequest(in, c.actor));
  }

  void ListRightsRequests(Call& c) {
    c.action = "rights.list";
    auto page = ParsePage(c.req);
    if (!page.ok()) return Fail(c, page.status());
    c.subject = c.req.has_param("subject") ? c.req.get_param_value("subject") : "";
    const std::string status = c.req.has_param("status") ? c.req.get_param_value("status") : "";
    if (!status.empty() && status != "open" && status != "overdue")
      return Fail(c, Status::InvalidInput("query parameter status='" + status +
                                          "' must be open or overdue (or absent: every request)"));
    auto rs = svc.ListRightsRequests(c.subject, !status.empty());
    if (!rs.ok()) return Fail(c, rs.status());
    const UnixTime now = Now();
    std::vector<RightsRequestRecord> shown;
    int64_t overdue = 0;
    for (const RightsRequestRecord& r : *rs) {
      overdue += r.overdue_at(now);
      if (status != "overdue" || r.overdue_at(now)) shown.push_back(r);
    }
    json j = Paged(shown, *page, [now](const RightsRequestRecord& r) {
      return service::RightsRequestJson(r, now);
    });
    j["overdue"] = overdue;
    SendJson(c.res, 200, j);
  }

  void GetRightsRequest(Call& c) {
    c.action = "rights.get";
    auto id = PathId(c, 1, "a rights request id (GET /v1/rights lists them)");
    if (!id.ok()) return Fail(c, id.status());
    auto r = svc.GetRightsRequest(*id);
    if (r.ok()) c.subject = r->subject;
    SendRequest(c, 200, r);
  }

  void CompleteRightsRequest(Call& c) {
    c.action = "rights.complete";
    auto id = PathId(c, 1, "a rights request id (GET /v1/rights lists them)");
    if (!id.ok()) return Fail(c, id.status());
    auto body = OptionalBody(c, R"({"note": "answered by letter"})");
    if (!body.ok()) return Fail(c, body.status());
    auto note = Str(*body, "note", false);
    if (!note.ok()) return Fail(c, note.status());
    c.audited = true;
    SendRequest(c, 200, svc.CompleteRightsRequest(*id, *note, c.actor));
  }

  void RefuseRightsRequest(Call& c) {
    c.action = "rights.refuse";
    auto id = PathId(c, 1, "a rights request id (GET /v1/rights lists them)");
    if (!id.ok()) return Fail(c, id.status());
    auto body = ParseBody(c.req, R"({"reason": "the law or fact that prevents it"})");
    if (!body.ok()) return Fail(c, body.status());
    auto reason = Str(*body, "reason", true, "a refusal gives the person its reason (REQ R1)");
    if (!reason.ok()) return Fail(c, reason.status());
    c.audited = true;
    SendRequest(c, 200, svc.RefuseRightsRequest(*id, *reason, c.actor));
  }

  void ReviewRightsRequest(Call& c) {
    c.action = "rights.review";
    auto id = PathId(c, 1, "a rights request id (GET /v1/rights lists them)");
    if (!id.ok()) return Fail(c, id.status());
    auto body = ParseBody(c.req, R"({"outcome": "confirmed", "reason": "..."})");
    if (!body.ok()) return Fail(c, body.status());
    auto outcome = Str(*body, "outcome", true, "confirmed or overturned");
    if (!outcome.ok()) return Fail(c, outcome.status());
    auto reason = Str(*body, "reason", true, "the reviewer's reason");
    if (!reason.ok()) return Fail(c, reason.status());
    c.audited = true;
    SendRequest(c, 200, svc.RecordReview(*id, *outcome, *reason, c.actor));
  }

  // A document (export or explanation): JSON by default, Markdown with ?format=markdown.
  void SendDocument(Call& c, const Result<service::RightsDocument>& doc) {
    if (!doc.ok()) return Fail(c, doc.status());
    const std::string format = c.req.has_param("format") ? c.req.get_param_value("format") : "json";
    if (format == "markdown") {
      c.res.status = 200;
      c.res.set_header("X-Facegate-Request", std::to_string(doc->request_id));
      c.res.set_content(doc->markdown, "text/markdown; charset=utf-8");
      return;
    }
    c.res.status = 200;
    c.res.set_content(doc->json, "application/json");
  }

  Status CheckFormat(Call& c) {
    const std::string f = c.req.has_param("format") ? c.req.get_param_value("format") : "json";
    if (f == "json" || f == "markdown") return Status::Ok();
    return Status::InvalidInput("query parameter format='" + f + "' must be json or markdown");
  }

  void ExportSubject(Call& c) {
    c.action = "rights.export";
    c.subject = c.req.matches[1];
    Status f = CheckFormat(c);
    if (!f.ok()) return Fail(c, f);
    auto body = OptionalBody(c, R"({"request": 12})");
    if (!body.ok()) return Fail(c, body.status());
    auto rid = RequestIdOf(c, &*body);
    if (!rid.ok()) return Fail(c, rid.status());
    c.audited = true;
    SendDocument(c, svc.ExportSubject(c.subject, *rid, c.actor));
  }

  void ExplainSubject(Call& c) {
    c.action = "rights.explain";
    c.subject = c.req.matches[1];
    Status f = CheckFormat(c);
    if (!f.ok()) return Fail(c, f);
    auto body = OptionalBody(c, R"({"request": 12, "limit": 10})");
    if (!body.ok()) return Fail(c, body.status());
    auto rid = RequestIdOf(c, &*body);
    if (!rid.ok()) return Fail(c, rid.status());
    auto limit = Int(*body, "limit", false);
    if (!limit.ok()) return Fail(c, limit.status());
    c.audited = true;
    SendDocument(c, svc.ExplainDecisions(c.subject, *limit, *rid, c.actor));
  }

  void RestrictSubject(Call& c) {
    c.action = "rights.restrict";
    c.subject = c.req.matches[1];
    auto body = OptionalBody(c, R"({"request": 12})");
    if (!body.ok()) return Fail(c, body.status());
    auto rid = RequestIdOf(c, &*body);
    if (!rid.ok()) return Fail(c, rid.status());
    c.audited = true;
    auto r = svc.RestrictSubject(c.subject, *rid, c.actor);
    if (!r.ok()) return Fail(c, r.status());
    SendJson(c.res, 200,
             {{"ok", true}, {"subject", c.subject}, {"restriction", r->id}, {"request", r->request_id},
              {"placed_at", FormatTime(r->placed_at)}});
  }

  void LiftRestriction(Call& c) {
    c.action = "rights.lift";
    c.subject = c.req.matches[1];
    c.audited = true;
    Status st = svc.LiftRestriction(c.subject, c.actor);
    if (!st.ok()) return Fail(c, st);
    SendJson(c.res, 200, {{"ok", true}, {"subject", c.subject}});
  }

  void EraseSubject(Call& c) {
    c.action = "rights.erase";
    c.subject = c.req.matches[1];
    auto body = OptionalBody(c, R"({"request": 12})");
    if (!body.ok()) return Fail(c, body.status());
    auto rid = RequestIdOf(c, &*body);
    if (!rid.ok()) return Fail(c, rid.status());
    c.audited = true;
    auto r = svc.EraseSubject(c.subject, *rid, c.actor);
    if (!r.ok()) return Fail(c, r.status());
    SendJson(c.res, 200,
             {{"ok", true},
              {"subject", c.subject},
              {"request", r->request_id},
              {"consents_withdrawn", r->consents_withdrawn},
              {"templates_deleted", r->templates_deleted},
              {"key_destroyed", r->key_destroyed},
              {"identity_anonymised", r->identity_anonymised}});
  }

  // REQ R1: a second person approves a correction request (the person's identity checked).
  void ApproveCorrection(Call& c) {
    c.action = "rights.correction.approve";
    auto id = PathId(c, 1, "a rights request id (GET /v1/rights lists them)");
    if (!id.ok()) return Fail(c, id.status());
    auto body = ParseBody(c.req, R"({"reason": "identity checked against the ID card at the desk"})");
    if (!body.ok()) return Fail(c, body.status());
    auto reason = Str(*body, "reason", true, "how the person's identity was checked");
    if (!reason.ok()) return Fail(c, reason.status());
    c.audited = true;
    Status st = svc.ApproveCorrection(*id, *reason, c.actor);
    if (!st.ok()) return Fail(c, st);
    SendJson(c.res, 201, {{"ok", true}, {"request", *id}, {"approved_by", c.actor}});
  }

  void CorrectSubject(Call& c) {
    c.action = "rights.correct";
    c.subject = c.req.matches[1];
    std::string image, session;
    int64_t rid = 0;
    const char* kHint =
        R"({"purpose": "office-entry", "image_base64": "<base64 of the JPEG>", "request": 12} or multipart/form-data with fields purpose, request and file "image")";
    if (c.req.is_multipart_form_data()) {
      auto field = [&](const char* name) {
        return c.req.has_file(name) ? c.req.get_file_value(name).content : "";
      };
      c.purpose = field("purpose");
      session = field("session");
      const std::string r = field("request");
      if (!r.empty()) {
        try {
          rid = std::stoll(r);
        } catch (...) {
          return Fail(c, Status::InvalidInput("multipart field \"request\" must be a request id"));
        }
      }
      image = field("image");
    } else {
      auto body = ParseBody(c.req, kHint);
      if (!body.ok()) return Fail(c, body.status());
      auto purpose = Str(*body, "purpose", false);
      auto sess = Str(*body, "session", false);
      auto b64 = Str(*body, "image_base64", true, std::string("the new photo; send ") + kHint);
      auto r = Int(*body, "request", false);
      for (const Status* s : {&purpose.status(), &sess.status(), &b64.status(), &r.status()})
        if (!s->ok()) return Fail(c, *s);
      c.purpose = *purpose;
      session = *sess;
      rid = *r;
      auto bytes = DecodeBase64(*b64);
      if (!bytes.ok()) return Fail(c, bytes.status());
      image = std::move(*bytes);
    }
    if (c.purpose.empty())
      return Fail(c, Status::InvalidInput("field \"purpose\" is required: the purpose whose templates are corrected"));
    if (image.empty()) return Fail(c, Status::InvalidInput("the image is empty; send a JPEG or PNG photo"));
    if (!ChargeDecodeWork(c, {&image})) return;
    c.audited = true;
    auto r = svc.CorrectEnrolment(c.subject, c.purpose, image, session, rid, c.actor);
    sodium_memzero(image.data(), image.size());  // REQ S2: the photo is not kept
    if (!r.ok()) return Fail(c, r.status());
    SendJson(c.res, 200,
             {{"ok", true},
              {"subject", c.subject},
              {"purpose", c.purpose},
              {"request", r->request_id},
              {"templates_replaced", r->templates_replaced},
              {"template_id", r->template_id},
              {"model", r->model},
              {"expires_at", FormatTime(r->expires_at)}});
  }

  // ---- breach workflow (REQ S9, PIPL 57; docs/breach.md): admins only ----

  static constexpr const char* kBreachId = "a breach id (GET /v1/breaches lists them)";

  void SendBreach(Call& c, int http, const Result<BreachRecord>& b) {
    if (!b.ok()) return Fail(c, b.status());
    SendJson(c.res, http, {{"ok", true}, {"breach", service::BreachRecordJson(*b)}});
  }
  void SendBreachView(Call& c, const Result<service::BreachView>& v) {
    if (!v.ok()) return Fail(c, v.status());
    SendJson(c.res, 200, {{"ok", true}, {"breach", service::BreachViewJson(*v)}});
  }
  // A step's documents: JSON by default, Markdown with ?format=markdown.
  void SendBreachDocument(Call& c, const Result<service::BreachDocument>& doc) {
    if (!doc.ok()) return Fail(c, doc.status());
    c.res.status = 200;
    c.res.set_header("X-Facegate-Breach", std::to_string(doc->breach_id));
    if (c.req.has_param("format") && c.req.get_param_value("format") == "markdown")
      return c.res.set_content(doc->markdown, "text/markdown; charset=utf-8");
    c.res.set_content(doc->json, "application/json");
  }

  void OpenBreach(Call& c) {
    c.action = "breach.open";
    auto body = ParseBody(
        c.req, R"({"description": "...", "cause": "...", "harm": "...", "measures": "...", "advice": "...", "contact": "dpo@example.com", "window_from": 1767225600, "window_to": 1793491200, "kinds": ["template", "consent"], "purposes": ["office-entry"]})");
    if (!body.ok()) return Fail(c, body.status());
    service::BreachInput in;
    struct Field {
      const char* name;
      std::string* out;
      const char* what;
    };
    const Field fields[] = {
        {"description", &in.description, "what happened"},
        {"cause", &in.cause, "the cause (PIPL 57); \"under investigation\" if not yet known"},
        {"harm", &in.harm, "the harm it may cause (PIPL 57)"},
        {"measures", &in.measures, "the remedial measures taken (PIPL 57)"},
        {"advice", &in.individual_advice, "what people can do to reduce the harm (PIPL 57)"},
        {"contact", &in.contact, "the handler's contact (PIPL 57)"}};
    for (const Field& f : fields) {
      auto v = Str(*body, f.name, true, f.what);
      if (!v.ok()) return Fail(c, v.status());
      *f.out = *v;
    }
    auto from = Int(*body, "window_from", true, "Unix seconds when data may first have been exposed");
    if (!from.ok()) return Fail(c, from.status());
    auto to = Int(*body, "window_to", true, "Unix seconds when exposure ended (now at the latest)");
    if (!to.ok()) return Fail(c, to.status());
    auto detected = Int(*body, "detected_at", false);
    if (!detected.ok()) return Fail(c, detected.status());
    auto kinds = StrList(*body, "kinds");
    if (!kinds.ok()) return Fail(c, kinds.status());
    auto purposes = StrList(*body, "purposes");
    if (!purposes.ok()) return Fail(c, purposes.status());
    in.window_from = *from;
    in.window_to = *to;
    in.detected_at = *detected;
    in.kinds = *kinds;
    in.purposes = *purposes;
    c.audited = true;
    SendBreach(c, 201, svc.OpenBreach(in, c.actor));
  }

  void ListBreaches(Call& c) {
    c.action = "breach.list";
    auto page = ParsePage(c.req);
    if (!page.ok()) return Fail(c, page.status());
    auto bs = svc.ListBreaches();
    if (!bs.ok()) return Fail(c, bs.status());
    SendJson(c.res, 200, Paged(*bs, *page, service::BreachRecordJson));
  }

  void ShowBreach(Call& c) {
    c.action = "breach.show";
    auto id = PathId(c, 1, kBreachId);
    if (!id.ok()) return Fail(c, id.status());
    c.audited = true;
    SendBreachView(c, svc.ShowBreach(*id, c.actor));
  }

  void AssessBreach(Call& c) {
    c.action = "breach.assess";
    auto id = PathId(c, 1, kBreachId);
    if (!id.ok()) return Fail(c, id.status());
    c.audited = true;
    SendBreachView(c, svc.AssessBreach(*id, c.actor));
  }

  void NotifyAuthority(Call& c) {
    c.action = "breach.notify_authority";
    auto id = PathId(c, 1, kBreachId);
    if (!id.ok()) return Fail(c, id.status());
    auto body = ParseBody(c.req, R"({"reference": "the authority's case number"})");
    if (!body.ok()) return Fail(c, body.status());
    auto ref = Str(*body, "reference", true, "the authority's case number, or how and when it was filed");
    if (!ref.ok()) return Fail(c, ref.status());
    c.audited = true;
    SendBreachDocument(c, svc.NotifyAuthority(*id, *ref, c.actor));
  }

  void NotifyPeople(Call& c) {
    c.action = "breach.notify_people";
    auto id = PathId(c, 1, kBreachId);
    if (!id.ok()) return Fail(c, id.status());
    c.audited = true;
    SendBreachDocument(c, svc.NotifyPeople(*id, c.actor));
  }

  void DecideNotToNotify(Call& c) {
    c.action = "breach.no_notify";
    auto id = PathId(c, 1, kBreachId);
    if (!id.ok()) return Fail(c, id.status());
    auto body = ParseBody(c.req, R"({"reason": "how the measures effectively avoid harm"})");
    if (!body.ok()) return Fail(c, body.status());
    auto reason = Str(*body, "reason", true, "how the measures taken effectively avoid harm (PIPL 57)");
    if (!reason.ok()) return Fail(c, reason.status());
    c.audited = true;
    SendBreach(c, 200, svc.DecideNotToNotify(*id, *reason, c.actor));
  }

  void CloseBreach(Call& c) {
    c.action = "breach.close";
    auto id = PathId(c, 1, kBreachId);
    if (!id.ok()) return Fail(c, id.status());
    c.audited = true;
    SendBreach(c, 200, svc.CloseBreach(*id, c.actor));
  }

  using Method = void (Impl::*)(Call&);
  std::map<std::string, Method> Handlers() {
    return {{"GET /v1/health", &Impl::Health},
            {"GET /v1/purposes", &Impl::ListPurposes},
            {"POST /v1/purposes", &Impl::AddPurpose},
            {"GET /v1/purposes/{name}", &Impl::GetPurpose},
            {"POST /v1/purposes/{name}/notices", &Impl::PublishNotice},
            {"GET /v1/purposes/{name}/notice", &Impl::GetNotice},
            {"POST /v1/purposes/{name}/threshold", &Impl::SetThreshold},
            {"POST /v1/consents", &Impl::GiveConsent},
            {"GET /v1/subjects/{id}/consents", &Impl::ListConsents},
            {"POST /v1/subjects/{id}/consents/{purpose}/withdraw", &Impl::Withdraw},
            {"POST /v1/enrol", &Impl::Enrol},
            {"POST /v1/verify", &Impl::Verify},
            {"POST /v1/identify", &Impl::Identify},
            {"GET /v1/audit", &Impl::ListAudit},
            {"GET /v1/audit/verify", &Impl::VerifyAudit},
            {"POST /v1/analyze", &Impl::Analyze},
            {"POST /v1/alternatives", &Impl::ChooseAlternative},
            {"POST /v1/alternatives/{id}/complete", &Impl::CompleteAlternative},
            {"GET /v1/purposes/{name}/connectors", &Impl::ListConnectors},
            {"POST /v1/purposes/{name}/connectors", &Impl::ConnectAlternative},
            {"POST /v1/alternatives/credentials", &Impl::RegisterCredential},
            {"POST /v1/alternatives/tokens", &Impl::IssueToken},
            {"POST /v1/alternatives/{id}/present", &Impl::PresentAlternative},
            {"POST /v1/subjects/{id}/approvals", &Impl::ApproveMinorAccess},
            {"POST /v1/subjects/{id}/consents/{purpose}/refuse", &Impl::RefuseConsent},
            {"GET /v1/subjects/{id}/consents/{purpose}/may-ask", &Impl::MayAskConsent},
            {"GET /v1/consents/{id}/receipt", &Impl::ConsentReceipt},
            {"POST /v1/retention/sweep", &Impl::SweepRetention},
            {"GET /v1/rules", &Impl::ListRules},
            {"GET /v1/rules/{id}", &Impl::GetRule},
            {"POST /v1/subjects", &Impl::DeclareSubject},
            {"GET /v1/subjects/{id}", &Impl::ShowSubject},
            // rights of the person (REQ R1, R2)
            {"POST /v1/rights", &Impl::OpenRightsRequest},
            {"GET /v1/rights", &Impl::ListRightsRequests},
            {"GET /v1/rights/{id}", &Impl::GetRightsRequest},
            {"POST /v1/rights/{id}/complete", &Impl::CompleteRightsRequest},
            {"POST /v1/rights/{id}/refuse", &Impl::RefuseRightsRequest},
            {"POST /v1/rights/{id}/review", &Impl::ReviewRightsRequest},
            {"POST /v1/subjects/{id}/export", &Impl::ExportSubject},
            {"POST /v1/subjects/{id}/explanation", &Impl::ExplainSubject},
            {"POST /v1/subjects/{id}/restrict", &Impl::RestrictSubject},
            {"POST /v1/subjects/{id}/lift", &Impl::LiftRestriction},
            {"POST /v1/subjects/{id}/erase", &Impl::EraseSubject},
            {"POST /v1/subjects/{id}/correct", &Impl::CorrectSubject},
            {"POST /v1/rights/{id}/approve", &Impl::ApproveCorrection},
            {"POST /v1/subjects/{id}/birth-date", &Impl::ChangeBirthDate},
            {"POST /v1/subjects/{id}/birth-date/approvals", &Impl::ApproveBirthDateChange},
            // breach workflow (REQ S9)
            {"POST /v1/breaches", &Impl::OpenBreach},
            {"GET /v1/breaches", &Impl::ListBreaches},
            {"GET /v1/breaches/{id}", &Impl::ShowBreach},
            {"POST /v1/breaches/{id}/assess", &Impl::AssessBreach},
            {"POST /v1/breaches/{id}/notify-authority", &Impl::NotifyAuthority},
            {"POST /v1/breaches/{id}/notify-people", &Impl::NotifyPeople},
            {"POST /v1/breaches/{id}/no-notify", &Impl::DecideNotToNotify},
            {"POST /v1/breaches/{id}/close", &Impl::CloseBreach}};
  }

  // Authenticates, rate-limits and authorizes, then runs the handler; logs one line.
  void Dispatch(const RouteInfo& route, Method handler, const httplib::Request& req,
                httplib::Response& res) {
    const auto t0 = std::chrono::steady_clock::now();
    Call c(req, res, route);
    bool audit = route.access != Access::kPublic;
    [&] {
      if (route.access == Access::kPublic) return (this->*handler)(c);
      c.action = "api.auth";
      // REQ: keys travel only in the Authorization header (never URLs) and are never logged.
      const std::string auth = req.get_header_value("Authorization");
      const std::string bearer = "Bearer ";
      int retry = 1;
      if (auth.rfind(bearer, 0) != 0) {
        audit = false;  // counted and logged, never on the audit chain (no actor to name)
        if (!limiter.Allow("addr:" + req.remote_addr, &retry)) return RateLimited(c, retry, &audit);
        res.set_header("WWW-Authenticate", "Bearer");
        return SendJson(res, 401,
                        ErrorJson("unauthenticated",
                                  "this call needs an API key: send the header "
                                  "'Authorization: Bearer <key>' (keys come from "
                                  "`facegate apikey create`)"));
      }
      auto key = keys.Authenticate(auth.substr(bearer.size()));
      if (!key.ok()) {
        if (key.status().kind() == ErrorKind::kNotFound) audit = false;
        if (!limiter.Allow("addr:" + req.remote_addr, &retry)) return RateLimited(c, retry, &audit);
        res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        if (key.status().kind() != ErrorKind::kNotFound) return Fail(c, key.status());
        return SendJson(res, 401,
                        ErrorJson("unauthenticated",
                                  "the API key is unknown or revoked; check the key or ask an "
                                  "admin for a new one"));
      }
      c.key = *key;
      c.actor = "key:" + key->id;
      if (!limiter.Allow("key:" + key->id, &retry)) return RateLimited(c, retry, &audit);
      if (!RoleAllows(key->role, route.access)) {
        c.action = "api.forbidden";
        return Forbid(c, std::string("role '") + ToString(key->role) + "' may not call " +
                             route.method + " " + route.path +
                             "; see the role matrix in docs/api.md");
      }
      // Every text the client sent is UTF-8 or the call stops here, before it reaches a
      // handler, the store or the audit log (a byte like %FF would break their JSON).
      if (Status text = RequireUtf8Request(req); !text.ok()) {
        c.action = "api.bad_request";
        return Fail(c, text);
      }
      // Face work is bounded (ServerConfig::face_workers): a request waits here for its turn.
      struct FaceTurn {
        Impl* impl = nullptr;
        explicit FaceTurn(Impl* i) : impl(i) {
          if (!impl) return;
          std::unique_lock<std::mutex> lock(impl->face_mu);
          impl->face_cv.wait(lock, [&] { return impl->face_busy < impl->face_max; });
          ++impl->face_busy;
        }
        ~FaceTurn() {
          if (!impl) return;
          std::lock_guard<std::mutex> lock(impl->face_mu);
          --impl->face_busy;
          impl->face_cv.notify_one();
        }
      } turn(RunsFaceWork(route) ? this : nullptr);
      try {
        (this->*handler)(c);
      } catch (const std::exception& e) {
        Log(std::string("internal error: ") + e.what());
        SendJson(res, 500,
                 ErrorJson("internal",
                           "the server failed while handling this request; the "
                           "error is in the server log"));
      }
    }();
    // Every authenticated call leaves an audit event (REQ S6): the Service's, or the
    // server's own here. Calls without a valid key are counted, and their log lines
    // rate-limited, so a flood grows neither the chain nor the log without bound.
    if (audit && !c.audited) AuditCall(c, res.status);
    if (res.status == 401) {
      const uint64_t n = ++unauthenticated_;
      int unused = 0;
      if (!log_limiter.Allow("unauthenticated", &unused)) {
        ++unauthenticated_unlogged_;
        return;
      }
      const uint64_t skipped = unauthenticated_unlogged_.exchange(0);
      if (skipped > 0)
        Log("unauthenticated: " + std::to_string(skipped) + " more refused without a log line; " +
            std::to_string(n) + " since start");
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::ostringstream line;
    line << FormatTime(static_cast<UnixTime>(std::time(nullptr))) << " " << req.remote_addr << " "
         << req.method << " " << LogSafe(req.path) << " " << res.status << " " << c.actor << " "
         << std::fixed << std::setprecision(1) << ms << "ms";
    Log(line.str());
  }

  // The request's path, query parameters and multipart text fields must be UTF-8.
  static Status RequireUtf8Request(const httplib::Request& req) {
    FG_RETURN_IF_ERROR(RequireUtf8(req.path, "the URL path"));
    for (const auto& [name, value] : req.params) {
      FG_RETURN_IF_ERROR(RequireUtf8(name, "a query parameter's name"));
      FG_RETURN_IF_ERROR(RequireUtf8(value, "query parameter \"" + name + "\""));
    }
    for (const auto& [name, file] : req.files) {
      FG_RETURN_IF_ERROR(RequireUtf8(name, "a multipart field's name"));
      FG_RETURN_IF_ERROR(RequireUtf8(file.filename, "the file name of multipart field \"" + name + "\""));
      if (file.filename.empty() && name != "image")
        FG_RETURN_IF_ERROR(RequireUtf8(file.content, "multipart field \"" + name + "\""));
    }
    return Status::Ok();
  }

  // 429: not audited, so a flood cannot grow the audit chain without bound (it is logged).
  void RateLimited(Call& c, int retry_after, bool* audit) {
    *audit = false;
    c.res.set_header("Retry-After", std::to_string(retry_after));
    SendJson(c.res, 429,
             ErrorJson("rate_limited", "too many requests from this key; retry after " +
                                           std::to_string(retry_after) + " s"));
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() {
  Stop();
}
int Server::port() const {
  return impl_->bound_port;
}

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
  auto handlers = I.Handlers();
  for (const RouteInfo& r : Routes()) {
    auto it = handlers.find(r.method + " " + r.path);
    if (it == handlers.end())
      return Status::Internal("route " + r.method + " " + r.path + " has no handler");
    Impl::Method m = it->second;
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
