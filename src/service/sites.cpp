// Registered sites (REQ D4, D6; docs/sites.md): the site file stored with its route check,
// which counts the devices registered on the site, so a device cannot go live where it would
// leave people without a recognition-free way.
#include <facegate/service.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "policy/site.h"
#include "service/json_views.h"
#include "service/service_impl.h"

namespace facegate::service {

namespace {

// The check as stored and served (json_views.h).
std::string CheckJson(const policy::Site& site, const policy::SiteCheck& c) { return SiteCheckJson(site, c).dump(); }

// The site with the registered devices placed on it (not suspended), `with` replacing its
// stored row: a device registered on a site is checked where the registry says it is.
policy::Site WithRegisteredDevices(policy::Site site, const std::vector<DeviceRecord>& registered,
                                   const DeviceRecord* with) {
  auto put = [&](const DeviceRecord& d) {
    site.devices.erase(std::remove_if(site.devices.begin(), site.devices.end(),
                                      [&](const policy::SiteDevice& s) { return s.id == d.id; }),
                       site.devices.end());
    if (d.status == DeviceStatus::kSuspended) return;
    policy::SiteDevice s;
    s.id = d.id;
    s.mode = ToString(d.mode);
    s.zone = d.zone;
    s.passage = d.passage;
    s.signage = d.signage.notice_location;
    site.devices.push_back(std::move(s));
  };
  for (const DeviceRecord& d : registered)
    if (!with || d.id != with->id) put(d);
  if (with) put(*with);
  return site;
}

}  // namespace

Result<std::string> Service::Impl::CheckSiteWith(const std::string& site_id, const DeviceRecord* with, bool* ok) {
  FG_ASSIGN_OR_RETURN(SiteRecord rec, store->GetSite(site_id));
  FG_ASSIGN_OR_RETURN(policy::Site site, policy::ParseSite(rec.document));
  FG_ASSIGN_OR_RETURN(std::vector<DeviceRecord> devices, store->ListDevices(site_id));
  const policy::Site placed = WithRegisteredDevices(std::move(site), devices, with);
  const policy::SiteCheck check = policy::CheckSite(placed);
  if (!check.invalid.ok()) return check.invalid;
  if (ok) *ok = check.ok;
  return CheckJson(placed, check);
}

Result<SiteRecord> Service::RegisterSite(const std::string& document, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "site.register";
  auto site = policy::ParseSite(document);
  if (!site.ok()) return I.Fail(actor, act, "", "", site.status());
  json detail = {{"site", site->id}};
  auto devices = I.store->ListDevices(site->id);
  if (!devices.ok()) return I.Fail(actor, act, "", "", devices.status(), detail);
  const policy::Site placed = WithRegisteredDevices(*site, *devices, nullptr);
  const policy::SiteCheck check = policy::CheckSite(placed);
  if (!check.invalid.ok())
    return I.Fail(actor, act, "", "",
                  Status::InvalidInput(check.invalid.message() +
                                       " (with the devices registered on this site: move or suspend them first)"),
                  detail);
  SiteRecord rec;
  rec.id = site->id;
  rec.name = site->name;
  rec.document = policy::SiteToJson(*site);
  rec.check_ok = check.ok;
  rec.check_report = CheckJson(placed, check);
  rec.created_at = rec.updated_at = I.Now();
  rec.actor = actor;
  if (auto old = I.store->GetSite(site->id); old.ok()) rec.created_at = old->created_at;
  detail["check_ok"] = check.ok;
  detail["refusals"] = json::parse(rec.check_report)["refusals"];
  // A live deployment is not broken by a new site file (REQ D4, D6).
  if (!check.ok) {
    std::vector<std::string> live;
    for (const DeviceRecord& d : *devices)
      if (d.status == DeviceStatus::kLive) live.push_back(d.id);
    if (!live.empty()) {
      std::string why;
      for (const policy::SiteFinding& f : check.refusals) why += (why.empty() ? "" : "; ") + f.message;
      std::string ids;
      for (const std::string& id : live) ids += (ids.empty() ? "" : ", ") + id;
      return I.Fail(actor, act, "", "",
                    Status::Refused(check.refusals.front().requirement,
                                    "site '" + site->id + "' has live devices (" + ids +
                                        ") and the new file fails its check: " + why),
                    detail);
    }
  }
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->PutSite(rec));
    return I.Audit(actor, act, "", "", Status::Ok(), detail);
  });
  if (!st.ok()) return I.Fail(actor, act, "", "", st, detail);
  return rec;
}

Result<SiteRecord> Service::GetSite(const std::string& id) { return impl_->store->GetSite(id); }

Result<std::vector<SiteRecord>> Service::ListSites() { return impl_->store->ListSites(); }

Result<std::string> Service::CheckSiteNow(const std::string& id, bool* ok) {
  return impl_->CheckSiteWith(id, nullptr, ok);
}

Result<std::string> Service::SiteMap(const std::string& id) {
  auto& I = *impl_;
  FG_ASSIGN_OR_RETURN(SiteRecord rec, I.store->GetSite(id));
  FG_ASSIGN_OR_RETURN(policy::Site site, policy::ParseSite(rec.document));
  FG_ASSIGN_OR_RETURN(std::vector<DeviceRecord> devices, I.store->ListDevices(id));
  site = WithRegisteredDevices(std::move(site), devices, nullptr);
  return policy::SiteMapSvg(site, policy::CheckSite(site));
}

}  // namespace facegate::service
