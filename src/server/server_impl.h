// What the files of the REST layer share (internal to src/server/): the JSON and HTTP helpers,
// the call a handler sees, and ServerImpl, the state and handlers behind Server. Each resource
// family (server_purposes.cpp, server_consents.cpp, server_faces.cpp, server_audit.cpp,
// server_alternatives.cpp, server_rights.cpp, server_admin.cpp, server_devices.cpp) defines its handlers beside its
// route table, which says each route's access group; server.cpp joins the tables into Routes().
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/rate_limit.h"
#include "server/request.h"
#include "server/server.h"

namespace facegate::server {

using json = nlohmann::json;

// ---- HTTP status of each error kind (docs/api.md, "Errors") ----

int HttpStatus(ErrorKind k);
const char* ReasonCode(int http);

void SendJson(httplib::Response& res, int status, const json& j);

// An error body; refusals add the rule, its citation and the alternatives (REQ A1).
json ErrorJson(const std::string& code, const std::string& message);

Result<json> ParseBody(const httplib::Request& req, const std::string& hint);

struct Page {
  int64_t page = 1, size = 50;
};

Result<int64_t> QueryInt(const httplib::Request& req, const char* name, int64_t def, int64_t lo,
                         int64_t hi);

Result<Page> ParsePage(const httplib::Request& req);

template <typename T, typename F>
json Paged(const std::vector<T>& all, const Page& p, F to_json) {
  json items = json::array();
  const size_t from = static_cast<size_t>((p.page - 1) * p.size);
  for (size_t i = from; i < all.size() && i < from + static_cast<size_t>(p.size); ++i)
    items.push_back(to_json(all[i]));
  return {
      {"ok", true}, {"items", items}, {"page", p.page}, {"size", p.size}, {"total", all.size()}};
}

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

// What a device key sees of a face decision: the decision, never the scores (server_faces.cpp).
json DecisionView(const Call& c, json j);

// ---- route tables: each family's routes with their access group and handler ----

struct ServerImpl;
using Handler = void (ServerImpl::*)(Call&);

struct RouteEntry {
  RouteInfo route;
  Handler handler;
};

// One table per family, each in that family's file.
const std::vector<RouteEntry>& PurposeRoutes();      // server_purposes.cpp
const std::vector<RouteEntry>& ConsentRoutes();      // server_consents.cpp
const std::vector<RouteEntry>& FaceRoutes();         // server_faces.cpp
const std::vector<RouteEntry>& AuditRoutes();        // server_audit.cpp
const std::vector<RouteEntry>& AlternativeRoutes();  // server_alternatives.cpp
const std::vector<RouteEntry>& RightsRoutes();       // server_rights.cpp
const std::vector<RouteEntry>& AdminRoutes();        // server_admin.cpp
const std::vector<RouteEntry>& DeviceRoutes();       // server_devices.cpp
const std::vector<RouteEntry>& ConsoleRoutes();      // server_console.cpp
const std::vector<RouteEntry>& ReportRoutes();       // server_reports.cpp
// The families' tables joined, in registration order; Routes() is its RouteInfo column.
const std::vector<RouteEntry>& RouteTable();

// The state and handlers behind Server. (Server::Impl, private to Server in server.h, is this
// type by another name, so that the family files can name the handlers in their tables.)
struct ServerImpl {
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

  ServerImpl(service::Service& s, ApiKeyStore& k, const ServerConfig& c);

  // ---- dispatch, logging, audit and errors (server_impl.cpp) ----

  static bool RunsFaceWork(const RouteInfo& r);
  bool ChargeDecodeWork(Call& c, const std::vector<const std::string*>& images);
  void DispatchWithBody(const RouteInfo& route, Handler handler, const httplib::Request& req,
                        httplib::Response& res, const httplib::ContentReader& reader);
  void Dispatch(const RouteInfo& route, Handler handler, const httplib::Request& req,
                httplib::Response& res);
  static Status RequireUtf8Request(const httplib::Request& req);
  void RateLimited(Call& c, int retry_after, bool* audit);
  UnixTime Now() const;
  void Log(const std::string& text);
  static std::string LogSafe(const std::string& s);
  void AuditCall(const Call& c, int http);
  void Fail(Call& c, const Status& st);
  void Forbid(Call& c, const std::string& message);

  // The fields of an enrol or verify request, from multipart or JSON.
  struct FaceRequest {
    std::string subject, purpose, session, device, image;
  };
  bool DeviceMayAct(Call& c, const FaceRequest& f);
  bool DeviceMayAct(Call& c, const std::string& purpose, const std::string& device);
  static Result<int64_t> PathId(Call& c, int group, const std::string& what);

  // ---- purposes and notices (server_purposes.cpp) ----
  void ListPurposes(Call& c);
  void AddPurpose(Call& c);
  void GetPurpose(Call& c);
  void SetThreshold(Call& c);
  void SetPurposeBasis(Call& c);
  void ListInferences(Call& c);
  void AnalysisStatistics(Call& c);
  void EnableInference(Call& c);
  void DisableInference(Call& c);
  void PublishNotice(Call& c);
  void GetNotice(Call& c);

