// The one store: sealed templates (REQ S3, S4, S5, SC2) and the wrapped
// per-subject keys that crypto-shredding destroys (REQ S4, S7).
#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Now;
using sqlstore::Quote;

SealedTemplate sqlstore::ReadTemplate(const Row& row) {
  SealedTemplate t;
  t.id = row.Int(0);
  t.subject = row.Text(1);
  t.purpose = row.Text(2);
  t.model = row.Text(3);
  t.nonce = row.Bytes(4);
  t.ciphertext = row.Bytes(5);
  t.created_at = row.Int(6);
  t.expires_at = row.Int(7);
  t.purpose_key = row.Text(8) == "purpose";
  return t;
}

Result<int64_t> SqlStore::PutTemplate(const SealedTemplate& t) {
  if (t.nonce.empty() || t.ciphertext.empty()) {
    return Status::InvalidInput("template of subject " + Quote(t.subject) +
                                " is not sealed (empty nonce or ciphertext): seal it with "
                                "Vault::Seal first (REQ S4)");
  }
  int64_t id = 0;
  Status s = db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(t.subject));
    FG_RETURN_IF_ERROR(RequirePurpose(t.purpose));
    return db_.Query("INSERT INTO templates (subject, purpose, model, nonce, ciphertext, created_at, "
                     "expires_at, key_scope) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                     Params()
                         .Text(t.subject)
                         .Text(t.purpose)
                         .Text(t.model)
                         .Bytes(t.nonce)
                         .Bytes(t.ciphertext)
                         .Int(t.created_at ? t.created_at : Now())
                         .Int(t.expires_at)
                         .Text(t.purpose_key ? "purpose" : "subject"),
                     "storing a template of subject " + Quote(t.subject),
                     [&](const Row& row) {
                       id = row.Int(0);
                       return Status::Ok();
                     })
        .status();
  });
  if (!s.ok()) return s;
  return id;
}

Result<std::vector<SealedTemplate>> SqlStore::ReadTemplates(const std::string& sql, const Params& p,
                                                            const std::string& what) {
  std::vector<SealedTemplate> out;
  FG_RETURN_IF_ERROR(db_.Query(sql, p, what, sqlstore::Append(out, sqlstore::ReadTemplate)).status());
  return out;
}

static const std::string kTemplateSelect =
    "SELECT id, subject, purpose, model, nonce, ciphertext, created_at, expires_at, key_scope FROM templates ";

Result<std::vector<SealedTemplate>> SqlStore::GetTemplates(const std::string& subject,
                                                           const std::string& purpose) {
  static const std::string sql = kTemplateSelect + "WHERE subject = ? AND purpose = ? ORDER BY id";
  return ReadTemplates(sql, Params().Text(subject).Text(purpose), "reading templates of subject " + Quote(subject));
}

Result<std::vector<SealedTemplate>> SqlStore::ListTemplatesForPurpose(const std::string& purpose) {
  static const std::string sql = kTemplateSelect + "WHERE purpose = ? ORDER BY subject, id";
  return ReadTemplates(sql, Params().Text(purpose), "reading the templates of purpose " + Quote(purpose));
}

Result<std::vector<SealedTemplate>> SqlStore::ListTemplatesForPurposeAfter(const std::string& purpose,
                                                                           int64_t after_id) {
  static const std::string sql = kTemplateSelect + "WHERE purpose = ? AND id > ? ORDER BY subject, id";
  return ReadTemplates(sql, Params().Text(purpose).Int(after_id),
                       "reading the new templates of purpose " + Quote(purpose));
}

Result<int64_t> SqlStore::PurposeTemplateVersion(const std::string& purpose) {
  int64_t version = 0;  // 0 before the first template
  FG_RETURN_IF_ERROR(db_.Query("SELECT version FROM purpose_template_versions WHERE purpose = ?",
                               Params().Text(purpose), "reading the template version of purpose " + Quote(purpose),
                               [&](const Row& row) {
                                 version = row.Int(0);
                                 return Status::Ok();
                               })
                         .status());
  return version;
}

