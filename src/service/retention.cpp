// Retention: nothing outlives its expiry (REQ S5); deletion reaches the key,
// so copies in backups become unreadable (REQ S7).
#include <facegate/service.h>

#include <algorithm>
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
    std::set<std::pair<std::string, std::string>> pairs;
    for (const SealedTemplate& t : gone) {
      subjects.insert(t.subject);
      pairs.emplace(t.subject, t.purpose);
    }
    // A purpose's key goes with its last template (REQ S7), the subject's legacy key with the
    // subject's last.
    for (const auto& [s, p] : pairs) {
      FG_ASSIGN_OR_RETURN(int64_t left, I.store->CountTemplates(s, p));
      if (left > 0) continue;
      FG_ASSIGN_OR_RETURN(bool destroyed, I.store->DestroyPurposeKey(s, p));
      if (destroyed) ++rep.keys_destroyed;
    }
    for (const std::string& s : subjects) {
      FG_ASSIGN_OR_RETURN(int64_t left, I.store->CountTemplates(s));
      if (left == 0) FG_RETURN_IF_ERROR(I.store->DestroySubjectKey(s));
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
  // Analysis windows that ended are released and their raw tallies deleted (REQ AN2).
  if (Status released = I.ReleaseEndedWindows("", actor); !released.ok())
    return I.Fail(actor, "retention.sweep", "", "", released);
  // Closed breach records past their expiry, with their affected people (REQ S5, S9).
  auto breaches = I.store->DeleteExpiredBreaches(now);
  if (!breaches.ok()) return I.Fail(actor, "retention.sweep", "", "", breaches.status());
  rep.breaches_deleted = *breaches;
  if (!rep.breaches_deleted.empty())
    I.Audit(actor, "retention.sweep", "", "", Status::Ok(), {{"breaches_deleted", rep.breaches_deleted}});
  // Records that ended long ago, and the subject records nothing needs any more (REQ S5).
  const int64_t record_days = std::max<int64_t>(1, I.config.record_retention_days);
  auto ended = I.store->DeleteEndedRecords(now - record_days * 86400);
  if (!ended.ok()) return I.Fail(actor, "retention.sweep", "", "", ended.status());
  rep.ended = std::move(ended).value();
  const EndedRecords& e = rep.ended;
  if (e.consents || e.consent_refusals || e.alternatives || e.rights_requests || e.restrictions ||
      e.capture_sessions || !e.subjects.empty())
    I.Audit(actor, "retention.sweep", "", "", Status::Ok(),
            {{"record_retention_days", record_days}, {"consents_deleted", e.consents},
             {"consent_refusals_deleted", e.consent_refusals}, {"alternatives_deleted", e.alternatives},
             {"rights_requests_deleted", e.rights_requests}, {"restrictions_deleted", e.restrictions},
             {"capture_sessions_deleted", e.capture_sessions}, {"subjects_deleted", e.subjects.size()}});
  // The audit log's own retention (REQ S5), never under three years (PIPL 56). The head is
  // anchored outside the database first, so the pruned chain stays checkable end to end.
  const int64_t audit_days = std::max(kMinAuditRetentionDays, I.config.audit_retention_days);
  auto prune = I.store->PruneAudit(now - audit_days * 86400, now, actor);
  if (!prune.ok()) return I.Fail(actor, "retention.sweep", "", "", prune.status());
  rep.audit = *prune;
  if (rep.audit.pruned) {
    I.Audit(actor, "retention.sweep", "", "", Status::Ok(),
            {{"audit_retention_days", audit_days}, {"audit_events_pruned", rep.audit.pruned},
             {"pruned_through", rep.audit.seq}, {"prune_point_hash", rep.audit.hash}});
    auto anchored = CheckpointAudit();
    if (!anchored.ok()) return I.Fail(actor, "retention.sweep", "", "", anchored.status());
  }
  // The search indexes too, at once (REQ S7).
  for (const SealedTemplate& t : gone) I.Scopes().RemoveTemplate(t.purpose, t.id);
  return rep;
}

}  // namespace facegate::service
