// The one store: consents (REQ C1-C8) and consent refusals (REQ C7).
#include "store/sql_store.h"

namespace facegate::store {

using sql::Params;
using sql::Row;
using sqlstore::Now;
using sqlstore::Quote;

namespace sqlstore {

const char* const kConsentColumns =
    "id, subject, purpose, notice_id, notice_sha256, option, method, evidence, given_at, "
    "expires_at, withdrawn_at, used_at, session, legal_basis, kind, recipient, source, minor, "
    "guardian, guardian_relation, recipient_country, recipient_contact, recipient_rights";

Result<ConsentRecord> ReadConsent(const Row& row) {
  ConsentRecord c;
  c.id = row.Int(0);
  c.subject = row.Text(1);
  c.purpose = row.Text(2);
  c.notice_id = row.OptInt(3).value_or(0);
  c.notice_sha256 = row.Text(4);
  auto option = ParseConsentOption(row.Text(5));
  auto method = ParseConsentMethod(row.Text(6));
  if (!option || !method) return Edited("consent " + std::to_string(c.id), "an unknown option or method");
  c.option = *option;
  c.method = *method;
  c.evidence = row.Text(7);
  c.given_at = row.Int(8);
  c.expires_at = row.Int(9);
  c.withdrawn_at = row.OptInt(10);
  c.used_at = row.OptInt(11);
  c.session = row.Text(12);
  c.legal_basis = row.Text(13);
  auto kind = ParseConsentKind(row.Text(14));
  if (!kind) return Edited("consent " + std::to_string(c.id), "an unknown kind");
  c.kind = *kind;
  c.recipient = row.Text(15);
  c.source = row.Text(16);
  c.minor = row.Bool(17);
  c.guardian = row.Text(18);
  c.guardian_relation = row.Text(19);
  c.recipient_country = row.Text(20);
  c.recipient_contact = row.Text(21);
  c.recipient_rights = row.Text(22);
  return c;
}

}  // namespace sqlstore

using sqlstore::kConsentColumns;
using sqlstore::ReadConsent;

Result<ConsentRecord> SqlStore::AddConsent(const ConsentRecord& in) {
  ConsentRecord c = in;
  if (!c.given_at) c.given_at = Now();
  Status s = db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequireSubject(c.subject));
    FG_RETURN_IF_ERROR(RequirePurpose(c.purpose));
    if (c.notice_id != 0) {
      // REQ C2: the consent must name the notice the subject actually saw.
      FG_ASSIGN_OR_RETURN(NoticeRecord n, GetNotice(c.notice_id));
      if (n.purpose != c.purpose) {
        return Status::InvalidInput("notice " + std::to_string(n.id) + " is for purpose " +
                                    Quote(n.purpose) + ", not " + Quote(c.purpose) +
                                    ": give the notice of this purpose");
      }
      if (c.notice_sha256.empty()) {
        c.notice_sha256 = n.sha256;
      } else if (c.notice_sha256 != n.sha256) {
        return Status::InvalidInput("consent names notice sha256 " + c.notice_sha256 +
                                    " but notice " + std::to_string(n.id) + " has " + n.sha256 +
                                    ": the subject saw another text; show the current notice");
      }
    }
    Params p;
    p.Text(c.subject).Text(c.purpose);
    if (c.notice_id) {
      p.Int(c.notice_id);
    } else {
      p.Null();
    }
    p.Text(c.notice_sha256)
        .Text(ToString(c.option))
        .Text(ToString(c.method))
        .Text(c.evidence)
        .Int(c.given_at)
        .Int(c.expires_at)
        .OptInt(c.withdrawn_at)
        .OptInt(c.used_at)
        .Text(c.session)
        .Text(c.legal_basis)
        .Text(ToString(c.kind))
        .Text(c.recipient)
        .Text(c.source)
        .Bool(c.minor)
        .Text(c.guardian)
        .Text(c.guardian_relation)
        .Text(c.recipient_country)
        .Text(c.recipient_contact)
        .Text(c.recipient_rights);
    return db_.Query("INSERT INTO consents (subject, purpose, notice_id, notice_sha256, option, method, "
                     "evidence, given_at, expires_at, withdrawn_at, used_at, session, legal_basis, kind, "
                     "recipient, source, minor, guardian, guardian_relation, recipient_country, "
                     "recipient_contact, recipient_rights) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                     p, "adding a consent of subject " + Quote(c.subject),
                     [&](const Row& row) {
                       c.id = row.Int(0);
                       return Status::Ok();
                     })
        .status();
  });
  if (!s.ok()) return s;
  return c;
}

