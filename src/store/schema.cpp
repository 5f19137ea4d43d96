// The one schema of both databases (docs/architecture.md, "The one store"): one
// list of versioned migrations whose `{token}`s each dialect renders (type names,
// STRICT, and the trigger snippets), so a version means the same schema on SQLite
// and PostgreSQL. Never renumber or edit a released migration: add one.
//
// Tokens (kTokens below gives each one's text per database): {int} 64-bit
// integer, {id_pk} an integer primary key the database assigns, {text_pk} a text
// primary key, {blob} bytes, {bool}/{false} a boolean and its false, {real} a
// floating-point number, {strict} SQLite's STRICT table option;
// {audit_append_only} (after migration 2's first comment line) and
// {template_version_triggers} are the dialects' trigger snippets (dialect_*.cpp).
#include "store/schema.h"

namespace facegate::store {

const std::vector<Migration>& SchemaMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "purposes, notices, subjects, consents, templates, subject keys, audit events", R"sql(
CREATE TABLE purposes (
  name {text_pk},
  scenario TEXT NOT NULL CHECK (scenario IN ('verification', 'identification', 'analysis')),
  retention_days {int} NOT NULL CHECK (retention_days >= 0),  -- REQ S5
  alternatives TEXT NOT NULL,   -- JSON array of non-face methods offered (REQ A1)
  legal_mandate TEXT NOT NULL,  -- REQ A1
  created_at {int} NOT NULL
){strict};

-- Published notices, versioned per purpose (REQ N1, N3).
CREATE TABLE notices (
  id {id_pk},
  purpose TEXT NOT NULL REFERENCES purposes(name),
  version INTEGER NOT NULL CHECK (version >= 1),
  text TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  published_at {int} NOT NULL,
  UNIQUE (purpose, version)
){strict};

-- Identity side (REQ S3): who a pseudonymous id is; never template data.
CREATE TABLE subjects (
  id {text_pk},
  display_name TEXT,
  created_at {int} NOT NULL
){strict};

-- One consent of one subject for one purpose (REQ C1, C2, C5).
CREATE TABLE consents (
  id {id_pk},
  subject TEXT NOT NULL REFERENCES subjects(id),
  purpose TEXT NOT NULL REFERENCES purposes(name),
  notice_id {int} REFERENCES notices(id),  -- NULL when the legal basis is not consent
  notice_sha256 TEXT NOT NULL,
  option TEXT NOT NULL CHECK (option IN ('once', 'while_in_use', 'always')),
  method TEXT NOT NULL CHECK (method IN ('click', 'written', 'guardian')),
  evidence TEXT NOT NULL,
  given_at {int} NOT NULL,
  expires_at {int} NOT NULL,
  withdrawn_at {int},
  used_at {int},  -- set once, atomically, when a 'once' consent is spent (REQ C5)
  session TEXT NOT NULL,
  legal_basis TEXT NOT NULL
){strict};
CREATE INDEX consents_by_subject_purpose ON consents (subject, purpose);

-- Biometric side (REQ S3, S4): sealed blobs only, linked by the pseudonymous id.
CREATE TABLE templates (
  id {id_pk},
  subject TEXT NOT NULL REFERENCES subjects(id),
  purpose TEXT NOT NULL REFERENCES purposes(name),
  model TEXT NOT NULL,
  nonce {blob} NOT NULL,
  ciphertext {blob} NOT NULL,
  created_at {int} NOT NULL,
  expires_at {int} NOT NULL  -- REQ S5
){strict};
CREATE INDEX templates_by_subject_purpose ON templates (subject, purpose);
CREATE INDEX templates_by_expiry ON templates (expires_at);

-- Per-subject data keys wrapped by the master key; deleting a row shreds
-- every sealed copy of that subject's templates (REQ S4, S7).
CREATE TABLE subject_keys (
  subject {text_pk} REFERENCES subjects(id),
  wrapped {blob} NOT NULL,
  created_at {int} NOT NULL
){strict};

-- Hash-chained audit log (REQ S6).
CREATE TABLE audit_events (
  seq {int} PRIMARY KEY,
  at {int} NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  purpose TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
){strict};
)sql"},
      {2, "audit_events is append-only", R"sql(
-- REQ S6: the program never edits or deletes audit events; these triggers make
{audit_append_only})sql"},
      {3, "alternative (face-free) transactions and consent refusals", R"sql(
-- A face-free transaction: the person chose a non-face method; while it is open
-- the Gate refuses every face operation for that subject, purpose and session
-- (REQ A2, D7); its outcome is recorded like a face outcome (REQ C6).
CREATE TABLE alternatives (
  id {id_pk},
  subject TEXT NOT NULL,
  purpose TEXT NOT NULL REFERENCES purposes(name),
  session TEXT NOT NULL,
  method TEXT NOT NULL,
  opened_at {int} NOT NULL,
  closed_at {int},
  outcome TEXT NOT NULL CHECK (outcome IN ('', 'granted', 'denied'))  -- '' while open
){strict};
CREATE INDEX alternatives_open ON alternatives (subject, purpose, session, closed_at);

-- Refusals of consent, for the quiet period before asking again (REQ C7).
CREATE TABLE consent_refusals (
  id {id_pk},
  subject TEXT NOT NULL,
  purpose TEXT NOT NULL REFERENCES purposes(name),
  refused_at {int} NOT NULL
){strict};
CREATE INDEX consent_refusals_by_subject_purpose ON consent_refusals (subject, purpose, refused_at);
)sql"},
      {4, "birth dates, consent kinds (disclosure, import), minors, policy settings", R"sql(
-- REQ M1: the declared birth date (YYYY-MM-DD) on the identity side (S3); NULL = none declared.
ALTER TABLE subjects ADD COLUMN birth_date TEXT;
-- What a consent covers (REQ C8, P1) and whether it is a minor's (REQ M1).
ALTER TABLE consents ADD COLUMN kind TEXT NOT NULL DEFAULT 'processing'
  CHECK (kind IN ('processing', 'disclosure', 'import'));
ALTER TABLE consents ADD COLUMN recipient TEXT NOT NULL DEFAULT '';  -- disclosure (C8)
ALTER TABLE consents ADD COLUMN source TEXT NOT NULL DEFAULT '';     -- import (P1)
ALTER TABLE consents ADD COLUMN minor {bool} NOT NULL DEFAULT {false};      -- M1
ALTER TABLE consents ADD COLUMN guardian TEXT NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN guardian_relation TEXT NOT NULL DEFAULT '';

-- Policy switches, persisted and audited by the service (REQ M2, S8).
CREATE TABLE policy_settings (
  name {text_pk},
  value TEXT NOT NULL,
  updated_at {int} NOT NULL
){strict};
)sql"},
      {5, "rights requests, restrictions, subject erasure, audit by subject", R"sql(
-- Requests of a person exercising a right, tracked to completion against the
-- deadline (REQ R1 PIPL 44-48, 50; R2 PIPL 24).
CREATE TABLE rights_requests (
  id {id_pk},
  subject TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('access', 'copy', 'correction', 'deletion', 'restriction',
                                     'withdrawal', 'explanation', 'human_review')),
  purpose TEXT NOT NULL,
  received_at {int} NOT NULL,
  due_at {int} NOT NULL CHECK (due_at >= received_at),
  status TEXT NOT NULL CHECK (status IN ('open', 'done', 'refused')),
  reason TEXT NOT NULL,  -- REQ R1: a refusal gives a reason
  handled_by TEXT NOT NULL,
  completed_at {int},
  detail TEXT NOT NULL,
  CHECK (status <> 'refused' OR reason <> ''),
  CHECK ((status = 'open') = (completed_at IS NULL))
){strict};
CREATE INDEX rights_requests_by_subject ON rights_requests (subject, received_at);
CREATE INDEX rights_requests_open ON rights_requests (status, due_at);

