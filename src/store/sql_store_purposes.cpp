// The one store: purposes, notices, subjects, policy settings and the
// operator's identification thresholds.
#include <cmath>
#include <nlohmann/json.hpp>

#include "store/audit_chain.h"
#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Now;
using sqlstore::Quote;

// ---- purposes ----

Status SqlStore::AddPurpose(const PurposeRecord& p) {
  if (p.name.empty()) return Status::InvalidInput("purpose name is empty: give it a name");
  if (p.retention_days < 0) {
    return Status::InvalidInput("purpose " + Quote(p.name) + " has negative retention_days");
  }
  auto r = Write("INSERT INTO purposes (name, scenario, retention_days, alternatives, legal_mandate, "
                 "created_at, liveness, legal_basis, basis_justification) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 Params()
                     .Text(p.name)
                     .Text(ToString(p.scenario))
                     .Int(p.retention_days)
                     .Text(nlohmann::json(p.alternatives).dump())
                     .Text(p.legal_mandate)
                     .Int(p.created_at ? p.created_at : Now())
                     .Text(ToString(p.liveness))
                     .Text(p.legal_basis)
                     .Text(p.basis_justification),
                 "adding purpose " + Quote(p.name));
  if (r.ok()) return Status::Ok();
  if (r.status().kind() == ErrorKind::kConflict) {
    return Status::Conflict("purpose " + Quote(p.name) +
                            " already exists: use it, or choose another name");
  }
  return r.status();
}

Status SqlStore::SetPurposeBasis(const std::string& name, const std::string& basis,
                                 const std::string& justification) {
  FG_ASSIGN_OR_RETURN(int64_t n, Write("UPDATE purposes SET legal_basis = ?, basis_justification = ? WHERE name = ?",
                                       Params().Text(basis).Text(justification).Text(name),
                                       "recording the legal basis of purpose " + Quote(name)));
  if (n == 0) return Status::NotFound("purpose " + Quote(name) + " does not exist: declare it first");
  return Status::Ok();
}

static const char* const kPurposeColumns =
    "name, scenario, retention_days, alternatives, legal_mandate, created_at, liveness, legal_basis, "
    "basis_justification";

static Result<PurposeRecord> ReadPurpose(const Row& row) {
  PurposeRecord p;
  p.name = row.Text(0);
  auto scenario = ParseScenario(row.Text(1));
  if (!scenario) return sqlstore::Edited("purpose " + Quote(p.name), "unknown scenario " + Quote(row.Text(1)));
  p.scenario = *scenario;
  p.retention_days = row.Int(2);
  auto alts = nlohmann::json::parse(row.Text(3), nullptr, /*allow_exceptions=*/false);
  if (!alts.is_array()) return sqlstore::Edited("purpose " + Quote(p.name), "malformed alternatives");
  for (const auto& a : alts) {
    if (a.is_string()) p.alternatives.push_back(a.get<std::string>());
  }
  p.legal_mandate = row.Text(4);
  p.created_at = row.Int(5);
  auto liveness = ParseLivenessRequirement(row.Text(6));
  if (!liveness) {
    return sqlstore::Edited("purpose " + Quote(p.name), "unknown liveness requirement " + Quote(row.Text(6)));
  }
  p.liveness = *liveness;
  p.legal_basis = row.Text(7);
  p.basis_justification = row.Text(8);
  return p;
}

Result<PurposeRecord> SqlStore::GetPurpose(const std::string& name) {
  static const std::string sql = std::string("SELECT ") + kPurposeColumns + " FROM purposes WHERE name = ?";
  std::optional<Result<PurposeRecord>> found;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Text(name), "reading purpose " + Quote(name),
                               [&](const Row& row) {
                                 found = ReadPurpose(row);
                                 return Status::Ok();
                               })
                         .status());
  if (!found) return Status::NotFound("purpose " + Quote(name) + " does not exist");
  return std::move(*found);
}

Result<std::vector<PurposeRecord>> SqlStore::ListPurposes() {
  static const std::string sql =
      std::string("SELECT ") + kPurposeColumns + " FROM purposes ORDER BY name{collate_c}";
  std::vector<PurposeRecord> out;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params(), "listing purposes", [&](const Row& row) -> Status {
                          FG_ASSIGN_OR_RETURN(PurposeRecord p, ReadPurpose(row));
                          out.push_back(std::move(p));
                          return Status::Ok();
                        })
                         .status());
  return out;
}