Result<ConsentRecord> SqlStore::GetConsent(int64_t id) {
  static const std::string sql = std::string("SELECT ") + kConsentColumns + " FROM consents WHERE id = ?";
  std::optional<Result<ConsentRecord>> found;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Int(id), "reading consent " + std::to_string(id),
                               [&](const Row& row) {
                                 found = ReadConsent(row);
                                 return Status::Ok();
                               })
                         .status());
  if (!found) return Status::NotFound("consent " + std::to_string(id) + " does not exist");
  return std::move(*found);
}

Result<std::vector<ConsentRecord>> SqlStore::ListConsents(const std::string& subject,
                                                          const std::string& purpose) {
  static const std::string sql = std::string("SELECT ") + kConsentColumns +
                                 " FROM consents WHERE subject = ? AND purpose = ? "
                                 "ORDER BY given_at DESC, id DESC";
  std::vector<ConsentRecord> out;
  FG_RETURN_IF_ERROR(db_.Query(sql, Params().Text(subject).Text(purpose),
                               "listing consents of subject " + Quote(subject),
                               [&](const Row& row) -> Status {
                                 FG_ASSIGN_OR_RETURN(ConsentRecord c, ReadConsent(row));
                                 out.push_back(std::move(c));
                                 return Status::Ok();
                               })
                         .status());
  return out;
}

Status SqlStore::MarkConsentUsed(int64_t id, UnixTime at) {
  auto lock = db_.Lock();
  // REQ C5: one conditional UPDATE is the test-and-set; of two concurrent
  // callers (threads, processes or nodes) exactly one changes the row.
  FG_ASSIGN_OR_RETURN(int64_t changed, Write("UPDATE consents SET used_at = ? WHERE id = ? AND used_at IS NULL",
                                             Params().Int(at ? at : Now()).Int(id),
                                             "spending consent " + std::to_string(id)));
  if (changed == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(ConsentRecord c, GetConsent(id));  // kNotFound for an unknown id
  return Status::Conflict("consent " + std::to_string(id) + " was already used at " +
                          std::to_string(c.used_at.value_or(0)) +
                          ": a 'once' consent authorizes one operation; ask for a new consent");
}

Status SqlStore::MarkConsentWithdrawn(int64_t id, UnixTime at) {
  auto lock = db_.Lock();
  FG_ASSIGN_OR_RETURN(int64_t changed,
                      Write("UPDATE consents SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
                            Params().Int(at ? at : Now()).Int(id), "withdrawing consent " + std::to_string(id)));
  if (changed == 1) return Status::Ok();
  FG_ASSIGN_OR_RETURN(ConsentRecord c, GetConsent(id));
  return Status::Conflict("consent " + std::to_string(id) + " was already withdrawn at " +
                          std::to_string(c.withdrawn_at.value_or(0)));
}

// ---- consent refusals (REQ C7) ----

Status SqlStore::RecordConsentRefusal(const std::string& subject, const std::string& purpose,
                                      UnixTime at) {
  if (subject.empty()) return Status::InvalidInput("a consent refusal needs a subject id");
  return db_.Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(RequirePurpose(purpose));
    return db_.Exec("INSERT INTO consent_refusals (subject, purpose, refused_at) VALUES (?, ?, ?)",
                    Params().Text(subject).Text(purpose).Int(at ? at : Now()),
                    "recording a consent refusal of subject " + Quote(subject))
        .status();
  });
}

Result<std::optional<UnixTime>> SqlStore::LastConsentRefusal(const std::string& subject,
                                                             const std::string& purpose) {
  std::optional<UnixTime> last;
  FG_RETURN_IF_ERROR(db_.Query("SELECT MAX(refused_at) FROM consent_refusals WHERE subject = ? AND purpose = ?",
                               Params().Text(subject).Text(purpose),
                               "reading consent refusals of subject " + Quote(subject),
                               [&](const Row& row) {
                                 last = row.OptInt(0);
                                 return Status::Ok();
                               })
                         .status());
  return last;
}

}  // namespace facegate::store
