#include <facegate/service.h>
#include <facegate/vault.h>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "policy/gate.h"
#include "policy/minors.h"
#include "policy/legal_basis.h"
#include "policy/notice.h"
#include "policy/rules.h"
#include "policy/transfer.h"
#include "service/json_views.h"
#include "service/paths.h"
#include "service/liveness_check.h"
#include "service/service_impl.h"

namespace facegate::service {

namespace fs = std::filesystem;

float DefaultVerifyThreshold() {
  // Mean of the ten fold-best thresholds on lfw-pairs.tsv for the default recognizer
  // (docs/vision.md; `facegate eval verify` reproduces it). Templates are unit vectors,
  // so distances lie in [0, 2].
  return 1.173f;
}

bool IsPostgresConninfo(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0 ||
         db.find("host=") != std::string::npos || db.find("dbname=") != std::string::npos;
}

Config DefaultConfig() {
  Config c;
  if (const char* db = std::getenv("FACEGATE_DB")) c.database = db;
  if (const char* b = std::getenv("FACEGATE_DB_LOCATION_BASIS")) c.database_location_basis = b;
  c.data_dir = DefaultDataDir();
  c.model_dir = DefaultModelDir();
  c.lock_file = DefaultLockFile();
  // REQ F2: the operator's filing marks and calendar (docs/reports.md).
  if (const char* line = std::getenv("FACEGATE_FILING_LINE")) c.filing_line = std::atoll(line);
  if (const char* marks = std::getenv("FACEGATE_FILING_MARKS")) {
    c.filing_warn_marks.clear();
    for (const char* p = marks; *p;) {
      char* end = nullptr;
      const long long v = std::strtoll(p, &end, 10);
      if (end == p) break;
      if (v > 0) c.filing_warn_marks.push_back(v);
      p = *end == ',' ? end + 1 : end;
    }
  }
  if (const char* h = std::getenv("FACEGATE_HOLIDAYS")) c.holidays_file = h;
  if (const char* w = std::getenv("FACEGATE_ANALYSIS_WINDOW")) c.analysis_window_seconds = std::atoll(w);
  if (const char* h = std::getenv("FACEGATE_ANALYSIS_REPEAT_HORIZON"))
    c.analysis_repeat_horizon_seconds = std::atoll(h);
  return c;
}

Refusal DescribeRefusal(const Status& s, const std::vector<std::string>& alternatives) {
  Refusal r;
  r.requirement = s.requirement();
  r.message = s.message();
  r.alternatives = alternatives;
  if (const policy::Rule* rule = policy::FindRule(s.requirement())) {
    r.title = rule->title;
    r.citation = rule->citation;
  }
  return r;
}

namespace {

constexpr char kKeyCheckSetting[] = "master-key-check";

// A value that shows which master key the database's subject keys are wrapped with, without
// revealing it: BLAKE2b of a key derived from it for this use only.
std::string KeyCheckValue(const store::Vault& v) {
  const std::string derived = v.DeriveKey("keycheck", 1);
  unsigned char h[16];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(derived.data()), derived.size(),
                     nullptr, 0);
  char hex[sizeof h * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

}  // namespace

// Opens the master key and checks it is the one this database was written with. A key is made
// only for a database that holds no wrapped subject key and records none: otherwise a restored
// database or a node without the key file would silently get a new key, and every subject
// would fail to open (or, on a shared PostgreSQL, new subjects be wrapped under another key).
Status Service::Impl::OpenVaultChecked(const std::string& key_path) {
  Impl& I = *this;
  FG_ASSIGN_OR_RETURN(std::optional<std::string> recorded, I.store->GetSetting(kKeyCheckSetting));
  std::error_code ec;
  if (!fs::exists(key_path, ec)) {
    bool wrapped_keys = false;
    if (!recorded) {
      FG_ASSIGN_OR_RETURN(int64_t keys, I.store->CountWrappedKeys());
      wrapped_keys = keys > 0;
    }
    if (recorded || wrapped_keys)
      return Status(ErrorKind::kIntegrity,
                    "the master key " + key_path +
                        " is missing, but the database was written with one (its subject keys are wrapped "
                        "with it): restore the key file from where it is kept (mode 0600), or point "
                        "FACEGATE_HOME at the directory that holds it. facegate will not make a new key for "
                        "this database: every enrolled person would become unreadable");
  }
  FG_ASSIGN_OR_RETURN(store::Vault v, store::Vault::Open(key_path));
  const std::string check = KeyCheckValue(v);
  if (recorded && *recorded != check)
    return Status(ErrorKind::kIntegrity,
                  "the master key " + key_path +
                      " is not the key this database was written with (key check value differs): restore "
                      "the right key file, or use the database that belongs to this key. Refusing to start, "
                      "so no subject is wrapped under a second key");
  if (!recorded) FG_RETURN_IF_ERROR(I.store->PutSetting(kKeyCheckSetting, check, I.Now()));
  I.vault.emplace(std::move(v));
  return Status::Ok();
}

std::string Service::Impl::PseudonymousRef(const char* kind, const std::string& identity) const {
  if (identity.empty()) return "";
  const std::string key = vault->DeriveKey("pseudref", 1);
  const std::string in = std::string(kind) + '\0' + identity;
  unsigned char h[12];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(in.data()), in.size(),
                     reinterpret_cast<const unsigned char*>(key.data()), key.size());
  char hex[sizeof h * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return std::string(kind) + ":" + hex;
}

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::Open(const Config& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  if (config.analysis_window_seconds < 60 || 86400 % config.analysis_window_seconds != 0)
    return Status::InvalidInput("the analysis window of " + std::to_string(config.analysis_window_seconds) +
                                " s must be at least 60 s and divide a day (e.g. 900, 3600, 86400; "
                                "FACEGATE_ANALYSIS_WINDOW): statistics are released per calendar window (REQ AN2)");
  if (config.analysis_repeat_horizon_seconds < config.analysis_window_seconds ||
      config.analysis_repeat_horizon_seconds > 7 * 86400)
    return Status::InvalidInput("the analysis repeat horizon of " +
                                std::to_string(config.analysis_repeat_horizon_seconds) +
                                " s must be at least one analysis window and at most 7 days "
                                "(FACEGATE_ANALYSIS_REPEAT_HORIZON; REQ AN2)");
  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  if (ec)
    return Status::Internal("cannot create data directory " + config.data_dir + ": " + ec.message() +
                            "; set FACEGATE_HOME to a writable directory");
  if (IsPostgresConninfo(config.database)) {
    FG_RETURN_IF_ERROR(CheckDatabaseLocation(config));  // before any connection (REQ S8)
    FG_ASSIGN_OR_RETURN(impl->store, store::OpenPostgresStore(config.database));
  } else if (config.database.empty()) {
    FG_ASSIGN_OR_RETURN(impl->store, store::OpenSqliteStore(config.data_dir + "/facegate.db"));
  } else {
    return Status::InvalidInput("database '" + config.database +
                                "' is neither empty (embedded SQLite) nor a PostgreSQL conninfo "
                                "(postgresql://... or host=... dbname=...)");
  }
  FG_RETURN_IF_ERROR(impl->OpenVaultChecked(config.data_dir + "/master.key"));
  if (config.clock)
    impl->gate = std::make_unique<policy::Gate>(*impl->store, config.clock);
  else
    impl->gate = std::make_unique<policy::Gate>(*impl->store);
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

store::Store& Service::store() { return *impl_->store; }
Result<vision::Engine*> Service::engine() { return impl_->Engine(); }
const Config& Service::config() const { return impl_->config; }

std::vector<std::string> Service::AlternativesOf(const std::string& purpose) {
  auto p = impl_->store->GetPurpose(purpose);
  return p.ok() ? p->alternatives : std::vector<std::string>{};
}

Status Service::AddPurpose(const PurposeRecord& in, const std::string& actor) {
  auto& I = *impl_;
  PurposeRecord p = in;
  p.created_at = I.Now();
  json d = {{"scenario", ToString(p.scenario)}, {"retention_days", p.retention_days},
            {"alternatives", p.alternatives}};
  if (p.name.empty() || p.name.find_first_of(" \t\n/") != std::string::npos)
    return I.Fail(actor, "purpose.add", "", p.name,
                  Status::InvalidInput("purpose name '" + p.name +
                                       "' must be non-empty, without spaces or '/', e.g. office-entry"));
  if (p.retention_days <= 0)
    return I.Fail(actor, "purpose.add", "", p.name,
                  Status::Refused("S5", "every record needs an expiry: give a retention period, e.g. 365d"));
  if (p.retention_days > kMaxRetentionDays)
    return I.Fail(actor, "purpose.add", "", p.name,
                  Status::InvalidInput("a retention of " + std::to_string(p.retention_days) + " days is past the " +
                                       std::to_string(kMaxRetentionDays) +
                                       " days facegate keeps anything; keep face data only as long as the purpose "
                                       "needs (REQ S5)"));
  // REQ A1: face is never the only way, unless a legal mandate is recorded.
  if (p.scenario != Scenario::kAnalysis && p.alternatives.empty() && p.legal_mandate.empty())
    return I.Fail(actor, "purpose.add", "", p.name,
                  Status::Refused("A1", "a verification or identification purpose needs at least one "
                                        "non-face alternative (e.g. --alternative staff-card), or a "
                                        "recorded legal mandate (--legal-mandate)"),
                  d);
  // REQ C2, AN4: the lawful basis. Consent by default for face identity; an analysis purpose
  // says which basis it rests on.
  if (p.legal_basis.empty() && p.scenario != Scenario::kAnalysis) p.legal_basis = "consent";
  if (p.legal_basis.empty())
    return I.Fail(actor, "purpose.add", "", p.name,
                  Status::Refused("AN4", "an analysis purpose records its lawful basis (PIPL 13): give "
                                         "--basis consent (the people analysed consent) or another basis "
                                         "with --justification saying why it applies"),
                  d);
  d["legal_basis"] = p.legal_basis;
  Status basis = policy::CheckLegalBasis(p.scenario, p.legal_basis, p.basis_justification);
  if (!basis.ok()) return I.Fail(actor, "purpose.add", "", p.name, basis, d);
  Status st = I.store->AddPurpose(p);
  I.Audit(actor, "purpose.add", "", p.name, st, d);
  return st;
}

Result<std::vector<PurposeRecord>> Service::ListPurposes() { return impl_->store->ListPurposes(); }

Result<NoticeRecord> Service::PublishNotice(const std::string& purpose, const std::string& text,
                                            const std::string& actor) {
  auto& I = *impl_;
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok())
    return I.Fail(actor, "notice.publish", "", purpose,
                  Status::NotFound("purpose '" + purpose + "' does not exist; add it first"));
  Status valid = policy::ValidateNotice(text);
  if (!valid.ok()) return I.Fail(actor, "notice.publish", "", purpose, valid);
  // REQ N1: the storage period people read is the one the purpose applies.
  Status period = policy::CheckStoragePeriod(text, p->retention_days);
  if (!period.ok()) return I.Fail(actor, "notice.publish", "", purpose, period);
  // REQ C2, AN4: a basis other than consent is stated, with its justification.
  Status basis = policy::CheckNoticeStatesBasis(text, p->scenario, policy::EffectiveBasis(*p), p->basis_justification);
  if (!basis.ok()) return I.Fail(actor, "notice.publish", "", purpose, basis);
  // REQ N3: publishing the text already in force changes nothing (same version,
  // consents keep covering); any other text is a new version that consents given
  // for the old one do not cover (REQ C3).
  auto in_force = I.store->LatestNotice(purpose);
  if (in_force.ok() && in_force->sha256 == policy::NoticeDigest(text)) {
    I.Audit(actor, "notice.publish", "", purpose, Status::Ok(),
            {{"notice_id", in_force->id}, {"version", in_force->version},
             {"sha256", in_force->sha256}, {"unchanged", true}});
    return in_force;
  }
  NoticeRecord n;
  n.purpose = purpose;
  n.text = text;
  n.sha256 = policy::NoticeDigest(text);
  n.published_at = I.Now();
  auto r = I.store->PublishNotice(n);
  I.Audit(actor, "notice.publish", "", purpose, r.status(),
          r.ok() ? json{{"notice_id", r->id}, {"version", r->version}, {"sha256", r->sha256}}
                 : json::object());
  // REQ F1: a new version of what people are told is a material change to assess.
  if (r.ok() && r->version > 1)
    I.MarkAssessmentsDue("purpose", purpose, "notice version " + std::to_string(r->version) + " published", actor);
  return r;
}

Result<NoticeRecord> Service::LatestNotice(const std::string& purpose) {
  return impl_->store->LatestNotice(purpose);
}

namespace {
// Default validity of each option when the caller gives none (REQ C5: every option expires).
int64_t DefaultValidity(ConsentOption o, const PurposeRecord& p) {
  switch (o) {
    case ConsentOption::kOnce: return 24 * 3600;        // one use, within a day
    case ConsentOption::kWhileInUse: return 24 * 3600;  // the session, at most a day
    case ConsentOption::kAlways: return p.retention_days * 86400;
  }
  return 24 * 3600;
}
}  // namespace

Result<ConsentRecord> Service::GiveConsent(const ConsentRequest& r, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "consent.give";
  if (r.subject.empty())
    return I.Fail(actor, act, "", r.purpose, Status::InvalidInput("a subject id is required"));
  auto p = I.store->GetPurpose(r.purpose);
  if (!p.ok())
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::NotFound("purpose '" + r.purpose + "' does not exist"));
  // REQ C7: a prompted consent within the quiet period after a refusal is
  // refused; the person's own, unprompted consent is always accepted.
  if (r.prompted) {
    Status may = MayAskConsent(r.subject, r.purpose);
    if (!may.ok()) return I.Fail(actor, act, r.subject, r.purpose, may, {{"prompted", true}});
  }
  auto n = I.store->LatestNotice(r.purpose);
  if (!n.ok())
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::Refused("N1", "no notice is published for purpose '" + r.purpose +
                                            "'; consent needs a notice shown first"));
  if (r.notice_id != n->id)
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::Refused("N1", "consent must acknowledge the notice in force (id " +
                                            std::to_string(n->id) + ", version " +
                                            std::to_string(n->version) + "), not notice " +
                                            std::to_string(r.notice_id) + "; show it and ask again"));
  if (r.option == ConsentOption::kWhileInUse && r.session.empty())
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::InvalidInput("a \"while in use\" consent needs the session it belongs to "
                                       "(--session)"));
  if (r.method == ConsentMethod::kWritten && r.evidence.empty())
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::InvalidInput("a written consent needs its evidence: signer and the hash or "
                                       "reference of the signed form (--evidence)"));
  // REQ M1: under 14 at the time of consent (declared birth date, service
  // clock), only a guardian's consent with identity and relation is accepted.
  const UnixTime at = I.Now();
  std::string born;
  if (auto b = I.store->SubjectBirthDate(r.subject); b.ok()) born = *b;
  else if (b.status().kind() != ErrorKind::kNotFound) return I.Fail(actor, act, r.subject, r.purpose, b.status());
  const bool child = policy::IsChildAt(born, at);
  if (child && r.method != ConsentMethod::kGuardian)
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::Refused("M1", "subject '" + r.subject + "' is " +
                                            std::to_string(policy::AgeAt(born, at)) +
                                            " (born " + born +
                                            "): under 14 only a parent or guardian may consent; "
                                            "record it with --method guardian --guardian ID "
                                            "--relation RELATION"),
                  {{"minor", true}});
  if (r.method == ConsentMethod::kGuardian && (r.guardian.empty() || r.guardian_relation.empty()) &&
      (child || r.evidence.empty()))
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::InvalidInput("a guardian consent needs the guardian's identity and relation "
                                       "to the subject (--guardian ID --relation mother|father|"
                                       "legal-guardian...)"),
                  {{"minor", child}});
  if (r.method != ConsentMethod::kGuardian && (!r.guardian.empty() || !r.guardian_relation.empty()))
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::InvalidInput("--guardian and --relation belong to a guardian consent; add "
                                       "--method guardian or leave them out"));
  if (child && r.kind == ConsentKind::kProcessing) {
    auto off = I.store->GetSetting(policy::kMinorsFaceSetting);
    if (!off.ok()) return I.Fail(actor, act, r.subject, r.purpose, off.status());
    if (*off && **off == "off")
      return I.Fail(actor, act, r.subject, r.purpose,
                    Status::Refused("M2", "subject '" + r.subject +
                                              "' is under 14 and the policy 'minors-face' is off: "
                                              "face processing for children is not offered; use the "
                                              "alternative"),
                    {{"minor", true}});
  }
  // REQ C8, P1: a disclosure names one recipient, never the public; an import names its source.
  if (r.kind == ConsentKind::kDisclosure && policy::IsPublicRecipient(r.recipient))
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::Refused("C8", r.recipient.empty()
                                            ? "a disclosure consent names the processor the data goes "
                                              "to (--to RECIPIENT)"
                                            : "public disclosure of face data is always off; a "
                                              "disclosure consent names one processor"));
  if (r.kind != ConsentKind::kDisclosure && !r.recipient.empty())
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::InvalidInput("--to names the recipient of a disclosure consent; add --kind "
                                       "disclosure or leave it out"));
  // REQ S8, PIPL 39: a recipient abroad is named with where it is, its contact and the rights.
  if (r.kind == ConsentKind::kDisclosure) {
    std::string country = r.recipient_country;
    if (country.empty())
      if (auto b = I.store->GetTransferBasis(r.recipient); b.ok()) country = b->country;
    Status fields = policy::ValidateTransferConsentFields(country, r.recipient_contact, r.recipient_rights);
    if (!fields.ok()) return I.Fail(actor, act, r.subject, r.purpose, fields);
  } else if (!r.recipient_country.empty()) {
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::InvalidInput("the recipient's country belongs to a disclosure consent; add --kind "
                                       "disclosure or leave it out"));
  }
  if (r.kind == ConsentKind::kImport && r.source != "public-photo" && r.source != "profile-picture")
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::InvalidInput("an import consent names the photo's source: --source "
                                       "public-photo or --source profile-picture (REQ P1)"));
  if (r.kind != ConsentKind::kImport && !r.source.empty())
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::InvalidInput("--source names the source of an import consent; add --kind "
                                       "import or leave it out"));
  // Every option expires, and within bounds: "only this time" and "while in use" are short
  // by nature, "always" lasts at most as long as facegate keeps anything (REQ C5, S5).
  const int64_t max_valid = r.option == ConsentOption::kAlways ? kMaxRetentionDays * 86400 : 7 * 86400;
  if (r.valid_seconds < 0 || r.valid_seconds > max_valid)
    return I.Fail(actor, act, r.subject, r.purpose,
                  Status::InvalidInput("a \"" + std::string(ToString(r.option)) + "\" consent is valid for 1 s to " +
                                       std::to_string(max_valid / 86400) + " days, not " +
                                       std::to_string(r.valid_seconds) + " s"));
  int64_t valid = r.valid_seconds > 0 ? r.valid_seconds : DefaultValidity(r.option, *p);
  ConsentRecord c;
  c.subject = r.subject;
  c.purpose = r.purpose;
  c.notice_id = n->id;
  c.notice_sha256 = n->sha256;
  c.option = r.option;
  c.method = r.method;
  c.evidence = r.evidence;
  c.session = r.session;
  c.kind = r.kind;
  c.recipient = r.recipient;
  c.recipient_country = r.recipient_country;
  c.recipient_contact = r.recipient_contact;
  c.recipient_rights = r.recipient_rights;
  c.source = r.source;
  c.minor = child;
  c.guardian = r.guardian;
  c.guardian_relation = r.guardian_relation;
  c.given_at = at;
  c.expires_at = c.given_at + valid;
  // REQ C2: the record carries the basis the processing rests on (consent unless a law requires it).
  c.legal_basis = policy::EffectiveBasis(*p);
  if (c.legal_basis.empty()) c.legal_basis = "consent";
  Result<ConsentRecord> out = Status::Internal("consent not recorded");
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->EnsureSubject(r.subject, c.given_at));
    out = I.store->AddConsent(c);
    return out.status();
  });
  if (!st.ok()) return I.Fail(actor, act, r.subject, r.purpose, st);
  I.Audit(actor, act, r.subject, r.purpose, st,
          {{"consent_id", out->id}, {"option", ToString(c.option)}, {"method", ToString(c.method)},
           {"notice_id", c.notice_id}, {"expires_at", c.expires_at}, {"prompted", r.prompted},
           {"kind", ToString(c.kind)}, {"recipient", c.recipient}, {"source", c.source},
           {"minor", c.minor}, {"guardian_ref", I.PseudonymousRef("guardian", c.guardian)},
           {"guardian_relation", c.guardian_relation}});
  return out;
}