// ---- notices ----

static const char* const kNoticeColumns = "id, purpose, version, text, sha256, published_at";

Result<NoticeRecord> SqlStore::ReadNotice(const std::string& sql, const Params& p, const std::string& what) {
  NoticeRecord n;
  FG_ASSIGN_OR_RETURN(int64_t rows, db_.Query(sql, p, "reading " + what, [&](const Row& row) {
                        n.id = row.Int(0);
                        n.purpose = row.Text(1);
                        n.version = static_cast<int>(row.Int(2));
                        n.text = row.Text(3);
                        n.sha256 = row.Text(4);
                        n.published_at = row.Int(5);
                        return Status::Ok();
                      }));
  if (rows == 0) return Status::NotFound(what + " does not exist");
  return n;
}

Result<NoticeRecord> SqlStore::PublishNotice(const NoticeRecord& in) {
  NoticeRecord n = in;
  // Consents bind to this digest (REQ C2), so it must be the text's digest.
  const std::string digest = Sha256Hex(n.text);
  if (n.sha256.empty()) {
    n.sha256 = digest;
  } else if (n.sha256 != digest) {
    return Status::InvalidInput("notice for purpose " + Quote(n.purpose) + " gives sha256 " +
                                n.sha256 + " but its text hashes to " + digest +
                                ": leave sha256 empty or fix it");
  }
  if (!n.published_at) n.published_at = Now();
  Status s = db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(n.purpose, /*lock=*/true));
    FG_RETURN_IF_ERROR(db_.Query("SELECT COALESCE(MAX(version), 0) FROM notices WHERE purpose = ?",
                                 Params().Text(n.purpose), "reading notice versions",
                                 [&](const Row& row) {
                                   n.version = static_cast<int>(row.Int(0)) + 1;
                                   return Status::Ok();
                                 })
                           .status());
    return db_.Query("INSERT INTO notices (purpose, version, text, sha256, published_at) "
                     "VALUES (?, ?, ?, ?, ?) RETURNING id",
                     Params().Text(n.purpose).Int(n.version).Text(n.text).Text(n.sha256).Int(n.published_at),
                     "publishing a notice for purpose " + Quote(n.purpose),
                     [&](const Row& row) {
                       n.id = row.Int(0);
                       return Status::Ok();
                     })
        .status();
  });
  if (!s.ok()) return s;
  return n;
}

Result<NoticeRecord> SqlStore::GetNotice(int64_t id) {
  static const std::string sql = std::string("SELECT ") + kNoticeColumns + " FROM notices WHERE id = ?";
  return ReadNotice(sql, Params().Int(id), "notice " + std::to_string(id));
}

Result<NoticeRecord> SqlStore::LatestNotice(const std::string& purpose) {
  static const std::string sql = std::string("SELECT ") + kNoticeColumns +
                                 " FROM notices WHERE purpose = ? ORDER BY version DESC LIMIT 1";
  return ReadNotice(sql, Params().Text(purpose), "a notice for purpose " + Quote(purpose));
}

// ---- subjects ----

Status SqlStore::EnsureSubject(const std::string& subject, UnixTime now) {
  if (subject.empty()) return Status::InvalidInput("subject id is empty: give a pseudonymous id");
  return Write("INSERT INTO subjects (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
               Params().Text(subject).Int(now ? now : Now()), "registering subject " + Quote(subject))
      .status();
}

Result<bool> SqlStore::SubjectExists(const std::string& subject) {
  Status s = RequireSubject(subject);
  if (s.ok()) return true;
  if (s.kind() == ErrorKind::kNotFound) return false;
  return s;
}

// ---- minors and policy settings (REQ M1, M2, S8) ----

Status SqlStore::SetSubjectBirthDate(const std::string& subject, const std::string& birth_date) {
  return db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(subject));
    Params p;
    if (birth_date.empty()) {
      p.Null();
    } else {
      p.Text(birth_date);
    }
    p.Text(subject);
    return db_.Exec("UPDATE subjects SET birth_date = ? WHERE id = ?", p,
                    "declaring the birth date of subject " + Quote(subject))
        .status();
  });
}

