// Private state of Service shared by the files that implement its use cases
// (service.cpp, eval.cpp, ...): the store, vault, Gate, engine and the audit helpers.
#pragma once

#include <facegate/service.h>
#include <facegate/vault.h>

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "policy/gate.h"
#include "service/scopes.h"
#include "vision/video.h"

namespace facegate::service {

using json = nlohmann::json;

// A face counts as a second candidate when its box is at least this share of
// the largest face's area (smaller ones are background bystanders).
constexpr float kProminentFaceShare = 0.25f;

struct OpenedVideo;  // video.cpp
// A video file or camera to read (video.cpp): ok when exactly one is given; then opened.
Status CheckVideoInput(const VideoInput& in);
Result<std::unique_ptr<vision::VideoReader>> OpenVideo(const VideoInput& in, double sample_fps);

// A device's frame (devices.cpp): what Verify and Identify need beyond a photo's bytes.
struct Service::FrameScope {
  std::string device, capture_session;
  const vision::CollectionArea* area = nullptr;   // faces outside it are dropped (REQ D2)
  const vision::Detection* detection = nullptr;   // a tracked pass: this face, no detection
  const cv::Mat* image = nullptr;                 // already decoded (video) instead of bytes
  int dropped = 0;                                // out: faces outside the area
  std::optional<vision::FaceQuality> poor;        // out: enrolment refused this face's quality
};

struct Service::Impl {
  Config config;
  std::unique_ptr<store::Store> store;
  std::optional<store::Vault> vault;
  std::unique_ptr<policy::Gate> gate;
  std::mutex engine_mu;
  // Serialises the counting of analysis requests into a window (REQ AN2; analyze.cpp), so a
  // picture sent by two concurrent requests is counted once.
  std::mutex analysis_mu;
  std::unique_ptr<vision::Engine> engine;
  // Identification scopes (REQ SC2), made on first use; see Scopes().
  std::once_flag scopes_once;
  std::unique_ptr<ScopeRegistry> scopes;

  ScopeRegistry& Scopes() {
    std::call_once(scopes_once, [&] { scopes = std::make_unique<ScopeRegistry>(*store, *vault); });
    return *scopes;
  }

  // Connector kinds added by the integrator (REQ A4), beside the built-in ones.
  std::mutex connector_kinds_mu;
  std::map<std::string, ConnectorFactory> connector_kinds;

  // The connector deciding (purpose, method)'s transactions: the bound kind, else staff (REQ A4).
  Result<std::pair<AlternativeConnectorRecord, std::unique_ptr<Connector>>> ConnectorFor(
      const std::string& purpose, const std::string& method);

  // REQ M3: ok when `reader` holds an unexpired approval to read the child's records (an
  // audit event "minor.access.approve" naming the reader); otherwise kRefused "M3", audited.
  Status RequireMinorAccess(const std::string& subject, const std::string& reader, const std::string& records);

  // Loads the master key into `vault`, refusing a missing or different key for a database
  // written with one (the key check value in the settings; service.cpp).
  Status OpenVaultChecked(const std::string& key_path);

  // A stable pseudonymous reference for an identity that must not stand in the audit log (a
  // guardian's name or document): keyed BLAKE2b under a key derived from the master key, so
  // the log links events of one person without naming them, and an erased person's
  // references mean nothing once the identity row is gone. "" for "". (service.cpp)
  std::string PseudonymousRef(const char* kind, const std::string& identity) const;

  UnixTime Now() const { return config.clock ? config.clock() : policy::SystemNow(); }

  // Appends an audit event; the outcome is derived from `st` (REQ S6).
  Status Audit(const std::string& actor, const std::string& action, const std::string& subject,
               const std::string& purpose, const Status& st, json detail = json::object()) {
    AuditEvent e;
    e.at = Now();
    e.actor = actor;
    e.action = action;
    e.subject = subject;
    e.purpose = purpose;
    if (st.ok()) {
      e.outcome = "ok";
    } else if (st.kind() == ErrorKind::kRefused) {
      e.outcome = "refused:" + st.requirement();
    } else {
      e.outcome = std::string("error:") + ToString(st.kind());
    }
    if (!st.ok()) detail["message"] = st.message();
    e.detail = detail.dump(-1, ' ', false, json::error_handler_t::replace);  // never throws
    auto r = store->AppendAudit(e);
    return r.ok() ? Status::Ok() : r.status();
  }