Result<WithdrawResult> Service::WithdrawConsent(const std::string& subject, const std::string& purpose,
                                                const std::string& actor) {
  auto& I = *impl_;
  const char* act = "consent.withdraw";
  auto consents = I.store->ListConsents(subject, purpose);
  if (!consents.ok()) return I.Fail(actor, act, subject, purpose, consents.status());
  WithdrawResult res;
  const UnixTime now = I.Now();
  // One step: consents end, templates go, the key that sealed them is destroyed (REQ C4, S7).
  Status st = I.store->Transaction([&]() -> Status {
    for (const ConsentRecord& c : *consents) {
      if (c.withdrawn_at) continue;
      FG_RETURN_IF_ERROR(I.store->MarkConsentWithdrawn(c.id, now));
      res.consent_ids.push_back(c.id);
      ++res.consents_withdrawn;
    }
    FG_ASSIGN_OR_RETURN(res.templates_deleted, I.store->DeleteTemplates(subject, purpose));
    // The purpose's own key goes, whatever the person keeps for other purposes: its sealed copies,
    // backups included, are unreadable from now on (REQ S7).
    FG_ASSIGN_OR_RETURN(res.key_destroyed, I.store->DestroyPurposeKey(subject, purpose));
    FG_ASSIGN_OR_RETURN(int64_t left, I.store->CountTemplates(subject));
    if (left == 0) {  // and the subject key of templates sealed before keys were per purpose
      FG_RETURN_IF_ERROR(I.store->DestroySubjectKey(subject));
      res.key_destroyed = true;
    }
    if (res.consents_withdrawn == 0 && res.templates_deleted == 0)
      return Status::NotFound("subject '" + subject + "' has no active consent for purpose '" + purpose +
                              "'; nothing to withdraw");
    return I.Audit(actor, act, subject, purpose, Status::Ok(),
                   {{"consents_withdrawn", res.consents_withdrawn},
                    {"templates_deleted", res.templates_deleted},
                    {"key_destroyed", res.key_destroyed}});
  });
  if (!st.ok()) return I.Fail(actor, act, subject, purpose, st);
  I.Scopes().RemoveSubject(purpose, subject);  // the search index too, before returning (REQ C4, S7)
  return res;
}

