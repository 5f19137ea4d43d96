// The one store: devices, capture sessions and sites (REQ D1-D7; migrations 11, 12).
#include <nlohmann/json.hpp>

#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Now;
using sqlstore::Quote;

namespace {

std::string SignageJson(const DeviceSignage& s) {
  return nlohmann::json{{"voice_prompt", s.voice_prompt},       {"warning_line", s.warning_line},
                        {"notice_version", s.notice_version},   {"notice_location", s.notice_location},
                        {"consent_method", s.consent_method},   {"confirmed_by", s.confirmed_by},
                        {"confirmed_at", s.confirmed_at}}
      .dump();
}

DeviceSignage ParseSignage(const std::string& text) {
  DeviceSignage s;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return s;
  s.voice_prompt = j.value("voice_prompt", "");
  s.warning_line = j.value("warning_line", "");
  s.notice_version = j.value("notice_version", int64_t{0});
  s.notice_location = j.value("notice_location", "");
  s.consent_method = j.value("consent_method", "");
  s.confirmed_by = j.value("confirmed_by", "");
  s.confirmed_at = j.value("confirmed_at", int64_t{0});
  return s;
}

constexpr const char* kDeviceColumns =
    "id, name, site, zone, passage, location_type, mode, presence_trigger, purposes, public_security, area, "
    "capture_timeout_s, signage, status, status_reason, created_at, updated_at, actor";

DeviceRecord ReadDevice(const Row& row) {
  DeviceRecord d;
  d.id = row.Text(0);
  d.name = row.Text(1);
  d.site = row.Text(2);
  d.zone = row.Text(3);
  d.passage = row.Text(4);
  d.location_type = row.Text(5);
  d.mode = ParseDeviceMode(row.Text(6)).value_or(DeviceMode::kTriggered);
  d.presence_trigger = row.Bool(7);
  d.purposes = sqlstore::ParseStringList(row.Text(8));
  d.public_security = row.Bool(9);
  d.area = row.Text(10);
  d.capture_timeout_s = row.Int(11);
  d.signage = ParseSignage(row.Text(12));
  d.status = ParseDeviceStatus(row.Text(13)).value_or(DeviceStatus::kSuspended);
  d.status_reason = row.Text(14);
  d.created_at = row.Int(15);
  d.updated_at = row.Int(16);
  d.actor = row.Text(17);
  return d;
}

// Every column but id (first) in kDeviceColumns order.
Params& DeviceFields(Params& p, const DeviceRecord& d) {
  return p.Text(d.name)
      .Text(d.site)
      .Text(d.zone)
      .Text(d.passage)
      .Text(d.location_type)
      .Text(ToString(d.mode))
      .Bool(d.presence_trigger)
      .Text(nlohmann::json(d.purposes).dump())
      .Bool(d.public_security)
      .Text(d.area.empty() ? "[]" : d.area)
      .Int(d.capture_timeout_s)
      .Text(SignageJson(d.signage))
      .Text(ToString(d.status))
      .Text(d.status_reason)
      .Int(d.created_at ? d.created_at : Now())
      .Int(d.updated_at ? d.updated_at : Now())
      .Text(d.actor);
}

constexpr const char* kSessionColumns =
    "id, device, purpose, subject, opened_by, opened_at, expires_at, closed_at, outcome, face_free, frames, "
    "alternative_id, action";

CaptureSessionRecord ReadSession(const Row& row) {
  CaptureSessionRecord s;
  s.id = row.Text(0);
  s.device = row.Text(1);
  s.purpose = row.Text(2);
  s.subject = row.Text(3);
  s.opened_by = row.Text(4);
  s.opened_at = row.Int(5);
  s.expires_at = row.Int(6);
  s.closed_at = row.OptInt(7);
  s.outcome = row.Text(8);
  s.face_free = row.Bool(9);
  s.frames = row.Int(10);
  s.alternative_id = row.Int(11);
  s.action = row.Text(12);  // migration 12
  return s;
}

constexpr const char* kSiteColumns = "id, name, document, check_ok, check_report, created_at, updated_at, actor";

SiteRecord ReadSite(const Row& row) {
  SiteRecord s;
  s.id = row.Text(0);
  s.name = row.Text(1);
  s.document = row.Text(2);
  s.check_ok = row.Bool(3);
  s.check_report = row.Text(4);
  s.created_at = row.Int(5);
  s.updated_at = row.Int(6);
  s.actor = row.Text(7);
  return s;
}

}  // namespace

