// The operator console's dashboard (docs/ui.md): people with stored face data against the
// 100,000-person filing line (REQ F2, Measures 15), refusals by requirement id, the non-face
// alternatives used (REQ A2, C6), refusals of consent (REQ C7) and the rights requests due
// (REQ R1). Counts from the store only: no person is named but by the pseudonymous id of a
// request that is due, which the rights pages show anyway.
#include <facegate/service.h>

#include <algorithm>
#include <map>

#include "service/service_impl.h"

namespace facegate::service {

namespace {
constexpr UnixTime kDueSoonSeconds = 3 * 86400;  // "due soon": within three days
constexpr size_t kMaxDueListed = 20;
}  // namespace

Result<DashboardReport> Service::Dashboard() {
  auto& I = *impl_;
  DashboardReport d;
  d.at = I.Now();
  FG_ASSIGN_OR_RETURN(d.people_with_face_data, I.store->CountPeopleWithFaceData());
  FG_ASSIGN_OR_RETURN(d.refusals, I.store->CountRefusalsByRequirement());
  FG_ASSIGN_OR_RETURN(d.consent_refusals, I.store->CountConsentRefusals());
  FG_ASSIGN_OR_RETURN(auto alts, I.store->CountAlternativesByMethod());
  std::map<std::string, DashboardReport::AlternativeCount> by_method;
  for (const auto& [key, n] : alts) {
    auto& a = by_method[key.first];
    a.method = key.first;
    if (key.second == "granted")
      a.granted += n;
    else if (key.second == "denied")
      a.denied += n;
    else
      a.open += n;
  }
  for (auto& [method, a] : by_method) d.alternatives.push_back(a);
  FG_ASSIGN_OR_RETURN(auto open, I.store->ListRightsRequests("", /*open_only=*/true));
  d.rights_open = static_cast<int64_t>(open.size());
  for (const RightsRequestRecord& r : open) {
    if (r.overdue_at(d.at))
      ++d.rights_overdue;
    else if (r.due_at - d.at <= kDueSoonSeconds)
      ++d.rights_due_soon;
  }
  std::stable_sort(open.begin(), open.end(),
                   [](const RightsRequestRecord& a, const RightsRequestRecord& b) { return a.due_at < b.due_at; });
  if (open.size() > kMaxDueListed) open.resize(kMaxDueListed);
  d.rights_due = std::move(open);
  return d;
}

}  // namespace facegate::service