Result<std::vector<ConsentRecord>> Service::ListConsents(const std::string& subject,
                                                          const std::string& purpose,
                                                          const std::string& actor) {
  auto& I = *impl_;
  auto r = I.store->ListConsents(subject, purpose);
  if (!r.ok()) return r;
  // REQ M3: every read of a child's records is on the audit log.
  bool minor = std::any_of(r->begin(), r->end(), [](const ConsentRecord& c) { return c.minor; });
  if (!minor) {
    auto born = I.store->SubjectBirthDate(subject);
    minor = born.ok() && policy::IsChildAt(*born, I.Now());
  }
  if (minor) {
    FG_RETURN_IF_ERROR(I.RequireMinorAccess(subject, actor, "consent"));
    Status st = I.Audit(actor, "minor.read", subject, purpose, Status::Ok(),
                        {{"minor", true}, {"records", "consents"}, {"count", r->size()}});
    if (!st.ok()) return st;  // no unlogged read of a child's data
    return r;
  }
  // REQ S6: every read of personal data is an audit event, whatever the path (CLI, REST, code).
  FG_RETURN_IF_ERROR(I.Audit(actor, "consent.read", subject, purpose, Status::Ok(), {{"count", r->size()}}));
  return r;
}

Result<EnrolResult> Service::Enrol(const std::string& subject, const std::string& purpose,
                                   const std::string& image_bytes, const std::string& session,
                                   const std::string& actor) {
  return EnrolIn(subject, purpose, image_bytes, session, actor, nullptr);
}