-- Restriction of processing (REQ R1): while lifted_at is NULL the Gate refuses
-- every face operation for the subject; the data is kept.
CREATE TABLE restrictions (
  id {id_pk},
  subject TEXT NOT NULL,
  request_id {int} NOT NULL,
  placed_at {int} NOT NULL,
  lifted_at {int}
){strict};
CREATE UNIQUE INDEX restrictions_one_active ON restrictions (subject) WHERE lifted_at IS NULL;

-- A deletion request anonymises the identity row (REQ R1).
ALTER TABLE subjects ADD COLUMN erased_at {int};

-- The match log of one person, for access and explanation (REQ R1).
CREATE INDEX audit_events_by_subject ON audit_events (subject, seq);
)sql"},
      {6, "purposes.liveness: when a purpose requires a live face", R"sql(
-- Liveness requirement per purpose (docs/liveness.md): 'off', at 'enrol', at 'verify' or 'both'.
ALTER TABLE purposes ADD COLUMN liveness TEXT NOT NULL DEFAULT 'off'
  CHECK (liveness IN ('off', 'enrol', 'verify', 'both'));
)sql"},
      {7, "the operator's identification threshold per purpose", R"sql(
-- A stricter identification threshold set by the operator for one purpose, with who set it
-- and why (REQ SC2); identify uses it instead of the scope rule's (docs/identification.md).
CREATE TABLE purpose_settings (
  purpose TEXT PRIMARY KEY REFERENCES purposes(name),
  identify_threshold {real} NOT NULL CHECK (identify_threshold > 0),
  reason TEXT NOT NULL CHECK (reason <> ''),
  actor TEXT NOT NULL,
  set_at {int} NOT NULL
){strict};
)sql"},
      {8, "per-purpose template versions for scope indexes on several nodes", R"sql(
-- Bumped by every template written or deleted for the purpose, so a node sees
-- in one cheap read whether its scope index missed another node's change
-- (REQ SC2, C4, S7).
CREATE TABLE purpose_template_versions (
  purpose {text_pk},
  version {int} NOT NULL
){strict};
INSERT INTO purpose_template_versions (purpose, version)
  SELECT purpose, 1 FROM templates GROUP BY purpose;
{template_version_triggers}
CREATE INDEX templates_by_purpose_id ON templates (purpose, id);
)sql"},
      {9, "breaches and the people they affect", R"sql(
-- A personal-information breach tracked from detection to closure (REQ S9, PIPL 57):
-- the art. 57 contents, the window when data may have been exposed, the data kinds
-- and purposes concerned, and each step's time. Kept until expires_at after closure (REQ S5).
CREATE TABLE breaches (
  id {id_pk},
  detected_at {int} NOT NULL,
  opened_at {int} NOT NULL,
  actor TEXT NOT NULL,
  description TEXT NOT NULL CHECK (description <> ''),
  cause TEXT NOT NULL,
  harm TEXT NOT NULL,
  measures TEXT NOT NULL,
  individual_advice TEXT NOT NULL,
  contact TEXT NOT NULL,
  window_from {int} NOT NULL,
  window_to {int} NOT NULL,
  kinds TEXT NOT NULL,     -- JSON array: template, consent, identity, audit, alternative
  purposes TEXT NOT NULL,  -- JSON array; [] = every purpose
  status TEXT NOT NULL CHECK (status IN ('open', 'assessed', 'authority_notified', 'people_notified',
                                         'people_not_notified', 'closed')),
  assessed_at {int},
  authority_notified_at {int},
  authority_reference TEXT NOT NULL,
  people_notified_at {int},
  not_notified_at {int},
  not_notified_reason TEXT NOT NULL,
  closed_at {int},
  expires_at {int} NOT NULL,  -- REQ S5
  CHECK (window_to >= window_from),
  CHECK (not_notified_at IS NULL OR not_notified_reason <> ''),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL))
){strict};
CREATE INDEX breaches_by_expiry ON breaches (status, expires_at);

