// The one store: alternative (face-free) transactions (REQ A2, C6, D7) and
// their connectors, credentials and single-use tokens (REQ A4; migration 10).
#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Assign;
using sqlstore::Now;
using sqlstore::Quote;

const char* const sqlstore::kAlternativeColumns =
    "id, subject, purpose, session, method, opened_at, closed_at, outcome, attempts";

AlternativeRecord sqlstore::ReadAlternative(const Row& row) {
  AlternativeRecord a;
  a.id = row.Int(0);
  a.subject = row.Text(1);
  a.purpose = row.Text(2);
  a.session = row.Text(3);
  a.method = row.Text(4);
  a.opened_at = row.Int(5);
  a.closed_at = row.OptInt(6);
  a.outcome = row.Text(7);
  a.attempts = row.Int(8);
  return a;
}

using sqlstore::kAlternativeColumns;
using sqlstore::ReadAlternative;

static Status CheckAlternativeOutcome(const std::string& outcome) {
  if (outcome == "granted" || outcome == "denied") return Status::Ok();
  return Status::InvalidInput("alternative outcome " + Quote(outcome) +
                              " is not one of 'granted', 'denied'");
}

Result<int64_t> SqlStore::OpenAlternative(const AlternativeRecord& in) {
  if (in.subject.empty() && in.session.empty())
    return Status::InvalidInput("an alternative needs a subject id, or the device session it covers (at a 1:N gate the "
                                "person need not be known)");
  if (in.method.empty()) return Status::InvalidInput("an alternative needs a method");
  int64_t id = 0;
  Status s = db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(in.purpose));
    return db_.Query("INSERT INTO alternatives (subject, purpose, session, method, opened_at, closed_at, "
                     "outcome) VALUES (?, ?, ?, ?, ?, NULL, '') RETURNING id",
                     Params()
                         .Text(in.subject)
                         .Text(in.purpose)
                         .Text(in.session)
                         .Text(in.method)
                         .Int(in.opened_at ? in.opened_at : Now()),
                     "opening an alternative for subject " + Quote(in.subject),
                     [&](const Row& row) {
                       id = row.Int(0);
                       return Status::Ok();
                     })
        .status();
  });
  if (!s.ok()) return s;
  return id;
}

Result<AlternativeRecord> SqlStore::GetAlternative(int64_t id) {
  static const std::string sql = std::string("SELECT ") + kAlternativeColumns + " FROM alternatives WHERE id = ?";
  std::optional<AlternativeRecord> a;
  FG_RETURN_IF_ERROR(
      db_.Query(sql, Params().Int(id), "reading alternative " + std::to_string(id), Assign(a, ReadAlternative))
          .status());
  if (!a) return Status::NotFound("alternative transaction " + std::to_string(id) + " does not exist");
  return std::move(*a);
}

Status SqlStore::CloseAlternative(int64_t id, const std::string& outcome, UnixTime at) {
  FG_RETURN_IF_ERROR(CheckAlternativeOutcome(outcome));
  auto lock = db_.Lock();
  // One conditional UPDATE: of two concurrent closers exactly one records its outcome.
  FG_ASSIGN_OR_RETURN(int64_t changed, Write("UPDATE alternatives SET closed_at = ?, outcome = ? "
                                             "WHERE id = ? AND closed_at IS NULL",
                                             Params().Int(at ? at : Now()).Text(outcome).Int(id),
                                             "closing alternative " + std::to_string(id)));
  if (changed == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(AlternativeRecord a, GetAlternative(id));  // kNotFound for an unknown id
  return Status::Conflict("alternative transaction " + std::to_string(id) + " was already closed at " +
                          std::to_string(a.closed_at.value_or(0)) + " with outcome " +
                          Quote(a.outcome) + ": open a new one for a new attempt");
}

Result<std::optional<AlternativeRecord>> SqlStore::OpenAlternativeFor(const std::string& subject,
                                                                      const std::string& purpose,
                                                                      const std::string& session,
                                                                      UnixTime now) {
  static const std::string sql =
      std::string("SELECT ") + kAlternativeColumns +
      " FROM alternatives WHERE subject = ? AND purpose = ? AND session = ? AND opened_at <= ? "
      "AND (closed_at IS NULL OR closed_at > ?) ORDER BY opened_at DESC, id DESC LIMIT 1";
  std::optional<AlternativeRecord> a;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Text(subject).Text(purpose).Text(session).Int(now).Int(now),
                               "looking up open alternatives of subject " + Quote(subject),
                               Assign(a, ReadAlternative))
                         .status());
  return a;
}

