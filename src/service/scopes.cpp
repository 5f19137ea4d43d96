#include "service/scopes.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>

#include "gallery/mean.h"

namespace facegate::service {

Scope::Scope(std::string purpose) : purpose_(std::move(purpose)) {}

Result<std::vector<ScopeCandidate>> Scope::Search(gallery::Vector query, std::size_t k) const {
  if (k == 0) return std::vector<ScopeCandidate>{};
  // A member may briefly have two entries while its mean is replaced.
  const std::size_t want = std::min(index_.Size(), k + 2);
  if (want == 0) return std::vector<ScopeCandidate>{};
  FG_ASSIGN_OR_RETURN(std::vector<gallery::Hit> hits, index_.Search(query, want));
  std::vector<ScopeCandidate> out;
  std::lock_guard lock(map_mu_);
  for (const gallery::Hit& h : hits) {
    auto it = subject_of_.find(h.id);
    // Removed after the search saw it: the removal wins (REQ C4, S7).
    if (it == subject_of_.end()) continue;
    bool seen = false;
    for (const ScopeCandidate& c : out) seen = seen || c.subject == it->second;
    if (seen) continue;
    out.push_back({it->second, h.distance});
    if (out.size() == k) break;
  }
  return out;
}

std::size_t Scope::Subjects() const {
  std::lock_guard lock(map_mu_);
  return members_.size();
}

std::size_t Scope::Templates() const {
  std::lock_guard lock(map_mu_);
  return templates_;
}

Status Scope::Reindex(const std::string& subject, Member& m) {
  gallery::MeanAccumulator acc;
  for (const auto& v : m.values) acc.Add(v.data());
  std::array<float, gallery::kDim> mean = acc.Mean();
  int64_t entry;
  {
    std::lock_guard lock(map_mu_);
    entry = ++next_entry_;
  }
  Status st = index_.Add(entry, gallery::Vector(mean));
  mean.fill(0);
  FG_RETURN_IF_ERROR(st);
  const int64_t old = m.entry;
  {
    std::lock_guard lock(map_mu_);
    subject_of_[entry] = subject;
    m.entry = entry;
  }
  if (old) {
    index_.Remove(old);
    std::lock_guard lock(map_mu_);
    subject_of_.erase(old);
  }
  return Status::Ok();
}

void Scope::Forget(Member& m) {
  for (auto& v : m.values) v.fill(0);
  m.values.clear();
}

Status Scope::AddLocked(const std::string& subject, int64_t template_id, gallery::Vector values) {
  for (float x : values)
    if (!std::isfinite(x)) return Status::InvalidInput("template has a non-finite value");
  Member* m;
  {
    std::lock_guard lock(map_mu_);
    m = &members_[subject];  // references stay valid: only writers (write_mu_) erase
    for (int64_t id : m->template_ids)
      if (id == template_id) return Status::Ok();  // indexed already
    m->template_ids.push_back(template_id);
    std::array<float, gallery::kDim> v;
    std::copy(values.begin(), values.end(), v.begin());
    m->values.push_back(v);
    ++templates_;
  }
  return Reindex(subject, *m);
}

std::size_t Scope::RemoveSubjectLocked(const std::string& subject) {
  int64_t entry;
  std::size_t n;
  {
    std::lock_guard lock(map_mu_);
    auto it = members_.find(subject);
    if (it == members_.end()) return 0;
    entry = it->second.entry;
    n = it->second.template_ids.size();
  }
  // The index first: once Remove returns, no search can return the member.
  index_.Remove(entry);
  std::lock_guard lock(map_mu_);
  auto it = members_.find(subject);
  Forget(it->second);
  members_.erase(it);
  subject_of_.erase(entry);
  templates_ -= n;
  return n;
}

bool Scope::RemoveTemplateLocked(int64_t template_id) {
  std::string subject;
  Member* m = nullptr;
  size_t pos = 0;
  {
    std::lock_guard lock(map_mu_);
    for (auto& [s, member] : members_)
      for (size_t i = 0; i < member.template_ids.size(); ++i)
        if (member.template_ids[i] == template_id) subject = s, m = &member, pos = i;
  }
  if (!m) return false;
  if (m->template_ids.size() == 1) return RemoveSubjectLocked(subject) > 0;
  {
    std::lock_guard lock(map_mu_);
    m->template_ids.erase(m->template_ids.begin() + long(pos));
    m->values[pos].fill(0);
    m->values.erase(m->values.begin() + long(pos));
    --templates_;
  }
  // The mean without the removed template; if that fails, the member goes entirely.
  if (!Reindex(subject, *m).ok()) RemoveSubjectLocked(subject);
  return true;
}

ScopeRegistry::ScopeRegistry(store::Store& store, const store::Vault& vault)
    : store_(store), vault_(vault) {}

void ScopeRegistry::SetProgress(ScopeProgress progress) {
  std::lock_guard lock(mu_);
  progress_ = std::move(progress);
}

void ScopeRegistry::Reload(const std::string& purpose) {
  std::lock_guard lock(mu_);
  scopes_.erase(purpose);
}

std::shared_ptr<Scope> ScopeRegistry::Find(const std::string& purpose) {
  std::lock_guard lock(mu_);
  auto it = scopes_.find(purpose);
  return it == scopes_.end() ? nullptr : it->second;
}

Result<std::shared_ptr<Scope>> ScopeRegistry::Get(
    const Grant& grant, const std::function<bool(const std::string&)>& is_member) {
  if (grant.operation() != Operation::kIdentify)
    return Status::Refused("SC2", std::string("a scope is searched only under an identification "
                                              "grant, not ") +
                                      ToString(grant.operation()));
  std::shared_ptr<Scope> s;
  {
    std::lock_guard lock(mu_);
    auto& slot = scopes_[grant.purpose()];
    if (!slot) slot = std::make_shared<Scope>(grant.purpose());
    s = slot;
  }
  if (s->ready_) {
    FG_RETURN_IF_ERROR(Sync(*s, grant, is_member));
    return s;
  }
  // Whoever comes first loads; the others wait for it on the write lock.
  std::lock_guard w(s->write_mu_);
  if (s->ready_) return s;
  FG_RETURN_IF_ERROR(Load(*s, grant, is_member));
  s->ready_ = true;
  return s;
}

Status ScopeRegistry::Sync(Scope& scope, const Grant& grant,
                           const std::function<bool(const std::string&)>& is_member) {
  const std::string& purpose = grant.purpose();
  FG_ASSIGN_OR_RETURN(int64_t version, store_.PurposeTemplateVersion(purpose));
  if (version == scope.synced_version_.load()) return Status::Ok();
  std::lock_guard w(scope.write_mu_);
  if (version == scope.synced_version_.load()) return Status::Ok();
  // Read after the version: whatever changed meanwhile is included, and a
  // later version makes the next search look again.
  FG_ASSIGN_OR_RETURN(std::vector<int64_t> ids, store_.ListTemplateIdsForPurpose(purpose));
  std::vector<int64_t> gone, added;
  std::set_difference(scope.known_ids_.begin(), scope.known_ids_.end(), ids.begin(), ids.end(),
                      std::back_inserter(gone));
  std::set_difference(ids.begin(), ids.end(), scope.known_ids_.begin(), scope.known_ids_.end(),
                      std::back_inserter(added));
  // Deleted elsewhere (withdrawal, expiry, a spent "once"): out of the index first.
  for (int64_t id : gone) scope.RemoveTemplateLocked(id);
  if (!added.empty()) {
    // Ids commit out of order across nodes: read from the smallest new one.
    FG_ASSIGN_OR_RETURN(std::vector<SealedTemplate> rows,
                        store_.ListTemplatesForPurposeAfter(purpose, added.front() - 1));
    std::map<std::string, std::vector<int64_t>> by_subject;
    for (const SealedTemplate& t : rows)
      if (std::binary_search(added.begin(), added.end(), t.id)) by_subject[t.subject].push_back(t.id);
    for (auto& [subject, new_ids] : by_subject) {
      if (!is_member(subject)) continue;  // consent ended: no member (REQ SC2, C1)
      FG_RETURN_IF_ERROR(IndexMember(scope, grant, subject, {}));
    }
  }
  scope.known_ids_ = std::move(ids);
  scope.synced_version_ = version;
  return Status::Ok();
}

Status ScopeRegistry::IndexMember(Scope& scope, const Grant& grant, const std::string& subject,
                                  std::vector<int64_t> ids) {
  Result<std::vector<Template>> opened = vault_.OpenAll(grant, store_, subject);
  if (!opened.ok()) {
    // Deleted or shredded since the listing: gone, as it should be.
    if (opened.status().kind() == ErrorKind::kNotFound) return Status::Ok();
    return opened.status();
  }
  if (opened->size() != ids.size()) {
    // Changed since the listing (or no listing given): OpenAll read them ordered by id; read the ids again.
    FG_ASSIGN_OR_RETURN(std::vector<SealedTemplate> now, store_.GetTemplates(subject, grant.purpose()));
    if (now.size() != opened->size()) return Status::Ok();  // still changing: its enrol/withdraw call follows
    ids.clear();
    for (const SealedTemplate& t : now) ids.push_back(t.id);
  }
  std::string model;
  {
    std::lock_guard lock(mu_);
    model = model_;
  }
  for (std::size_t m = 0; m < ids.size(); ++m) {
    if (!model.empty() && (*opened)[m].model() != model) {
      ++scope.other_model_;
      continue;
    }
    FG_RETURN_IF_ERROR(scope.AddLocked(subject, ids[m], gallery::Vector((*opened)[m].values())));
  }
  return Status::Ok();
}

void ScopeRegistry::SetModel(std::string model) {
  std::lock_guard lock(mu_);
  model_ = std::move(model);
}

Status ScopeRegistry::Load(Scope& scope, const Grant& grant,
                           const std::function<bool(const std::string&)>& is_member) {
  const std::string& purpose = grant.purpose();
  // The version first: a change after it makes the first search sync again.
  FG_ASSIGN_OR_RETURN(int64_t version, store_.PurposeTemplateVersion(purpose));
  FG_ASSIGN_OR_RETURN(std::vector<SealedTemplate> sealed, store_.ListTemplatesForPurpose(purpose));
  scope.known_ids_.clear();
  for (const SealedTemplate& t : sealed) scope.known_ids_.push_back(t.id);
  std::sort(scope.known_ids_.begin(), scope.known_ids_.end());
  ScopeProgress progress;
  {
    std::lock_guard lock(mu_);
    progress = progress_;
  }
  const std::size_t total = sealed.size();
  std::size_t done = 0, last_report = 0;
  for (std::size_t i = 0; i < sealed.size();) {
    std::size_t j = i;
    while (j < sealed.size() && sealed[j].subject == sealed[i].subject) ++j;
    const std::string& subject = sealed[i].subject;
    std::vector<int64_t> ids;
    for (std::size_t m = i; m < j; ++m) ids.push_back(sealed[m].id);
    done += j - i;
    i = j;
    // A subject whose consent has ended is no member, even before the
    // sweeper deletes the templates (REQ SC2, C1).
    if (!is_member(subject)) continue;
    FG_RETURN_IF_ERROR(IndexMember(scope, grant, subject, std::move(ids)));
    if (progress && (done - last_report >= 1000 || done == total)) {
      progress(purpose, done, total);
      last_report = done;
    }
  }
  if (progress) progress(purpose, total, total);
  // A bulk load may cross the exact/IVF size rule.
  if (scope.index_.NeedsRebuild()) FG_RETURN_IF_ERROR(scope.index_.Rebuild());
  scope.synced_version_ = version;
  return Status::Ok();
}

void ScopeRegistry::Added(const std::string& purpose, const std::string& subject, int64_t template_id,
                          gallery::Vector values) {
  std::shared_ptr<Scope> s = Find(purpose);
  if (!s) return;  // not loaded: the first search reads it from the store
  {
    std::lock_guard w(s->write_mu_);
    if (!s->ready_) return;  // a failed load: the next Get loads everything again
    // A withdrawal (or erasure) that committed after the enrolment and removed the subject
    // before this call must not be undone by it: add only a template the store still holds.
    // A removal committed after this check takes the write lock after us and removes it.
    auto held = store_.GetTemplates(subject, purpose);
    if (!held.ok() || std::none_of(held->begin(), held->end(),
                                   [&](const SealedTemplate& t) { return t.id == template_id; }))
      return;
    s->AddLocked(subject, template_id, values);
  }
  // The index grew past the size rule: rebuild now, outside the write lock, so
  // removals and searches continue meanwhile.
  if (s->index_.NeedsRebuild()) s->index_.Rebuild();
}

std::size_t ScopeRegistry::RemoveSubject(const std::string& purpose, const std::string& subject) {
  std::shared_ptr<Scope> s = Find(purpose);
  if (!s) return 0;
  std::lock_guard w(s->write_mu_);
  return s->RemoveSubjectLocked(subject);
}

}  // namespace facegate::service

namespace facegate::service {

bool ScopeRegistry::RemoveTemplate(const std::string& purpose, int64_t template_id) {
  std::shared_ptr<Scope> s = Find(purpose);
  if (!s) return false;
  std::lock_guard w(s->write_mu_);
  return s->RemoveTemplateLocked(template_id);
}

}  // namespace facegate::service