  // Audits `st` and returns it (so refusals and errors are always logged).
  Status Fail(const std::string& actor, const std::string& action, const std::string& subject,
              const std::string& purpose, Status st, json detail = json::object()) {
    Audit(actor, action, subject, purpose, st, std::move(detail));
    return st;
  }

  // REQ F1: marks the approved assessments of (kind, target) due for `reason` (a material
  // change), audited as "assessment.due" (assessments.cpp). Errors are audited, not returned:
  // the Gate refuses anyway while no approved assessment is in force.
  void MarkAssessmentsDue(const std::string& kind, const std::string& target, const std::string& reason,
                          const std::string& actor);
  // After a template is stored (assessments.cpp): a scope grown past its assessed size makes
  // the assessment due (REQ F1); a person's first template may cross a filing mark (REQ F2).
  void AfterEnrol(const std::string& subject, const std::string& purpose, const std::string& actor);
  // Counts the people with face data and records the marks crossed (REQ F2; filing.cpp).
  Result<FilingStatus> CheckFiling(const std::string& actor, bool across_tenants);

  // Releases the ended analysis windows of `purpose` ("" = all): groups of at least k faces
  // kept, the rest withheld, raw tallies deleted; audited (REQ AN2; analyze.cpp).
  Status ReleaseEndedWindows(const std::string& purpose, const std::string& actor);

  // The checks, grant, video and engine both video analyses start with (video.cpp). With
  // `inference`, the grant is for that sensitive inference (REQ AN3), not plain analysis.
  Result<OpenedVideo> OpenForVideoAnalysis(const std::string& actor, const char* act,
                                           const std::string& purpose, const VideoInput& input,
                                           double sample_fps, const std::string& subject,
                                           std::optional<SensitiveInference> inference = std::nullopt);

  Result<vision::Engine*> Engine() {
    std::lock_guard<std::mutex> lock(engine_mu);
    if (!engine) {
      vision::EngineConfig ec;
      ec.model_dir = config.model_dir;
      ec.lock_file = config.lock_file;
      FG_ASSIGN_OR_RETURN(engine, vision::Engine::Load(ec));
      // Scopes index only what this engine's probes can be compared with.
      Scopes().SetModel(engine->model_version());
    }
    return engine.get();
  }

  // A spent "only this time" consent takes the subject's templates for the
  // purpose with it: store, key when none is left, and scope index (REQ C5, S5, S7).
  Status ForgetSpentOnce(const std::string& subject, const std::string& purpose) {
    Status st = store->Transaction([&]() -> Status {
      FG_ASSIGN_OR_RETURN(int64_t n, store->DeleteTemplates(subject, purpose));
      (void)n;
      FG_ASSIGN_OR_RETURN(bool destroyed, store->DestroyPurposeKey(subject, purpose));
      (void)destroyed;
      FG_ASSIGN_OR_RETURN(int64_t left, store->CountTemplates(subject));
      if (left == 0) FG_RETURN_IF_ERROR(store->DestroySubjectKey(subject));
      return Status::Ok();
    });
    Scopes().RemoveSubject(purpose, subject);
    return st;
  }

  // The image of a request: the photo's bytes decoded, or a copy of a device's decoded frame
  // (the copy is what gets wiped; REQ S2).
  Result<cv::Mat> DecodeFrame(const std::string& bytes, const FrameScope* frame);
  // `detail` with the device, capture session and faces dropped outside the area of a device's
  // frame (unchanged for a plain request).
  json FrameDetail(json detail, const FrameScope* frame);

  // The check of registered site `site` (JSON of policy::SiteCheck) counting its registered
  // devices that are not suspended, with `with` (when given) in place of its stored row
  // (sites.cpp). *ok tells whether it passes.
  Result<std::string> CheckSiteWith(const std::string& site, const DeviceRecord* with, bool* ok);

  // Finds the single face a 1:1 operation works on; refuses to guess between several. For a
  // device's frame only faces inside its collection area count, and those outside are
  // dropped before any landmark (REQ D2); a tracked pass names its face directly.
  Result<vision::Face> OneFace(const Grant& g, const cv::Mat& rgb, vision::StageTimings* t,
                               FrameScope* frame = nullptr);
};

}  // namespace facegate::service