Status SqlStore::AddDevice(const DeviceRecord& d) {
  static const std::string sql = std::string("INSERT INTO devices (") + kDeviceColumns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  Params p;
  p.Text(d.id);
  DeviceFields(p, d);
  Status s = Write(sql, p, "registering device " + Quote(d.id)).status();
  if (s.kind() == ErrorKind::kConflict)
    return Status::Conflict("device " + Quote(d.id) + " is registered already; choose another id or change it "
                            "(facegate device show " + d.id + ")");
  return s;
}

Status SqlStore::UpdateDevice(const DeviceRecord& d) {
  static const std::string sql =
      "UPDATE devices SET name = ?, site = ?, zone = ?, passage = ?, location_type = ?, mode = ?, "
      "presence_trigger = ?, purposes = ?, public_security = ?, area = ?, capture_timeout_s = ?, signage = ?, "
      "status = ?, status_reason = ?, created_at = ?, updated_at = ?, actor = ? WHERE id = ?";
  Params p;
  DeviceFields(p, d).Text(d.id);
  FG_ASSIGN_OR_RETURN(int64_t n, Write(sql, p, "changing device " + Quote(d.id)));
  if (n == 0) return Status::NotFound("device " + Quote(d.id) + " is not registered; `facegate device list` shows them");
  return Status::Ok();
}

Result<DeviceRecord> SqlStore::GetDevice(const std::string& id) {
  static const std::string sql = std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE id = ?";
  std::optional<DeviceRecord> d;
  FG_RETURN_IF_ERROR(
      db_.Query(sql, Params().Text(id), "reading device " + Quote(id), sqlstore::Assign(d, ReadDevice)).status());
  if (!d)
    return Status::NotFound("device " + Quote(id) +
                            " is not registered; register it first (facegate device register, POST /v1/devices)");
  return std::move(*d);
}

Result<std::vector<DeviceRecord>> SqlStore::ListDevices(const std::string& site) {
  static const std::string sql = std::string("SELECT ") + kDeviceColumns +
                                 " FROM devices WHERE (? = '' OR site = ?) ORDER BY id{collate_c}";
  std::vector<DeviceRecord> out;
  FG_RETURN_IF_ERROR(
      db_.Query(sql, Params().Text(site).Text(site), "listing devices", sqlstore::Append(out, ReadDevice)).status());
  return out;
}

Status SqlStore::AddCaptureSession(const CaptureSessionRecord& s) {
  static const std::string sql = std::string("INSERT INTO capture_sessions (") + kSessionColumns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 'open', {false}, 0, 0, ?)";
  return Write(sql,
               Params()
                   .Text(s.id)
                   .Text(s.device)
                   .Text(s.purpose)
                   .Text(s.subject)
                   .Text(s.opened_by)
                   .Int(s.opened_at)
                   .Int(s.expires_at)
                   .Text(s.action.empty() ? "match" : s.action),
               "opening capture session at device " + Quote(s.device))
      .status();
}

Result<CaptureSessionRecord> SqlStore::GetCaptureSession(const std::string& id) {
  static const std::string sql = std::string("SELECT ") + kSessionColumns + " FROM capture_sessions WHERE id = ?";
  std::optional<CaptureSessionRecord> s;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Text(id), "reading capture session " + Quote(id),
                               sqlstore::Assign(s, ReadSession))
                         .status());
  if (!s)
    return Status::NotFound("capture session " + Quote(id) +
                            " does not exist; a device opens one first (POST /v1/devices/{id}/sessions)");
  return std::move(*s);
}