-- The people a breach affected (pseudonymous ids) and which of their data kinds.
CREATE TABLE breach_affected (
  breach_id {int} NOT NULL REFERENCES breaches(id) ON DELETE CASCADE,
  subject TEXT NOT NULL,
  kinds TEXT NOT NULL,  -- JSON array
  notified_at {int},
  PRIMARY KEY (breach_id, subject)
){strict};
)sql"},
      {10, "alternative connectors, credentials and single-use tokens", R"sql(
-- How each declared alternative of a purpose is checked (REQ A4): staff, pin, card, qr, http.
CREATE TABLE alternative_connectors (
  purpose TEXT NOT NULL REFERENCES purposes(name),
  method TEXT NOT NULL CHECK (method <> ''),
  kind TEXT NOT NULL CHECK (kind <> ''),  -- built in: staff, pin, card, qr, http; others added by the integrator
  config TEXT NOT NULL DEFAULT '{}',
  actor TEXT NOT NULL,
  set_at {int} NOT NULL,
  PRIMARY KEY (purpose, method)
){strict};
-- A person's PIN or card, as an Argon2id verifier only; it expires (REQ S5).
CREATE TABLE alternative_credentials (
  subject TEXT NOT NULL,
  purpose TEXT NOT NULL,
  method TEXT NOT NULL,
  verifier TEXT NOT NULL CHECK (verifier <> ''),
  created_at {int} NOT NULL,
  expires_at {int} NOT NULL,
  PRIMARY KEY (subject, purpose, method)
){strict};
CREATE INDEX alternative_credentials_by_expiry ON alternative_credentials (expires_at);
-- Nonces of single-use tokens already presented (REQ A4: a QR code opens one transaction).
CREATE TABLE alternative_tokens_used (
  nonce {text_pk},
  used_at {int} NOT NULL,
  expires_at {int} NOT NULL
){strict};
ALTER TABLE alternatives ADD COLUMN attempts {int} NOT NULL DEFAULT 0;
)sql"},
      {11, "devices, capture sessions and sites", R"sql(
-- Recognition devices (REQ D1-D5): placement, capture mode, purposes, collection area,
-- timeout and the signage of an automatic device. Refused locations never get a row (D4).
CREATE TABLE devices (
  id {text_pk},
  name TEXT NOT NULL,
  site TEXT NOT NULL,     -- '' when not placed on a registered site
  zone TEXT NOT NULL,
  passage TEXT NOT NULL,
  location_type TEXT NOT NULL
    CHECK (location_type NOT IN ('hotel_room', 'bathhouse', 'changing_room', 'toilet')),
  mode TEXT NOT NULL CHECK (mode IN ('triggered', 'automatic')),
  presence_trigger {bool} NOT NULL,
  purposes TEXT NOT NULL,  -- JSON array, at least one
  public_security {bool} NOT NULL,
  area TEXT NOT NULL,      -- JSON [[x,y],...] normalised to 0..1; [] = the whole frame
  capture_timeout_s {int} NOT NULL CHECK (capture_timeout_s BETWEEN 1 AND 60),
  signage TEXT NOT NULL,   -- JSON object (REQ D5)
  status TEXT NOT NULL CHECK (status IN ('draft', 'live', 'suspended')),
  status_reason TEXT NOT NULL,
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL,
  actor TEXT NOT NULL
){strict};

-- One capture at a device (REQ D1, D7): frames are accepted only while it is open, not
-- face-free and not past expires_at. It holds no face data.
CREATE TABLE capture_sessions (
  id {text_pk},
  device TEXT NOT NULL REFERENCES devices(id),
  purpose TEXT NOT NULL,
  subject TEXT NOT NULL,   -- '' for identification
  opened_by TEXT NOT NULL CHECK (opened_by IN ('tap', 'presence', 'automatic')),
  opened_at {int} NOT NULL,
  expires_at {int} NOT NULL,
  closed_at {int},
  outcome TEXT NOT NULL CHECK (outcome IN ('open', 'result', 'alternative', 'timeout', 'cancelled')),
  face_free {bool} NOT NULL,
  frames {int} NOT NULL,
  alternative_id {int} NOT NULL,
  CHECK ((outcome = 'open') = (closed_at IS NULL)),
  CHECK (expires_at > opened_at AND expires_at - opened_at <= 60)
){strict};
CREATE INDEX capture_sessions_by_device ON capture_sessions (device, opened_at);
CREATE INDEX capture_sessions_by_close ON capture_sessions (closed_at);

-- Registered site files and their route check (REQ D4, D6; docs/sites.md).
CREATE TABLE sites (
  id {text_pk},
  name TEXT NOT NULL,
  document TEXT NOT NULL,
  check_ok {bool} NOT NULL,
  check_report TEXT NOT NULL,
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL,
  actor TEXT NOT NULL
){strict};
)sql"},
      {12, "capture sessions that enrol (a kiosk enrolling the person who tapped)", R"sql(
-- What a capture's frames do (REQ C1, D1): 'match' verifies or identifies by the purpose,
-- 'enrol' enrols the subject who tapped, under their consent for exactly that purpose.
ALTER TABLE capture_sessions ADD COLUMN action TEXT NOT NULL DEFAULT 'match'
  CHECK (action IN ('match', 'enrol'));
)sql"},
      {13, "impact assessments and the filing line", R"sql(
-- REQ F1 (PIPL 55, 56; Measures 9): an impact assessment of a purpose or an automatic device.
-- Face processing for a purpose and a device going live are refused until one is approved; a
-- material change marks it due. Kept at least until keep_until (three years); nothing deletes it.
CREATE TABLE impact_assessments (
  id {id_pk},
  target_kind TEXT NOT NULL CHECK (target_kind IN ('purpose', 'device')),
  target TEXT NOT NULL CHECK (target <> ''),
  lawfulness TEXT NOT NULL CHECK (lawfulness <> ''),
  data_kinds TEXT NOT NULL,  -- JSON array
  impact TEXT NOT NULL CHECK (impact <> ''),
  measures TEXT NOT NULL,    -- JSON object drawn from the configuration
  author TEXT NOT NULL CHECK (author <> ''),
  created_at {int} NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'due')),
  approver TEXT NOT NULL,
  approved_at {int},
  notice_version {int} NOT NULL,
  scope_size {int} NOT NULL CHECK (scope_size >= 0),
  due_reason TEXT NOT NULL,
  due_at {int},
  document_sha256 TEXT NOT NULL,
  keep_until {int} NOT NULL,
  CHECK (status = 'draft' OR (approver <> '' AND approved_at IS NOT NULL AND document_sha256 <> '')),
  CHECK ((status = 'due') = (due_at IS NOT NULL))
){strict};
CREATE INDEX impact_assessments_by_target ON impact_assessments (target_kind, target, status);