Result<EnrolResult> Service::EnrolIn(const std::string& subject, const std::string& purpose,
                                     const std::string& image_bytes, const std::string& session,
                                     const std::string& actor, FrameScope* frame) {
  auto& I = *impl_;
  const char* act = "enrol";
  auto pre = I.gate->ActiveConsent(subject, purpose, Operation::kEnrol, session);
  if (!pre.ok()) return I.Fail(actor, act, subject, purpose, pre.status());
  EnrolResult res;
  auto t0 = std::chrono::steady_clock::now();
  auto rgb = I.DecodeFrame(image_bytes, frame);
  res.timings.decode_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!rgb.ok()) return I.Fail(actor, act, subject, purpose, rgb.status());
  auto grant = I.gate->Authorize(Operation::kEnrol, subject, purpose, session);
  if (!grant.ok()) return I.Fail(actor, act, subject, purpose, grant.status());
  auto face = I.OneFace(*grant, *rgb, &res.timings, frame);
  if (!face.ok()) {
    rgb->setTo(cv::Scalar::all(0));
    return I.Fail(actor, act, subject, purpose, face.status(), I.FrameDetail({{"grant", grant->id()}}, frame));
  }
  FG_ASSIGN_OR_RETURN(vision::Engine * eng, I.Engine());
  // A poor photo makes a poor template that every later verification pays for:
  // refuse it with what to fix (docs/quality.md).
  auto quality = eng->Quality(*grant, *rgb, *face);
  if (!quality.ok()) return I.Fail(actor, act, subject, purpose, quality.status(), {{"grant", grant->id()}});
  res.quality = *quality;
  if (quality->overall == vision::QualityLevel::kPoor) {
    rgb->setTo(cv::Scalar::all(0));
    if (frame) frame->poor = *quality;  // a device's capture asks for another frame
    return I.Fail(actor, act, subject, purpose, Status::InvalidInput(PoorQualityMessage(*quality)),
                  {{"grant", grant->id()}, {"quality", QualityJson(*quality)}});
  }
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok()) return I.Fail(actor, act, subject, purpose, p.status());
  // A purpose that requires a live face gets no template from a photo held up (docs/liveness.md).
  Status live = RequireLiveness(*eng, *grant, *rgb, *face, *p, Operation::kEnrol,
                                I.config.liveness_thresholds, &res.liveness);
  if (!live.ok()) {
    json detail = {{"grant", grant->id()}};
    if (res.liveness) detail["liveness"] = LivenessJson(*res.liveness);
    return I.Fail(actor, act, subject, purpose, live, detail);
  }
  auto tpl = eng->Extract(*grant, *rgb, *face, &res.timings);
  if (!tpl.ok()) return I.Fail(actor, act, subject, purpose, tpl.status());
  const UnixTime now = I.Now();
  res.consent_id = grant->consent_id();
  res.model = tpl->model();
  // A template never outlives the consent it rests on nor the purpose's retention (REQ S5).
  res.expires_at = std::min(now + p->retention_days * 86400, pre->expires_at);
  // Seal, store and audit in one transaction: a crash leaves no half-entered
  // template and no template without its audit event.
  // A second template for a subject must be the same person's face: otherwise anyone allowed
  // to enrol could add their own face to another person's record and then pass as them
  // (REQ SC1). Checked inside the transaction, so two racing enrolments cannot both be first.
  std::optional<float> same_person;
  Status st = I.store->Transaction([&]() -> Status {
    auto enrolled = I.vault->OpenAll(*grant, *I.store, subject, now);
    if (!enrolled.ok() && enrolled.status().kind() != ErrorKind::kNotFound) return enrolled.status();
    if (enrolled.ok()) {
      float nearest = std::numeric_limits<float>::infinity();
      for (Template& t : *enrolled) {
        if (t.model() == tpl->model()) nearest = std::min(nearest, tpl->DistanceTo(t));
        t.Wipe();
      }
      if (std::isfinite(nearest)) {
        same_person = nearest;
        if (nearest > I.config.verify_threshold)
          return Status::Refused(
              "SC1", "subject '" + subject + "' is already enrolled for '" + purpose +
                         "' and this face does not match the enrolled one; another face is added only "
                         "through a correction request approved by a second person (POST /v1/rights "
                         "kind correction, POST /v1/rights/{id}/approve, then POST /v1/subjects/" +
                         subject + "/correct)");
      }
    }
    FG_ASSIGN_OR_RETURN(SealedTemplate sealed, I.vault->Seal(*grant, *I.store, *tpl, now, res.expires_at));
    FG_ASSIGN_OR_RETURN(res.template_id, I.store->PutTemplate(sealed));
    json detail = {{"grant", grant->id()}, {"consent_id", res.consent_id}, {"template_id", res.template_id},
                   {"model", res.model}, {"face_score", face->detection.score},
                   {"quality", vision::ToString(res.quality.overall)}};
    if (same_person) detail["matched_enrolled"] = *same_person;
    if (res.liveness) detail["liveness"] = LivenessJson(*res.liveness);
    detail = I.FrameDetail(std::move(detail), frame);
    return I.Audit(actor, act, subject, purpose, Status::Ok(), detail);
  });
  // A loaded identification scope gets the new member at once (REQ SC2).
  if (st.ok()) I.Scopes().Added(purpose, subject, res.template_id, gallery::Vector(tpl->values()));
  if (st.ok()) I.AfterEnrol(subject, purpose, actor);  // REQ F1 scope size, F2 filing line
  tpl->Wipe();
  rgb->setTo(cv::Scalar::all(0));
  if (!st.ok()) {
    json detail = {{"grant", grant->id()}};
    if (same_person) detail["distance_to_enrolled"] = *same_person;
    return I.Fail(actor, act, subject, purpose, st, detail);
  }
  return res;
}

