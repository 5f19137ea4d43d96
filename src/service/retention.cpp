// Retention: nothing outlives its expiry (REQ S5); deletion reaches the key,
// so copies in backups become unreadable (REQ S7).
#include <facegate/service.h>

#include <set>

#include "service/service_impl.h"

namespace facegate::service {

Result<SweepReport> Service::SweepRetention(const std::string& actor) {
  auto& I = *impl_;
  SweepReport rep;
  const UnixTime now = I.Now();
  std::vector<SealedTemplate> gone;
  Status st = I.store->Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(gone, I.store->DeleteExpiredTemplates(now));
    std::set<std::string> subjects;
    for (const SealedTemplate& t : gone) subjects.insert(t.subject);
    for (const std::string& s : subjects) {
      FG_ASSIGN_OR_RETURN(int64_t left, I.store->CountTemplates(s));
      if (left == 0) {
        FG_RETURN_IF_ERROR(I.store->DestroySubjectKey(s));
        ++rep.keys_destroyed;
      }
    }
    rep.templates_deleted = static_cast<int64_t>(gone.size());
    rep.subjects.assign(subjects.begin(), subjects.end());
    FG_ASSIGN_OR_RETURN(rep.alternative_credentials_deleted, I.store->DeleteExpiredAlternativeCredentials(now));
    if (gone.empty() && rep.alternative_credentials_deleted == 0)
      return Status::Ok();  // an idle sweep leaves no audit noise
    json ids = json::array();
    for (const SealedTemplate& t : gone) ids.push_back(t.id);
    return I.Audit(actor, "retention.sweep", "", "", Status::Ok(),
                   {{"templates_deleted", rep.templates_deleted}, {"template_ids", ids},
                    {"keys_destroyed", rep.keys_destroyed},
                    {"alternative_credentials_deleted", rep.alternative_credentials_deleted}});
  });
  if (!st.ok()) return I.Fail(actor, "retention.sweep", "", "", st);
  // Closed breach records past their expiry, with their affected people (REQ S5, S9).
  auto breaches = I.store->DeleteExpiredBreaches(now);
  if (!breaches.ok()) return I.Fail(actor, "retention.sweep", "", "", breaches.status());
  rep.breaches_deleted = *breaches;
  if (!rep.breaches_deleted.empty())
    I.Audit(actor, "retention.sweep", "", "", Status::Ok(), {{"breaches_deleted", rep.breaches_deleted}});
  // The search indexes too, at once (REQ S7).
  for (const SealedTemplate& t : gone) I.Scopes().RemoveTemplate(t.purpose, t.id);
  return rep;
}

}  // namespace facegate::service