-- REQ F2, F3 (Measures 15): each mark the count of distinct people with face data crossed,
-- recorded once with its date; the 100,000 line carries the filing's due date.
CREATE TABLE filing_marks (
  mark {int} PRIMARY KEY,
  people {int} NOT NULL,
  crossed_at {int} NOT NULL,
  crossed_date TEXT NOT NULL,
  due_date TEXT NOT NULL,
  actor TEXT NOT NULL
){strict};
)sql"},
      {14, "template keys per subject and purpose", R"sql(
-- One data key per subject and purpose, wrapped by the master key (REQ S7): withdrawing one
-- purpose shreds that purpose's templates in every copy, backups included, while the person's
-- templates for other purposes stay readable. Deleting a row is the shredding.
CREATE TABLE purpose_keys (
  subject TEXT NOT NULL REFERENCES subjects(id),
  purpose TEXT NOT NULL REFERENCES purposes(name),
  wrapped {blob} NOT NULL,
  created_at {int} NOT NULL,
  PRIMARY KEY (subject, purpose)
){strict};
-- Which key sealed a template: 'purpose' (its subject and purpose's key) from this version on,
-- 'subject' for templates sealed earlier under the subject's key.
ALTER TABLE templates ADD COLUMN key_scope TEXT NOT NULL DEFAULT 'subject'
  CHECK (key_scope IN ('subject', 'purpose'));
)sql"},
      {15, "the lawful basis of each purpose", R"sql(
-- PIPL 13's basis a purpose rests on, and the written justification any basis but consent
-- needs (REQ C2, AN4). '' for purposes declared before: consent for verification and
-- identification; an analysis purpose must record one before it runs.
ALTER TABLE purposes ADD COLUMN legal_basis TEXT NOT NULL DEFAULT ''
  CHECK (legal_basis IN ('', 'consent', 'contract', 'statutory_duty', 'public_health', 'news_reporting',
                         'disclosed_information', 'other_law'));
ALTER TABLE purposes ADD COLUMN basis_justification TEXT NOT NULL DEFAULT '';
)sql"},
      {16, "transfers abroad", R"sql(
-- PIPL 38's mechanism per recipient outside mainland China (REQ S8): no transfer without one.
CREATE TABLE transfer_bases (
  recipient {text_pk},
  country TEXT NOT NULL CHECK (length(country) = 2 AND country <> 'CN'),
  mechanism TEXT NOT NULL
    CHECK (mechanism IN ('security_assessment', 'certification', 'standard_contract', 'law_or_treaty')),
  reference TEXT NOT NULL,
  contact TEXT NOT NULL,
  recorded_at {int} NOT NULL,
  actor TEXT NOT NULL
){strict};
-- PIPL 39: a disclosure consent for a recipient abroad names where it is, its contact and how
-- the person exercises their rights against it ('' for a recipient in mainland China).
ALTER TABLE consents ADD COLUMN recipient_country TEXT NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN recipient_contact TEXT NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN recipient_rights TEXT NOT NULL DEFAULT '';
)sql"},
      {17, "audit retention: prune points that carry the chain forward", R"sql(
-- REQ S5: audit events older than the audit retention go, and the chain stays verifiable:
-- a prune point records the last pruned event's seq and hash, which the first kept event's
-- prev_hash must equal. Prune points are append-only; the delete trigger of migration 2 is
-- replaced by one that lets only events behind a recorded point go.
CREATE TABLE audit_prune_points (
  seq {int} PRIMARY KEY,
  hash TEXT NOT NULL CHECK (hash <> ''),
  at {int} NOT NULL,
  before_at {int} NOT NULL,
  pruned {int} NOT NULL CHECK (pruned > 0),
  actor TEXT NOT NULL
){strict};
{audit_prunable})sql"},
      {18, "sensitive inferences switched on per purpose", R"sql(
-- REQ AN3: an inference beyond age, gender and expression (policy/inference.h) runs only for a
-- purpose that switched it on for an allowed use with its justification. Kept as history: a
-- switch-off sets disabled_at; at most one row per purpose and inference is in force.
CREATE TABLE purpose_inferences (
  id {id_pk},
  purpose TEXT NOT NULL REFERENCES purposes(name),
  inference TEXT NOT NULL CHECK (inference <> ''),
  declared_use TEXT NOT NULL CHECK (declared_use <> ''),
  justification TEXT NOT NULL,
  enabled_at {int} NOT NULL,
  enabled_by TEXT NOT NULL,
  disabled_at {int},
  disabled_by TEXT NOT NULL DEFAULT ''
){strict};
CREATE UNIQUE INDEX purpose_inferences_in_force ON purpose_inferences (purpose, inference)
  WHERE disabled_at IS NULL;
)sql"},
      {19, "analysis statistics per calendar window", R"sql(
-- REQ AN2: photos analysed for a purpose are tallied per fixed calendar window and its groups
-- of at least k faces are released once, after the window ends, so two answers can never be
-- subtracted to single out one face. The raw tallies live only while the window is open: release
-- deletes them. The pictures' gradient hashes (to count a picture sent again once, in this window
-- or a later one within the repeat horizon) are deleted once the horizon has passed.
CREATE TABLE analysis_windows (
  purpose TEXT NOT NULL REFERENCES purposes(name),
  start_at {int} NOT NULL,
  end_at {int} NOT NULL CHECK (end_at > start_at),
  k {int} NOT NULL CHECK (k >= 2),
  requests {int} NOT NULL DEFAULT 0,
  images {int} NOT NULL DEFAULT 0,
  released_at {int},
  faces {int},
  counts TEXT NOT NULL DEFAULT '{}',
  suppressed TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (purpose, start_at)
){strict};
CREATE TABLE analysis_tallies (
  purpose TEXT NOT NULL,
  start_at {int} NOT NULL,
  grp TEXT NOT NULL,
  n {int} NOT NULL CHECK (n >= 0),
  PRIMARY KEY (purpose, start_at, grp),
  FOREIGN KEY (purpose, start_at) REFERENCES analysis_windows(purpose, start_at)
){strict};
CREATE TABLE analysis_seen (
  purpose TEXT NOT NULL,
  start_at {int} NOT NULL,
  hash TEXT NOT NULL,
  FOREIGN KEY (purpose, start_at) REFERENCES analysis_windows(purpose, start_at)
){strict};
CREATE INDEX analysis_seen_by_window ON analysis_seen (purpose, start_at);
)sql"},
  };
  return kMigrations;
}

