// What every route shares: the JSON and HTTP helpers, and ServerImpl's dispatch (key, rate
// limit, role, body deadline, face turn), its server log, its own audit events and error bodies.
#include "server/server_impl.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "service/json_views.h"
#include "vision/image_header.h"

namespace facegate::server {

using service::FormatTime;

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

json ErrorJson(const std::string& code, const std::string& message) {
  return {{"ok", false}, {"error", code}, {"message", message}};
}

Result<json> ParseBody(const httplib::Request& req, const std::string& hint) {
  return ParseJsonBody(req.body, hint);
}

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

ServerImpl::ServerImpl(service::Service& s, ApiKeyStore& k, const ServerConfig& c)
    : svc(s),
      keys(k),
      config(c),
      limiter(c.rate_per_second, c.rate_burst),
      pixel_limiter(c.pixels_per_second / 1e6, 4 * c.pixels_per_second / 1e6) {
  face_max = c.face_workers > 0 ? c.face_workers
                                : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Whether a route runs the engine on the photos it is sent.
bool ServerImpl::RunsFaceWork(const RouteInfo& r) {
  return r.access == Access::kFace || r.path == "/v1/subjects/{id}/correct";
}

// Charges the key for the decode work of `images` (pixels from their headers, before any
// decoding); false after answering 429 when its budget is spent (ServerConfig::pixels_per_second).
bool ServerImpl::ChargeDecodeWork(Call& c, const std::vector<const std::string*>& images) {
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
void ServerImpl::DispatchWithBody(const RouteInfo& route, Handler handler,
                                  const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& reader) {
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

UnixTime ServerImpl::Now() const {
  return svc.config().clock ? svc.config().clock() : static_cast<UnixTime>(std::time(nullptr));
}

// One line per call: control characters a client put in a URL (%0A, %0D, ESC) are
// escaped, so no request can forge or split a line of the server log.
void ServerImpl::Log(const std::string& text) {
  const std::string line = LogSafe(text);
  if (config.log)
    config.log(line);
  else
    std::cerr << line << std::endl;
}

std::string ServerImpl::LogSafe(const std::string& s) {
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
void ServerImpl::AuditCall(const Call& c, int http) {
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
void ServerImpl::Fail(Call& c, const Status& st) {
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

void ServerImpl::Forbid(Call& c, const std::string& message) {
  SendJson(c.res, 403, ErrorJson("forbidden", message));
}

// A device key acts only for its own device and purposes (docs/api.md, "Roles").
bool ServerImpl::DeviceMayAct(Call& c, const FaceRequest& f) {
  return DeviceMayAct(c, f.purpose, f.device);
}
bool ServerImpl::DeviceMayAct(Call& c, const std::string& purpose, const std::string& device) {
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

// A positive integer id from the path (match `group`), or kInvalidInput saying what it is.
Result<int64_t> ServerImpl::PathId(Call& c, int group, const std::string& what) {
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

// Authenticates, rate-limits and authorizes, then runs the handler; logs one line.
void ServerImpl::Dispatch(const RouteInfo& route, Handler handler, const httplib::Request& req,
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
      ServerImpl* impl = nullptr;
      explicit FaceTurn(ServerImpl* i) : impl(i) {
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
Status ServerImpl::RequireUtf8Request(const httplib::Request& req) {
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
void ServerImpl::RateLimited(Call& c, int retry_after, bool* audit) {
  *audit = false;
  c.res.set_header("Retry-After", std::to_string(retry_after));
  SendJson(c.res, 429,
           ErrorJson("rate_limited", "too many requests from this key; retry after " +
                                         std::to_string(retry_after) + " s"));
}

}  // namespace facegate::server