Result<std::optional<AlternativeRecord>> SqlStore::OpenAlternativeInSession(const std::string& purpose,
                                                                           const std::string& session,
                                                                           UnixTime now) {
  static const std::string sql =
      std::string("SELECT ") + kAlternativeColumns +
      " FROM alternatives WHERE purpose = ? AND session = ? AND opened_at <= ? "
      "AND (closed_at IS NULL OR closed_at > ?) ORDER BY opened_at DESC, id DESC LIMIT 1";
  std::optional<AlternativeRecord> a;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Text(purpose).Text(session).Int(now).Int(now),
                               "looking up open alternatives in session " + Quote(session),
                               Assign(a, ReadAlternative))
                         .status());
  return a;
}

Result<int64_t> SqlStore::CountAlternativeAttempt(int64_t id) {
  auto lock = db_.Lock();
  std::optional<int64_t> attempts;
  FG_RETURN_IF_ERROR(db_.Transaction([&]() -> Status {
    return db_.Query("UPDATE alternatives SET attempts = attempts + 1 "
                     "WHERE id = ? AND closed_at IS NULL RETURNING attempts",
                     Params().Int(id), "counting an attempt on alternative " + std::to_string(id),
                     [&](const Row& row) {
                       attempts = row.Int(0);
                       return Status::Ok();
                     })
        .status();
  }));
  if (attempts) return *attempts;
  FG_ASSIGN_OR_RETURN(AlternativeRecord a, GetAlternative(id));  // kNotFound for an unknown id
  return Status::Conflict("alternative transaction " + std::to_string(id) + " was already closed with outcome " +
                          Quote(a.outcome) + ": open a new one for a new attempt");
}

// ---- connectors, credentials and single-use tokens (REQ A4; migration 10) ----

static const char* const kConnectorColumns = "purpose, method, kind, config, actor, set_at";

static AlternativeConnectorRecord ReadConnector(const Row& row) {
  AlternativeConnectorRecord c;
  c.purpose = row.Text(0);
  c.method = row.Text(1);
  c.kind = row.Text(2);
  c.config = row.Text(3);
  c.actor = row.Text(4);
  c.set_at = row.Int(5);
  return c;
}

Status SqlStore::SetAlternativeConnector(const AlternativeConnectorRecord& c) {
  return db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(c.purpose));
    return db_.Exec("INSERT INTO alternative_connectors (purpose, method, kind, config, actor, set_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (purpose, method) DO UPDATE SET "
                    "kind = excluded.kind, config = excluded.config, actor = excluded.actor, "
                    "set_at = excluded.set_at",
                    Params()
                        .Text(c.purpose)
                        .Text(c.method)
                        .Text(c.kind)
                        .Text(c.config.empty() ? "{}" : c.config)
                        .Text(c.actor)
                        .Int(c.set_at ? c.set_at : Now()),
                    "connecting alternative " + Quote(c.method) + " of purpose " + Quote(c.purpose))
        .status();
  });
}

Result<std::optional<AlternativeConnectorRecord>> SqlStore::GetAlternativeConnector(const std::string& purpose,
                                                                                    const std::string& method) {
  static const std::string sql = std::string("SELECT ") + kConnectorColumns +
                                 " FROM alternative_connectors WHERE purpose = ? AND method = ?";
  std::optional<AlternativeConnectorRecord> c;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Text(purpose).Text(method),
                               "reading the connector of alternative " + Quote(method), Assign(c, ReadConnector))
                         .status());
  return c;
}