const char* const kSchemaMigrationsTable = R"sql(
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        description TEXT NOT NULL,
        applied_at {int} NOT NULL
      ){strict})sql";

namespace {

// What each name means in each database, side by side.
struct Token {
  const char* name;
  const char* sqlite;
  const char* postgres;
};
constexpr Token kTokens[] = {
    // Types and table options of the schema.
    {"int", "INTEGER", "BIGINT"},
    {"id_pk", "INTEGER PRIMARY KEY" /* the rowid */, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
    {"text_pk", "TEXT PRIMARY KEY NOT NULL", "TEXT PRIMARY KEY"},
    {"blob", "BLOB", "BYTEA"},
    {"bool", "INTEGER", "BOOLEAN"},
    {"false", "0", "FALSE"},
    {"real", "REAL", "DOUBLE PRECISION"},
    {"strict", " STRICT", ""},
    // Clauses of the store's statements. Text ordered bytewise whatever the
    // database's locale (SQLite's default already).
    {"collate_c", "", " COLLATE \"C\""},
    // A row read to write after it, locked until commit: PostgreSQL serializes
    // notice publishing per purpose this way while consents may still reference
    // it; SQLite's write transaction already excludes every other writer.
    {"lock_row", "", " FOR NO KEY UPDATE"},
};

}  // namespace

sql::Tokens DialectTokens(Dialect dialect, sql::Tokens snippets) {
  for (const Token& t : kTokens) snippets.emplace(t.name, dialect == Dialect::kSqlite ? t.sqlite : t.postgres);
  return snippets;
}

int LatestSchemaVersion() {
  return SchemaMigrations().back().version;
}

RenderedSchema::RenderedSchema(const sql::Tokens& tokens) {
  texts_.reserve(SchemaMigrations().size());
  for (const Migration& m : SchemaMigrations()) texts_.push_back(sql::Render(m.sql, tokens));
  for (size_t i = 0; i < texts_.size(); ++i) {
    const Migration& m = SchemaMigrations()[i];
    list_.push_back(Migration{m.version, m.description, texts_[i].c_str()});
  }
}

}  // namespace facegate::store