  // ---- consents, receipts and subjects (server_consents.cpp) ----
  void GiveConsent(Call& c);
  void ListConsents(Call& c);
  void Withdraw(Call& c);
  void ConsentReceipt(Call& c);
  void DeclareSubject(Call& c);
  void ShowSubject(Call& c);
  void ApproveMinorAccess(Call& c);
  void ChangeBirthDate(Call& c);
  void ApproveBirthDateChange(Call& c);

  // ---- faces: enrol, verify, identify, analyze (server_faces.cpp) ----
  Result<FaceRequest> ReadFaceRequest(Call& c);
  void Enrol(Call& c);
  void Verify(Call& c);
  void Identify(Call& c);
  void Analyze(Call& c);

  // ---- impact assessments, the filing line, reports (server_reports.cpp; REQ F1-F3) ----
  void CreateAssessment(Call& c);
  void ListAssessments(Call& c);
  void GetAssessment(Call& c);
  void ApproveAssessment(Call& c);
  void FilingReport(Call& c);
  void PiaReport(Call& c);
  void ComplianceReport(Call& c);
  // Answers a report as `format`: "json" (`json_text`), "html" or "pdf" (`html`).
  void SendReport(Call& c, const std::string& format, const std::string& json_text, const std::string& html);

  // ---- audit (server_audit.cpp) ----
  void ListAudit(Call& c);
  void VerifyAudit(Call& c);

  // ---- alternatives, their connectors, refusal and may-ask (server_alternatives.cpp) ----
  void ChooseAlternative(Call& c);
  void CompleteAlternative(Call& c);
  void ListConnectors(Call& c);
  void ConnectAlternative(Call& c);
  void RegisterCredential(Call& c);
  void IssueToken(Call& c);
  void PresentAlternative(Call& c);
  bool PurposeExists(Call& c, const std::string& purpose);
  void RefuseConsent(Call& c);
  void MayAskConsent(Call& c);

  // ---- devices, capture sessions and sites (server_devices.cpp) ----
  bool DeviceKeyOwns(Call& c, const std::string& device, const std::string& purpose);
  bool DeviceUsesSessions(Call& c);
  std::optional<CaptureSessionRecord> SessionOfCall(Call& c);
  void ListDevices(Call& c);
  void RegisterDevice(Call& c);
  void GetDevice(Call& c);
  void ConfirmSignage(Call& c);
  void SetDeviceLive(Call& c);
  void SuspendDevice(Call& c);
  void OpenCaptureSession(Call& c);
  void GetCaptureSession(Call& c);
  void SubmitFrame(Call& c);
  void SessionAlternative(Call& c);
  void ListSites(Call& c);
  void RegisterSite(Call& c);
  void GetSite(Call& c);
  void CheckSite(Call& c);
  void SiteMap(Call& c);
  // ---- rights of the person (server_rights.cpp) ----
  Result<int64_t> RequestIdOf(Call& c, const json* body);
  Result<json> OptionalBody(Call& c, const std::string& hint);
  void SendRequest(Call& c, int http, const Result<RightsRequestRecord>& r);
  void OpenRightsRequest(Call& c);
  void ListRightsRequests(Call& c);
  void GetRightsRequest(Call& c);
  void CompleteRightsRequest(Call& c);
  void RefuseRightsRequest(Call& c);
  void ReviewRightsRequest(Call& c);
  void SendDocument(Call& c, const Result<service::RightsDocument>& doc);
  Status CheckFormat(Call& c);
  void ExportSubject(Call& c);
  void ExplainSubject(Call& c);
  void RestrictSubject(Call& c);
  void LiftRestriction(Call& c);
  void EraseSubject(Call& c);
  void ApproveCorrection(Call& c);
  void CorrectSubject(Call& c);

  // ---- administration: health, retention, rules, breach workflow (server_admin.cpp) ----
  void Health(Call& c);
  void Me(Call& c);
  void SweepRetention(Call& c);
  void ListRules(Call& c);
  void GetRule(Call& c);
  void SendBreach(Call& c, int http, const Result<BreachRecord>& b);
  void SendBreachView(Call& c, const Result<service::BreachView>& v);
  void SendBreachDocument(Call& c, const Result<service::BreachDocument>& doc);
  void OpenBreach(Call& c);
  void ListBreaches(Call& c);
  void ShowBreach(Call& c);
  void AssessBreach(Call& c);
  void NotifyAuthority(Call& c);
  void NotifyPeople(Call& c);
  void DecideNotToNotify(Call& c);
  void CloseBreach(Call& c);

  // ---- the operator console: dashboard, notice versions, API keys (server_console.cpp) ----
  void Dashboard(Call& c);
  void ListNotices(Call& c);
  void ListApiKeys(Call& c);
  void CreateApiKey(Call& c);
  void RevokeApiKey(Call& c);
  void AuditKeyChange(const Call& c, int http, const ApiKey& key);
};

}  // namespace facegate::server