Result<std::vector<AlternativeConnectorRecord>> SqlStore::ListAlternativeConnectors(const std::string& purpose) {
  static const std::string sql = std::string("SELECT ") + kConnectorColumns +
                                 " FROM alternative_connectors WHERE purpose = ? ORDER BY method";
  std::vector<AlternativeConnectorRecord> out;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Text(purpose), "listing the connectors of purpose " + Quote(purpose),
                               sqlstore::Append(out, ReadConnector))
                         .status());
  return out;
}

Status SqlStore::PutAlternativeCredential(const AlternativeCredentialRecord& c) {
  if (c.subject.empty() || c.verifier.empty())
    return Status::InvalidInput("an alternative credential needs a subject and a verifier");
  return Write("INSERT INTO alternative_credentials (subject, purpose, method, verifier, created_at, "
               "expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (subject, purpose, method) DO UPDATE "
               "SET verifier = excluded.verifier, created_at = excluded.created_at, "
               "expires_at = excluded.expires_at",
               Params()
                   .Text(c.subject)
                   .Text(c.purpose)
                   .Text(c.method)
                   .Text(c.verifier)
                   .Int(c.created_at ? c.created_at : Now())
                   .Int(c.expires_at),
               "storing the " + Quote(c.method) + " credential of subject " + Quote(c.subject))
      .status();
}

Result<std::optional<AlternativeCredentialRecord>> SqlStore::GetAlternativeCredential(const std::string& subject,
                                                                                      const std::string& purpose,
                                                                                      const std::string& method) {
  std::optional<AlternativeCredentialRecord> out;
  FG_RETURN_IF_ERROR(db_.Query("SELECT verifier, created_at, expires_at FROM alternative_credentials "
                               "WHERE subject = ? AND purpose = ? AND method = ?",
                               Params().Text(subject).Text(purpose).Text(method),
                               "reading the " + Quote(method) + " credential of " + Quote(subject),
                               [&](const Row& row) {
                                 AlternativeCredentialRecord c;
                                 c.subject = subject;
                                 c.purpose = purpose;
                                 c.method = method;
                                 c.verifier = row.Text(0);
                                 c.created_at = row.Int(1);
                                 c.expires_at = row.Int(2);
                                 out = std::move(c);
                                 return Status::Ok();
                               })
                         .status());
  return out;
}

Result<int64_t> SqlStore::DeleteAlternativeCredentials(const std::string& subject, const std::string& purpose) {
  return Write("DELETE FROM alternative_credentials WHERE subject = ? AND (? = '' OR purpose = ?)",
               Params().Text(subject).Text(purpose).Text(purpose),
               "deleting the alternative credentials of subject " + Quote(subject));
}

Result<int64_t> SqlStore::DeleteExpiredAlternativeCredentials(UnixTime now) {
  int64_t n = 0;
  FG_RETURN_IF_ERROR(db_.Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(n, db_.Exec("DELETE FROM alternative_credentials WHERE expires_at <= ?", Params().Int(now),
                                    "deleting expired alternative credentials"));
    return db_.Exec("DELETE FROM alternative_tokens_used WHERE expires_at <= ?", Params().Int(now),
                    "forgetting expired single-use tokens")
        .status();
  }));
  return n;
}

Status SqlStore::ClaimAlternativeToken(const std::string& nonce, UnixTime at, UnixTime expires_at) {
  Status s = Write("INSERT INTO alternative_tokens_used (nonce, used_at, expires_at) VALUES (?, ?, ?)",
                   Params().Text(nonce).Int(at ? at : Now()).Int(expires_at), "claiming a single-use token")
                 .status();
  if (s.kind() == ErrorKind::kConflict)
    return Status::Conflict("this token was already used; a token opens one transaction only: issue a new one");
  return s;
}

}  // namespace facegate::store