Result<std::string> SqlStore::SubjectBirthDate(const std::string& subject) {
  std::string date;
  FG_ASSIGN_OR_RETURN(int64_t rows, db_.Query("SELECT birth_date FROM subjects WHERE id = ?", Params().Text(subject),
                                              "reading the birth date of subject " + Quote(subject),
                                              [&](const Row& row) {
                                                date = row.Text(0);
                                                return Status::Ok();
                                              }));
  if (rows == 0) return Status::NotFound("subject " + Quote(subject) + " does not exist");
  return date;
}

Status SqlStore::PutSetting(const std::string& name, const std::string& value, UnixTime at) {
  if (name.empty()) return Status::InvalidInput("a policy setting needs a name");
  return Write("INSERT INTO policy_settings (name, value, updated_at) VALUES (?, ?, ?) "
               "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
               Params().Text(name).Text(value).Int(at ? at : Now()), "storing policy setting " + Quote(name))
      .status();
}

Result<std::optional<std::string>> SqlStore::GetSetting(const std::string& name) {
  std::optional<std::string> value;
  FG_RETURN_IF_ERROR(db_.Query("SELECT value FROM policy_settings WHERE name = ?", Params().Text(name),
                               "reading policy setting " + Quote(name),
                               [&](const Row& row) {
                                 value = row.Text(0);
                                 return Status::Ok();
                               })
                         .status());
  return value;
}

// ---- the operator's identification threshold (REQ SC2; migration 7) ----

static Status CheckIdentifyThreshold(const IdentifyThresholdRecord& t) {
  if (!(t.threshold > 0) || !std::isfinite(t.threshold))
    return Status::InvalidInput("an identification threshold must be a positive distance, e.g. 0.95");
  if (t.reason.empty())
    return Status::InvalidInput("an identification threshold needs the reason it was set (--reason)");
  return Status::Ok();
}

Status SqlStore::SetIdentifyThreshold(const IdentifyThresholdRecord& t) {
  FG_RETURN_IF_ERROR(CheckIdentifyThreshold(t));
  return db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(t.purpose));
    return db_.Exec("INSERT INTO purpose_settings (purpose, identify_threshold, reason, actor, set_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (purpose) DO UPDATE SET "
                    "identify_threshold = excluded.identify_threshold, reason = excluded.reason, "
                    "actor = excluded.actor, set_at = excluded.set_at",
                    Params().Text(t.purpose).Float(t.threshold).Text(t.reason).Text(t.actor).Int(
                        t.set_at ? t.set_at : Now()),
                    "setting the identification threshold of purpose " + Quote(t.purpose))
        .status();
  });
}

Result<std::optional<IdentifyThresholdRecord>> SqlStore::GetIdentifyThreshold(const std::string& purpose) {
  std::optional<IdentifyThresholdRecord> out;
  FG_RETURN_IF_ERROR(db_.Query("SELECT identify_threshold, reason, actor, set_at FROM purpose_settings "
                               "WHERE purpose = ?",
                               Params().Text(purpose),
                               "reading the identification threshold of purpose " + Quote(purpose),
                               [&](const Row& row) {
                                 IdentifyThresholdRecord t;
                                 t.purpose = purpose;
                                 t.threshold = static_cast<float>(row.Double(0));
                                 t.reason = row.Text(1);
                                 t.actor = row.Text(2);
                                 t.set_at = row.Int(3);
                                 out = std::move(t);
                                 return Status::Ok();
                               })
                         .status());
  return out;
}

Result<bool> SqlStore::ClearIdentifyThreshold(const std::string& purpose) {
  FG_ASSIGN_OR_RETURN(int64_t n, Write("DELETE FROM purpose_settings WHERE purpose = ?", Params().Text(purpose),
                                       "clearing the identification threshold of purpose " + Quote(purpose)));
  return n > 0;
}

// ---- tenants (REQ S10) ----

Result<std::vector<std::string>> SqlStore::ListSubjects() {
  std::vector<std::string> out;
  FG_RETURN_IF_ERROR(db_.Query("SELECT id FROM subjects ORDER BY id{collate_c}", Params(), "listing subjects",
                               [&](const Row& row) {
                                 out.push_back(row.Text(0));
                                 return Status::Ok();
                               })
                         .status());
  return out;
}

}  // namespace facegate::store