Result<VerifyResult> Service::Verify(const std::string& subject, const std::string& purpose,
                                     const std::string& image_bytes, const std::string& session,
                                     const std::string& actor) {
  return VerifyIn(subject, purpose, image_bytes, session, actor, nullptr);
}

Result<VerifyResult> Service::VerifyIn(const std::string& subject, const std::string& purpose,
                                       const std::string& image_bytes, const std::string& session,
                                       const std::string& actor, FrameScope* frame) {
  auto& I = *impl_;
  const char* act = "verify";
  auto pre = I.gate->ActiveConsent(subject, purpose, Operation::kVerify, session);
  if (!pre.ok()) return I.Fail(actor, act, subject, purpose, pre.status());
  VerifyResult res;
  res.alternatives = AlternativesOf(purpose);
  res.threshold = I.config.verify_threshold;
  auto t0 = std::chrono::steady_clock::now();
  auto rgb = I.DecodeFrame(image_bytes, frame);
  res.timings.decode_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!rgb.ok()) return I.Fail(actor, act, subject, purpose, rgb.status());
  // An "only this time" consent is spent once the photo holds a face that passed its checks
  // (below), not before: a blank or unusable photo does not use up the person's one use.
  auto grant = I.gate->AuthorizeDeferringOnce(Operation::kVerify, subject, purpose, session);
  if (!grant.ok()) return I.Fail(actor, act, subject, purpose, grant.status());
  res.consent_id = grant->consent_id();
  // Once spent, its templates go with it on every path from there, match, no match or error
  // (REQ C5, S5, S7).
  struct SpentOnce {
    Service::Impl* impl = nullptr;
    const std::string &subject, &purpose;
    ~SpentOnce() {
      if (impl) impl->ForgetSpentOnce(subject, purpose);
    }
  } spent{nullptr, subject, purpose};
  auto enrolled = I.vault->OpenAll(*grant, *I.store, subject, I.Now());
  if (!enrolled.ok()) {
    Status st = enrolled.status().kind() == ErrorKind::kNotFound &&
                        enrolled.status().message().find("expired") == std::string::npos
                    ? Status::NotFound("subject '" + subject + "' has no enrolled template for purpose '" +
                                       purpose + "'; enrol first")
                    : enrolled.status();
    return I.Fail(actor, act, subject, purpose, st, {{"grant", grant->id()}});
  }
  FG_ASSIGN_OR_RETURN(vision::Engine * eng, I.Engine());
  // Only templates of the engine's model can be compared with its probe (docs/vision.md).
  std::string other_model;
  for (auto it = enrolled->begin(); it != enrolled->end();) {
    if (it->model() == eng->model_version()) {
      ++it;
      continue;
    }
    other_model = it->model();
    it->Wipe();
    it = enrolled->erase(it);
  }
  if (enrolled->empty()) {
    rgb->setTo(cv::Scalar::all(0));
    return I.Fail(actor, act, subject, purpose,
                  Status(ErrorKind::kConflict,
                         "subject '" + subject + "' was enrolled for '" + purpose + "' with model " +
                             other_model + "; this engine makes templates of model " + eng->model_version() +
                             ", which cannot be compared with them: enrol the subject again"),
                  {{"grant", grant->id()}});
  }
  auto face = I.OneFace(*grant, *rgb, &res.timings, frame);
  if (!face.ok()) {
    rgb->setTo(cv::Scalar::all(0));
    return I.Fail(actor, act, subject, purpose, face.status(), I.FrameDetail({{"grant", grant->id()}}, frame));
  }
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok()) return I.Fail(actor, act, subject, purpose, p.status(), {{"grant", grant->id()}});
  // A purpose that requires a live face does not match a photo held up (docs/liveness.md).
  Status live = RequireLiveness(*eng, *grant, *rgb, *face, *p, Operation::kVerify,
                                I.config.liveness_thresholds, &res.liveness);
  if (!live.ok()) {
    rgb->setTo(cv::Scalar::all(0));  // REQ S2, D3: nothing of the probe is kept
    json detail = {{"grant", grant->id()}};
    if (res.liveness) detail["liveness"] = LivenessJson(*res.liveness);
    return I.Fail(actor, act, subject, purpose, live, detail);
  }
  // The face is there and passed its checks: this is the use an "only this time" allows.
  auto spend = I.gate->SpendOnce(*grant);
  if (!spend.ok()) {
    rgb->setTo(cv::Scalar::all(0));
    return I.Fail(actor, act, subject, purpose, spend.status(), {{"grant", grant->id()}});
  }
  if (*spend) spent.impl = &I;
  // Reported with the decision so a poor probe can be retaken; not a refusal.
  auto quality = eng->Quality(*grant, *rgb, *face);
  if (quality.ok()) res.quality = *quality;
  auto probe = eng->Extract(*grant, *rgb, *face, &res.timings);
  if (!probe.ok()) return I.Fail(actor, act, subject, purpose, probe.status(), {{"grant", grant->id()}});
  res.model = probe->model();
  res.distance = std::numeric_limits<float>::infinity();
  for (const Template& t : *enrolled) res.distance = std::min(res.distance, probe->DistanceTo(t));
  res.match = res.distance <= res.threshold;
  // Nothing of the probe is kept: image buffer and template are wiped (REQ S2, D3).
  probe->Wipe();
  rgb->setTo(cv::Scalar::all(0));
  // A withdrawal (or expiry) that committed while the face was being matched wins: the
  // answer is given only under a consent still in force now (REQ C4, C5).
  if (auto now_consent = I.store->GetConsent(res.consent_id);
      !now_consent.ok() || !now_consent->active_at(I.Now())) {
    return I.Fail(actor, act, subject, purpose,
                  Status::Refused("C4", "the consent for '" + purpose + "' was withdrawn or expired while "
                                        "the face was being matched; no answer is given"),
                  {{"grant", grant->id()}, {"consent_id", res.consent_id}});
  }
  json detail = {{"grant", grant->id()}, {"consent_id", res.consent_id}, {"match", res.match},
                 {"distance", res.distance}, {"threshold", res.threshold}, {"model", res.model},
                 {"quality", vision::ToString(res.quality.overall)}};
  detail = I.FrameDetail(std::move(detail), frame);
  if (res.liveness) detail["liveness"] = LivenessJson(*res.liveness);
  // No answer without its audit record (REQ S6).
  FG_RETURN_IF_ERROR(I.Audit(actor, act, subject, purpose, Status::Ok(), detail));
  return res;
}