Result<int64_t> SqlStore::AcceptCaptureFrame(const std::string& id, UnixTime now) {
  std::optional<int64_t> frames;
  FG_RETURN_IF_ERROR(db_.Transaction([&]() -> Status {
    return db_.Query("UPDATE capture_sessions SET frames = frames + 1 "
                     "WHERE id = ? AND closed_at IS NULL AND face_free = {false} AND expires_at > ? "
                     "RETURNING frames",
                     Params().Text(id).Int(now), "accepting a frame in capture session " + Quote(id),
                     [&](const Row& row) {
                       frames = row.Int(0);
                       return Status::Ok();
                     })
        .status();
  }));
  if (frames) return *frames;
  FG_ASSIGN_OR_RETURN(CaptureSessionRecord s, GetCaptureSession(id));
  if (s.face_free)
    return Status::Conflict("capture session " + Quote(id) +
                            " is face-free: the person chose another method, so no frame is accepted");
  if (s.closed_at)
    return Status::Conflict("capture session " + Quote(id) + " is closed (" + s.outcome +
                            "); open a new one when the person acts again");
  return Status::Conflict("capture session " + Quote(id) + " timed out at " + std::to_string(s.expires_at) +
                          "; open a new one when the person acts again");
}

Status SqlStore::CloseCaptureSession(const std::string& id, const std::string& outcome, int64_t alternative_id,
                                     UnixTime at) {
  FG_ASSIGN_OR_RETURN(
      int64_t n, Write("UPDATE capture_sessions SET closed_at = ?, outcome = ?, face_free = ?, alternative_id = ? "
                       "WHERE id = ? AND closed_at IS NULL",
                       Params()
                           .Int(at ? at : Now())
                           .Text(outcome)
                           .Bool(outcome == "alternative")
                           .Int(alternative_id)
                           .Text(id),
                       "closing capture session " + Quote(id)));
  if (n == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(CaptureSessionRecord s, GetCaptureSession(id));
  return Status::Conflict("capture session " + Quote(id) + " is closed already (" + s.outcome + ")");
}

Result<int64_t> SqlStore::ExpireCaptureSessions(const std::string& device, UnixTime now) {
  return Write("UPDATE capture_sessions SET closed_at = expires_at, outcome = 'timeout' "
               "WHERE closed_at IS NULL AND expires_at <= ? AND (? = '' OR device = ?)",
               Params().Int(now).Text(device).Text(device), "closing timed-out capture sessions");
}

Result<int64_t> SqlStore::DeleteCaptureSessionsClosedBefore(UnixTime before) {
  return Write("DELETE FROM capture_sessions WHERE closed_at IS NOT NULL AND closed_at < ?", Params().Int(before),
               "deleting old capture sessions");
}

Status SqlStore::PutSite(const SiteRecord& s) {
  static const std::string sql = std::string("INSERT INTO sites (") + kSiteColumns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                                 "name = excluded.name, document = excluded.document, check_ok = excluded.check_ok, "
                                 "check_report = excluded.check_report, updated_at = excluded.updated_at, "
                                 "actor = excluded.actor";
  const UnixTime now = Now();
  return Write(sql,
               Params()
                   .Text(s.id)
                   .Text(s.name)
                   .Text(s.document)
                   .Bool(s.check_ok)
                   .Text(s.check_report)
                   .Int(s.created_at ? s.created_at : now)
                   .Int(s.updated_at ? s.updated_at : now)
                   .Text(s.actor),
               "registering site " + Quote(s.id))
      .status();
}

Result<SiteRecord> SqlStore::GetSite(const std::string& id) {
  static const std::string sql = std::string("SELECT ") + kSiteColumns + " FROM sites WHERE id = ?";
  std::optional<SiteRecord> s;
  FG_RETURN_IF_ERROR(
      db_.Query(sql, Params().Text(id), "reading site " + Quote(id), sqlstore::Assign(s, ReadSite)).status());
  if (!s)
    return Status::NotFound("site " + Quote(id) + " is not registered; register its file first (facegate site "
                            "register SITE.json, POST /v1/sites)");
  return std::move(*s);
}

Result<std::vector<SiteRecord>> SqlStore::ListSites() {
  static const std::string sql = std::string("SELECT ") + kSiteColumns + " FROM sites ORDER BY id{collate_c}";
  std::vector<SiteRecord> out;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params(), "listing sites", sqlstore::Append(out, ReadSite)).status());
  return out;
}

}  // namespace facegate::store
