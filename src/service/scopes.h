// The identification scopes of one service process (REQ SC2: 1:N search only
// within a declared identification purpose, never over everyone). A scope's
// index is built lazily from the sealed store on first use and kept current
// by the service: enrolment adds, withdrawal / a spent "once" / deletion
// removes at once (REQ C4, S7). Each member is one entry in the index: the
// mean of their templates (chosen by measurement over "first photo" and "all
// photos, nearest wins"; docs/identification.md).
#pragma once

#include <facegate/grant.h>
#include <facegate/status.h>
#include <facegate/store.h>
#include <facegate/vault.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "gallery/index.h"

namespace facegate::service {

// One member found by a scope search: the subject and the distance to their mean template.
struct ScopeCandidate {
  std::string subject;
  float distance = 0;
};

// One purpose's gallery: the index and which subject each template belongs to.
class Scope {
 public:
  explicit Scope(std::string purpose);

  const std::string& purpose() const { return purpose_; }

  // Up to `k` members, nearest first.
  Result<std::vector<ScopeCandidate>> Search(gallery::Vector query, std::size_t k) const;

  std::size_t Subjects() const;   // members (one index entry each)
  std::size_t Templates() const;  // their enrolled templates
  // Templates of the purpose made by another model (ScopeRegistry::SetModel), not indexed:
  // their distances to this model's probes mean nothing. Their people must enrol again.
  std::size_t OtherModelTemplates() const { return other_model_.load(); }
  gallery::IndexStats Stats() const { return index_.Stats(); }

 private:
  friend class ScopeRegistry;
  // Called with write_mu_ held.
  Status AddLocked(const std::string& subject, int64_t template_id, gallery::Vector values);
  std::size_t RemoveSubjectLocked(const std::string& subject);
  bool RemoveTemplateLocked(int64_t template_id);

  std::string purpose_;
  gallery::Index index_;
  // Serialises loading, adds and removals of this scope (searches do not take it).
  std::mutex write_mu_;
  std::atomic<bool> ready_{false};  // loaded from the store
  std::atomic<std::size_t> other_model_{0};
  // The purpose's template version the index reflects (Store::PurposeTemplateVersion),
  // and every template id the store held then, members' or not (guarded by write_mu_).
  std::atomic<int64_t> synced_version_{-1};
  std::vector<int64_t> known_ids_;  // ascending
  struct Member {
    int64_t entry = 0;  // id of the mean template in index_
    std::vector<int64_t> template_ids;
    std::vector<std::array<float, gallery::kDim>> values;  // to recompute the mean on removal
  };
  // Replaces the member's index entry by the mean of its templates (new entry first).
  Status Reindex(const std::string& subject, Member& m);
  void Forget(Member& m);

  mutable std::mutex map_mu_;  // guards the maps and counters below
  std::unordered_map<int64_t, std::string> subject_of_;  // index entry -> subject
  std::unordered_map<std::string, Member> members_;
  std::size_t templates_ = 0;
  int64_t next_entry_ = 0;
};

// Progress of a scope load (templates opened so far of the total).
using ScopeProgress = std::function<void(const std::string& purpose, std::size_t done, std::size_t total)>;

class ScopeRegistry {
 public:
  ScopeRegistry(store::Store& store, const store::Vault& vault);

  // The scope of the grant's purpose (a kIdentify grant from
  // Gate::AuthorizeScopeSearch), built from the store on first use: every
  // template enrolled for the purpose whose subject still has an active
  // identification consent (`is_member`) is opened and indexed. Later calls
  // index what other nodes on the same database enrolled since (one short
  // query when nothing is new).
  Result<std::shared_ptr<Scope>> Get(const Grant& grant,
                                     const std::function<bool(const std::string& subject)>& is_member);

  // After an enrolment committed template `template_id`: indexes it when the
  // scope is loaded (an unloaded scope will read it from the store).
  void Added(const std::string& purpose, const std::string& subject, int64_t template_id,
             gallery::Vector values);
  // After the subject's templates for the purpose were deleted or their
  // consent ended: removes every one of them from the index before returning
  // (REQ C4, S7). Returns how many were removed.
  std::size_t RemoveSubject(const std::string& purpose, const std::string& subject);

  // Removes one template (e.g. expired and deleted by the sweeper, REQ S5, S7)
  // from the purpose's index; true when it was there.
  bool RemoveTemplate(const std::string& purpose, int64_t template_id);

  // Forgets the purpose's loaded index, so the next search builds it from the
  // store again (e.g. after a restriction is lifted, REQ R1). Searches under
  // way finish on the old index.
  void Reload(const std::string& purpose);

  void SetProgress(ScopeProgress progress);
  // The model id (vision::Engine::model_version) whose templates scopes index; templates of
  // any other model are left out and counted (Scope::OtherModelTemplates). Empty: all.
  void SetModel(std::string model);

 private:
  std::shared_ptr<Scope> Find(const std::string& purpose);
  Status Load(Scope& scope, const Grant& grant,
              const std::function<bool(const std::string&)>& is_member);
  // Brings a loaded scope up to the store when another node (or process)
  // enrolled or deleted templates of the purpose since: one version read when
  // nothing changed; otherwise the id list, new templates indexed, deleted
  // ones removed before the search runs (REQ SC2, C4, S7).
  Status Sync(Scope& scope, const Grant& grant, const std::function<bool(const std::string&)>& is_member);
  // Opens the subject's templates of the grant's purpose and indexes those
  // with the listed ids (others are indexed by their own enrol call).
  Status IndexMember(Scope& scope, const Grant& grant, const std::string& subject, std::vector<int64_t> ids);

  store::Store& store_;
  const store::Vault& vault_;
  std::mutex mu_;  // guards scopes_, progress_ and model_
  std::string model_;
  std::map<std::string, std::shared_ptr<Scope>> scopes_;
  ScopeProgress progress_;
};

}  // namespace facegate::service