Status Service::SetDeviceEnrolment(const std::string& purpose, bool allowed, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "purpose.device_enrolment";
  auto p = I.store->GetPurpose(purpose);
  if (!p.ok())
    return I.Fail(actor, act, "", purpose, Status::NotFound("purpose '" + purpose + "' does not exist"));
  Status st = I.store->Transaction([&]() -> Status {
    FG_RETURN_IF_ERROR(I.store->PutSetting("device-enrolment:" + purpose, allowed ? "on" : "off", I.Now()));
    return I.Audit(actor, act, "", purpose, Status::Ok(), {{"device_enrolment", allowed}});
  });
  if (!st.ok()) return I.Fail(actor, act, "", purpose, st);
  return st;
}

Result<bool> Service::DeviceEnrolment(const std::string& purpose) {
  FG_ASSIGN_OR_RETURN(std::optional<std::string> v, impl_->store->GetSetting("device-enrolment:" + purpose));
  return v && *v == "on";
}

Result<std::vector<AuditEvent>> Service::ListAudit(int64_t after_seq, int64_t limit) {
  return impl_->store->ListAudit(after_seq, limit);
}

Result<std::vector<AuditEvent>> Service::ListAudit(int64_t after_seq, int64_t limit, const std::string& actor) {
  auto& I = *impl_;
  auto events = I.store->ListAudit(after_seq, limit);
  if (!events.ok()) return events;
  // REQ S6: the log names people, so reading it is on the record too.
  FG_RETURN_IF_ERROR(I.Audit(actor, "audit.read", "", "", Status::Ok(),
                             {{"after", after_seq},
                              {"limit", limit},
                              {"count", events->size()},
                              {"last_seq", events->empty() ? 0 : events->back().seq}}));
  return events;
}

}  // namespace facegate::service