Result<std::vector<int64_t>> SqlStore::ListTemplateIdsForPurpose(const std::string& purpose) {
  std::vector<int64_t> out;
  FG_RETURN_IF_ERROR(db_.Query("SELECT id FROM templates WHERE purpose = ? ORDER BY id", Params().Text(purpose),
                               "listing template ids of purpose " + Quote(purpose),
                               [&](const Row& row) {
                                 out.push_back(row.Int(0));
                                 return Status::Ok();
                               })
                         .status());
  return out;
}

Result<int64_t> SqlStore::DeleteTemplates(const std::string& subject, const std::string& purpose) {
  return Write("DELETE FROM templates WHERE subject = ? AND purpose = ?", Params().Text(subject).Text(purpose),
               "deleting templates of subject " + Quote(subject));
}

Result<std::vector<SealedTemplate>> SqlStore::DeleteExpiredTemplates(UnixTime now) {
  std::vector<SealedTemplate> gone;
  Status s = db_.Transaction([&]() -> Status {
    gone.clear();
    // What is read is what is deleted: the write lock is held from the start.
    FG_RETURN_IF_ERROR(db_.Query("SELECT id, subject, purpose, model, created_at, expires_at "
                                 "FROM templates WHERE expires_at <= ? ORDER BY id",
                                 Params().Int(now), "reading expired templates",
                                 [&](const Row& row) {
                                   SealedTemplate t;
                                   t.id = row.Int(0);
                                   t.subject = row.Text(1);
                                   t.purpose = row.Text(2);
                                   t.model = row.Text(3);
                                   t.created_at = row.Int(4);
                                   t.expires_at = row.Int(5);
                                   gone.push_back(std::move(t));
                                   return Status::Ok();
                                 })
                           .status());
    return db_.Exec("DELETE FROM templates WHERE expires_at <= ?", Params().Int(now), "deleting expired templates")
        .status();
  });
  if (!s.ok()) return s;
  return gone;
}

Result<int64_t> SqlStore::CountTemplates(const std::string& subject) {
  int64_t n = 0;
  FG_RETURN_IF_ERROR(db_.Query("SELECT COUNT(*) FROM templates WHERE subject = ?", Params().Text(subject),
                               "counting templates of " + Quote(subject),
                               [&](const Row& row) {
                                 n = row.Int(0);
                                 return Status::Ok();
                               })
                         .status());
  return n;
}

Result<int64_t> SqlStore::CountTemplates(const std::string& subject, const std::string& purpose) {
  int64_t n = 0;
  FG_RETURN_IF_ERROR(db_.Query("SELECT COUNT(*) FROM templates WHERE subject = ? AND purpose = ?",
                               Params().Text(subject).Text(purpose),
                               "counting templates of " + Quote(subject) + " for " + Quote(purpose),
                               [&](const Row& row) {
                                 n = row.Int(0);
                                 return Status::Ok();
                               })
                         .status());
  return n;
}

// ---- subject keys ----

Result<std::string> SqlStore::GetWrappedSubjectKey(const std::string& subject) {
  std::string wrapped;
  FG_ASSIGN_OR_RETURN(int64_t rows, db_.Query("SELECT wrapped FROM subject_keys WHERE subject = ?",
                                              Params().Text(subject), "reading the key of subject " + Quote(subject),
                                              [&](const Row& row) {
                                                wrapped = row.Bytes(0);
                                                return Status::Ok();
                                              }));
  if (rows > 0) return wrapped;
  return Status::NotFound("no key for subject " + Quote(subject) +
                          ": none was made yet, or it was destroyed (templates shredded, REQ S7)");
}

Status SqlStore::PutWrappedSubjectKey(const std::string& subject, const std::string& wrapped) {
  if (wrapped.empty()) return Status::InvalidInput("wrapped key is empty");
  return db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(subject));
    auto r = db_.Exec("INSERT INTO subject_keys (subject, wrapped, created_at) VALUES (?, ?, ?)",
                      Params().Text(subject).Bytes(wrapped).Int(Now()), "storing the key of subject " + Quote(subject));
    if (r.ok()) return Status::Ok();
    if (r.status().kind() == ErrorKind::kConflict) {
      return Status::Conflict("subject " + Quote(subject) +
                              " already has a key: read it with GetWrappedSubjectKey");
    }
    return r.status();
  });
}

Status SqlStore::DestroySubjectKey(const std::string& subject) {
  // Idempotent: a subject without a key has nothing left to shred. What else
  // REQ S7 takes on each database is the dialect's (Connection::KeyDestroyed).
  return db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(db_.Exec("DELETE FROM subject_keys WHERE subject = ?", Params().Text(subject),
                                "destroying the key of subject " + Quote(subject))
                           .status());
    FG_RETURN_IF_ERROR(db_.Exec("DELETE FROM purpose_keys WHERE subject = ?", Params().Text(subject),
                                "destroying the purpose keys of subject " + Quote(subject))
                           .status());
    db_.conn().KeyDestroyed();
    return Status::Ok();
  });
}

// ---- keys per subject and purpose (REQ S7) ----

Result<std::string> SqlStore::GetWrappedPurposeKey(const std::string& subject, const std::string& purpose) {
  std::string wrapped;
  FG_ASSIGN_OR_RETURN(int64_t rows,
                      db_.Query("SELECT wrapped FROM purpose_keys WHERE subject = ? AND purpose = ?",
                                Params().Text(subject).Text(purpose),
                                "reading the key of subject " + Quote(subject) + " for " + Quote(purpose),
                                [&](const Row& row) {
                                  wrapped = row.Bytes(0);
                                  return Status::Ok();
                                }));
  if (rows > 0) return wrapped;
  return Status::NotFound("no key for subject " + Quote(subject) + " and purpose " + Quote(purpose) +
                          ": none was made yet, or it was destroyed (templates shredded, REQ S7)");
}

Status SqlStore::PutWrappedPurposeKey(const std::string& subject, const std::string& purpose,
                                      const std::string& wrapped) {
  if (wrapped.empty()) return Status::InvalidInput("wrapped key is empty");
  return db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(subject));
    FG_RETURN_IF_ERROR(RequirePurpose(purpose));
    auto r = db_.Exec("INSERT INTO purpose_keys (subject, purpose, wrapped, created_at) VALUES (?, ?, ?, ?)",
                      Params().Text(subject).Text(purpose).Bytes(wrapped).Int(Now()),
                      "storing the key of subject " + Quote(subject) + " for " + Quote(purpose));
    if (r.ok()) return Status::Ok();
    if (r.status().kind() == ErrorKind::kConflict)
      return Status::Conflict("subject " + Quote(subject) + " already has a key for purpose " + Quote(purpose) +
                              ": read it with GetWrappedPurposeKey");
    return r.status();
  });
}

Result<bool> SqlStore::DestroyPurposeKey(const std::string& subject, const std::string& purpose) {
  int64_t n = 0;
  Status s = db_.Transaction([&]() -> Status {
    FG_ASSIGN_OR_RETURN(n, db_.Exec("DELETE FROM purpose_keys WHERE subject = ? AND purpose = ?",
                                    Params().Text(subject).Text(purpose),
                                    "destroying the key of subject " + Quote(subject) + " for " + Quote(purpose)));
    if (n > 0) db_.conn().KeyDestroyed();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return n > 0;
}

Result<int64_t> SqlStore::CountWrappedKeys() {
  int64_t n = 0;
  FG_RETURN_IF_ERROR(db_.Query("SELECT (SELECT COUNT(*) FROM subject_keys) + (SELECT COUNT(*) FROM purpose_keys)",
                               Params(), "counting the wrapped keys",
                               [&](const Row& row) {
                                 n = row.Int(0);
                                 return Status::Ok();
                               })
                         .status());
  return n;
}

}  // namespace facegate::store
