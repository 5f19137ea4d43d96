// Plain records of the compliance domain, shared by policy/, store/ and service/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace facegate {

// Seconds since the Unix epoch, UTC. All stored times use it.
using UnixTime = int64_t;

enum class Scenario { kVerification, kIdentification, kAnalysis };
// Authorization options (REQ C5): "only this time", "allow while in use", "always allow".
enum class ConsentOption { kOnce, kWhileInUse, kAlways };
// How consent was expressed (REQ C2).
enum class ConsentMethod { kClick, kWritten, kGuardian };
// What a consent covers (REQ C8, P1): face processing for its purpose, handing
// the face data to one named recipient, or importing a photo from a named source.
enum class ConsentKind { kProcessing, kDisclosure, kImport };

const char* ToString(Scenario s);
const char* ToString(ConsentOption o);
const char* ToString(ConsentMethod m);
const char* ToString(ConsentKind k);
// Parse the lower-case names used by the CLI and API ("verification", "while_in_use", ...).
std::optional<Scenario> ParseScenario(const std::string& s);
std::optional<ConsentOption> ParseConsentOption(const std::string& s);
std::optional<ConsentMethod> ParseConsentMethod(const std::string& s);
std::optional<ConsentKind> ParseConsentKind(const std::string& s);

// When a purpose requires a liveness check of the face (docs/liveness.md): never, at
// enrolment, at verification, or both. Stored as "off", "enrol", "verify", "both".
enum class LivenessRequirement { kOff, kEnrol, kVerify, kBoth };
const char* ToString(LivenessRequirement r);
std::optional<LivenessRequirement> ParseLivenessRequirement(const std::string& s);
// Whether `r` requires liveness at enrolment / at verification.
inline bool RequiresLivenessAtEnrol(LivenessRequirement r) {
  return r == LivenessRequirement::kEnrol || r == LivenessRequirement::kBoth;
}
inline bool RequiresLivenessAtVerify(LivenessRequirement r) {
  return r == LivenessRequirement::kVerify || r == LivenessRequirement::kBoth;
}

// A declared processing purpose, e.g. "office-entry".
struct PurposeRecord {
  std::string name;
  Scenario scenario = Scenario::kVerification;
  int64_t retention_days = 0;             // templates expire this long after enrolment (REQ S5)
  std::vector<std::string> alternatives;  // non-face methods offered (REQ A1)
  std::string legal_mandate;              // recorded mandate allowing a face-only flow (REQ A1)
  UnixTime created_at = 0;
  LivenessRequirement liveness = LivenessRequirement::kOff;  // when a live face is required
  // The lawful basis (PIPL 13; REQ C2, AN4): one of policy::LegalBases(); "" when declared
  // before bases were recorded (consent for verification and identification; an analysis
  // purpose must record one). Any basis but consent carries its written justification, which
  // the purpose's notice states.
  std::string legal_basis;
  std::string basis_justification;
};

// A published, versioned notice for a purpose (REQ N1, N3).
struct NoticeRecord {
  int64_t id = 0;
  std::string purpose;
  int version = 0;
  std::string text;
  std::string sha256;  // hex digest of text; consents bind to it (REQ C2)
  UnixTime published_at = 0;
};

// One consent of one subject for one purpose (REQ C1, C2, C5).
struct ConsentRecord {
  int64_t id = 0;
  std::string subject;
  std::string purpose;
  int64_t notice_id = 0;
  std::string notice_sha256;
  ConsentOption option = ConsentOption::kOnce;
  ConsentMethod method = ConsentMethod::kClick;
  std::string evidence;  // written: signer, form hash; guardian: guardian id and relation
  UnixTime given_at = 0;
  UnixTime expires_at = 0;
  std::optional<UnixTime> withdrawn_at;
  std::optional<UnixTime> used_at;  // set when a "once" consent is spent
  std::string session;              // device/interaction session for "while in use"
  std::string legal_basis = "consent";
  // What it covers (REQ C8, P1); only kProcessing consents let the Gate grant face processing.
  ConsentKind kind = ConsentKind::kProcessing;
  std::string recipient;  // kDisclosure: the one third party named (REQ C8)
  // kDisclosure to a recipient abroad (REQ S8, PIPL 39): where it is (ISO 3166-1 alpha-2), its
  // contact and how the person exercises their rights against it, all told and consented to.
  std::string recipient_country, recipient_contact, recipient_rights;
  std::string source;     // kImport: "public-photo" or "profile-picture" (REQ P1)
  bool minor = false;     // the subject was under 14 when it was given (REQ M1)
  std::string guardian;           // guardian consent: the guardian's identity (REQ M1)
  std::string guardian_relation;  // and relation to the subject, e.g. "mother"

  bool active_at(UnixTime t) const { return !withdrawn_at && t < expires_at; }
};

// A face-free transaction: the person chose a non-face method (card, PIN...).
// While open, the Gate refuses face operations for its subject, purpose and
// session (REQ A2, D7); its outcome is recorded like a face outcome (REQ C6).
struct AlternativeRecord {
  int64_t id = 0;
  std::string subject;
  std::string purpose;
  std::string session;  // device/interaction session it covers ("" = none named)
  std::string method;   // one of the purpose's declared alternatives (REQ A1)
  UnixTime opened_at = 0;
  std::optional<UnixTime> closed_at;
  std::string outcome;  // "" while open, then "granted" or "denied"
  int64_t attempts = 0;  // credentials presented to its connector (REQ A4)
};

// How a purpose's alternative method is checked (REQ A4): a connector kind ("staff": a person
// records the outcome; "pin", "card": a secret registered to the person; "qr": a signed
// single-use token; "http": an external identity service) and its JSON settings.
struct AlternativeConnectorRecord {
  std::string purpose;
  std::string method;  // one of the purpose's declared alternatives
  std::string kind;
  std::string config = "{}";  // e.g. {"url": "...", "timeout_ms": 3000} for "http"
  std::string actor;
  UnixTime set_at = 0;
};

// A person's secret for a "pin" or "card" alternative, kept only as an Argon2id verifier
// (libsodium crypto_pwhash_str), never the secret; it expires like every record (REQ S5).
struct AlternativeCredentialRecord {
  std::string subject;
  std::string purpose;
  std::string method;
  std::string verifier;  // crypto_pwhash_str output
  UnixTime created_at = 0;
  UnixTime expires_at = 0;
};

// A template as stored: sealed, never plaintext (REQ S3, S4).
struct SealedTemplate {
  int64_t id = 0;
  std::string subject;
  std::string purpose;
  std::string model;
  std::string nonce;       // raw bytes
  std::string ciphertext;  // raw bytes (AEAD)
  UnixTime created_at = 0;
  UnixTime expires_at = 0;
  // Sealed under the (subject, purpose) key (REQ S7), as Vault::Seal does; false: under the
  // subject's key, as templates were sealed before keys were kept per purpose.
  bool purpose_key = false;
};

// A recorded PIPL 38 mechanism for sending personal information to one recipient outside
// mainland China (REQ S8): without it nothing goes to that recipient, whatever the consents.
struct TransferBasisRecord {
  std::string recipient;  // as disclosure consents and transfers name it
  std::string country;    // ISO 3166-1 alpha-2 of where it processes the data, not "CN"
  std::string mechanism;  // security_assessment | certification | standard_contract | law_or_treaty
  std::string reference;  // the assessment, certificate or standard contract filing number
  std::string contact;    // the recipient's contact for people exercising their rights
  UnixTime recorded_at = 0;
  std::string actor;
};

// A sensitive inference switched on for an analysis purpose (REQ AN3; policy/inference.h): the
// use it serves (drowsiness: "driving_safety" only) and why it is necessary, from when and by
// whom; `disabled_at` once switched off again. Kept as history: a purpose's record of what it ran.
struct InferenceRecord {
  std::string purpose;
  std::string inference;     // as ToString(SensitiveInference) names it, e.g. "drowsiness"
  std::string declared_use;  // e.g. "driving_safety"
  std::string justification;
  UnixTime enabled_at = 0;
  std::string enabled_by;
  std::optional<UnixTime> disabled_at;
  std::string disabled_by;
};

// One fixed calendar window of an analysis purpose's statistics (REQ AN2): the photos analysed
// in it are tallied while it is open, and its groups of at least k faces are released once,
// after it ends; the raw tallies go then. Nothing is shown of an open window but its size.
struct AnalysisWindowRecord {
  std::string purpose;
  UnixTime start = 0, end = 0;  // [start, end), aligned on China Standard Time
  int k = 5;                    // the largest k asked for by a request of the window
  int64_t requests = 0, images = 0;
  std::optional<UnixTime> released_at;  // unset while open
  int64_t faces = -1;                   // released total; -1 while open or under k
  std::vector<std::pair<std::string, int64_t>> counts;  // released groups of k or more
  std::vector<std::string> suppressed;                  // groups of 1..k-1 faces, withheld
};

// A request of a person exercising a right (REQ R1, R2), tracked from receipt
// to completion against its statutory deadline.
struct RightsRequestRecord {
  int64_t id = 0;
  std::string subject;
  // access, copy, correction, deletion, restriction, withdrawal, explanation, human_review
  std::string kind;
  std::string purpose;  // the purpose concerned; "" = every purpose
  UnixTime received_at = 0;
  UnixTime due_at = 0;          // received_at + the configured number of days
  std::string status = "open";  // open, done, refused
  std::string reason;           // why it was refused (REQ R1); "" otherwise
  std::string handled_by;       // actor who completed or refused it
  std::optional<UnixTime> completed_at;
  std::string detail;  // JSON object: what was asked and what was done

  bool overdue_at(UnixTime t) const { return status == "open" && t > due_at; }
};

// A restriction of processing at the person's request (REQ R1): the Gate
// refuses every face operation for the subject while the data is kept.
struct RestrictionRecord {
  int64_t id = 0;
  std::string subject;
  int64_t request_id = 0;  // the rights request that placed it (0: none)
  UnixTime placed_at = 0;
  std::optional<UnixTime> lifted_at;
};

// Everything the store holds about one subject apart from the audit log, for
// an access/copy export (REQ R1). Templates carry metadata only: nonce and
// ciphertext are left empty.
struct SubjectFile {
  bool exists = false;  // a subjects row exists
  UnixTime created_at = 0;
  std::optional<UnixTime> erased_at;  // identity anonymised by a deletion request
  std::vector<ConsentRecord> consents;
  std::vector<SealedTemplate> templates;
  std::vector<AlternativeRecord> alternatives;
  std::vector<std::pair<std::string, UnixTime>> refusals;  // purpose, refused_at
  std::vector<RestrictionRecord> restrictions;
  std::vector<RightsRequestRecord> requests;
};

// One link of the hash-chained audit log (REQ S6).
struct AuditEvent {
  int64_t seq = 0;  // assigned by the store
  UnixTime at = 0;
  std::string actor;    // "cli", an API key id, "sweeper"
  std::string action;   // "enrol", "verify", "consent.give", "refusal"...
  std::string subject;  // pseudonymous id or empty
  std::string purpose;
  std::string outcome;  // "ok", "refused:C1", "error:invalid_input"...
  std::string detail;   // JSON object, never a template or an image
  std::string prev_hash;
  std::string hash;  // hex SHA-256 over prev_hash and the fields above
};

// The operator's stricter identification threshold for one purpose (REQ SC2): the scope
// rule's threshold for the scope's size is replaced by this smaller one (docs/identification.md).
struct IdentifyThresholdRecord {
  std::string purpose;
  float threshold = 0;     // accept the nearest member when distance <= threshold
  std::string reason;      // why the operator set it (required)
  std::string actor;       // who set it
  UnixTime set_at = 0;
};

// A personal-information breach (leak, tampering, loss) tracked from detection to
// closure (REQ S9, PIPL 57). Status goes open -> assessed -> authority_notified ->
// people_notified | people_not_notified -> closed; each step keeps its time.
struct BreachRecord {
  int64_t id = 0;
  UnixTime detected_at = 0;  // when the handler learnt of it
  UnixTime opened_at = 0;    // when it was recorded
  std::string actor;         // who recorded it
  std::string description;   // what happened
  std::string cause;         // PIPL 57 (1): the cause
  std::string harm;          // PIPL 57 (1): the harm it may cause
  std::string measures;      // PIPL 57 (2): remedial measures taken
  std::string individual_advice;  // PIPL 57 (2): what people can do to reduce the harm
  std::string contact;            // PIPL 57 (3): the handler's contact
  UnixTime window_from = 0, window_to = 0;  // when data may have been exposed (inclusive)
  std::vector<std::string> kinds;     // template, consent, identity, audit, alternative
  std::vector<std::string> purposes;  // purposes concerned; empty = every purpose
  std::string status = "open";
  std::optional<UnixTime> assessed_at;
  std::optional<UnixTime> authority_notified_at;
  std::string authority_reference;  // the authority's case number or receipt
  std::optional<UnixTime> people_notified_at;
  std::optional<UnixTime> not_notified_at;  // the decision not to notify people
  std::string not_notified_reason;          // why harm is effectively avoided (required)
  std::optional<UnixTime> closed_at;
  UnixTime expires_at = 0;  // REQ S5: a closed breach record is deleted after this
};

// One person affected by a breach and which of their data kinds were involved (REQ S9).
struct BreachAffectedRecord {
  int64_t breach_id = 0;
  std::string subject;              // pseudonymous id only, never the identity row
  std::vector<std::string> kinds;   // subset of the breach's kinds
  std::optional<UnixTime> notified_at;
};

// Outcome of recomputing the audit chain.
struct AuditCheck {
  bool intact = true;
  int64_t events = 0;
  int64_t first_broken_seq = 0;  // 0 when intact
  std::string reason;
  // The signed checkpoints kept outside the database (audit-checkpoints.jsonl) that the
  // chain was checked against: a recomputed chain or a cut tail breaks them.
  int64_t checkpoints = 0;
  int64_t anchored_seq = 0;  // the newest checkpoint's sequence number (0: none yet)
  // Events up to this sequence number were pruned by retention (REQ S5); the chain is checked
  // from the prune point, whose recorded hash the first kept event must chain onto (0: none).
  int64_t pruned_through = 0;
};

// Where retention pruned the audit chain (REQ S5): the last pruned event's seq and hash, which
// the first kept event's prev_hash must equal, so the chain stays verifiable without them.
// Prune points are append-only, like the events.
struct AuditPrunePoint {
  int64_t seq = 0;        // 0: nothing was old enough to prune
  std::string hash;       // the hash of event `seq`
  UnixTime at = 0;        // when it was pruned
  UnixTime before = 0;    // events older than this went
  int64_t pruned = 0;     // events deleted by this prune
  std::string actor;
};

// Records that ended long enough ago to go (REQ S5), counted by kind, from one sweep.
struct EndedRecords {
  int64_t consents = 0;          // withdrawn, spent or expired before the cutoff
  int64_t consent_refusals = 0;  // refusals older than the cutoff (their quiet period is long over)
  int64_t alternatives = 0;      // face-free transactions closed before the cutoff
  int64_t rights_requests = 0;   // requests completed before the cutoff
  int64_t restrictions = 0;      // restrictions lifted before the cutoff
  int64_t capture_sessions = 0;  // device captures closed before the cutoff
  std::vector<std::string> subjects;  // subject records with nothing left that needs them
};

// ---- Devices, capture sessions and sites (REQ D1-D7; docs/devices.md, docs/sites.md) ----

// How a device starts capturing (REQ D1): only when the person acts (the default), or on its
// own, which needs the signage of REQ D5 before it goes live.
enum class DeviceMode { kTriggered, kAutomatic };
// A device processes frames only while live; a draft is being set up, a suspended one stopped.
enum class DeviceStatus { kDraft, kLive, kSuspended };
const char* ToString(DeviceMode m);
const char* ToString(DeviceStatus s);
std::optional<DeviceMode> ParseDeviceMode(const std::string& s);
std::optional<DeviceStatus> ParseDeviceStatus(const std::string& s);

// What people are told before an automatic device's area (REQ D5), and who confirmed it hangs there.
struct DeviceSignage {
  std::string voice_prompt;      // the alert spoken as people approach
  std::string warning_line;      // the marked line / sign at the edge of the area
  int64_t notice_version = 0;    // the published notice version posted before the area
  std::string notice_location;   // where that written notice hangs
  std::string consent_method;    // how consent is given there ("written form at reception", ...)
  std::string confirmed_by;      // who checked all of the above on site
  UnixTime confirmed_at = 0;     // when (0: not confirmed)
};

// A registered recognition device: where it is, how and for what it captures (REQ D1-D5).
struct DeviceRecord {
  std::string id;
  std::string name;
  std::string site, zone, passage;  // placement; site "" = not on a registered site
  std::string location_type;        // the zone type it sees (REQ D4: some are refused)
  DeviceMode mode = DeviceMode::kTriggered;  // REQ D1: triggered unless declared otherwise
  bool presence_trigger = false;    // a triggered device may start on presence in its marked area
  std::vector<std::string> purposes;
  bool public_security = false;     // REQ D5: locked to its one public-security purpose
  std::string area = "[]";          // collection area, JSON [[x,y],...] in 0..1 ([] whole frame; REQ D2)
  int64_t capture_timeout_s = 30;   // a capture stops after this, at most 60 s (REQ D1)
  DeviceSignage signage;
  DeviceStatus status = DeviceStatus::kDraft;
  std::string status_reason;        // why suspended, or "" 
  UnixTime created_at = 0, updated_at = 0;
  std::string actor;                // who registered or last changed it
};

// One capture at a device (REQ D1, D7): opened by the person's act (or presence, or an
// automatic device's own start), closed by a result, the choice of another method, or the
// timeout. Frames are accepted only while it is open and not face-free.
struct CaptureSessionRecord {
  std::string id;                   // "cs_" + 32 hex digits; also the Gate's session (REQ C5)
  std::string device, purpose;
  std::string subject;              // the person for 1:1; "" for 1:N
  std::string opened_by;            // "tap", "presence" or "automatic"
  // What a frame does: "match" (verify or identify, by the purpose) or "enrol" (a kiosk
  // enrolling the person who tapped, under their consent; REQ C1, D1; migration 12).
  std::string action = "match";
  UnixTime opened_at = 0, expires_at = 0;
  std::optional<UnixTime> closed_at;
  std::string outcome = "open";     // open, result, alternative, timeout, cancelled
  bool face_free = false;           // the person chose another method: no frame is decoded (REQ D7)
  int64_t frames = 0;               // frames accepted
  int64_t alternative_id = 0;       // the face-free transaction opened by the choice
};

// A registered site file and the outcome of its route check (REQ D4, D6).
struct SiteRecord {
  std::string id, name;
  std::string document;             // the site JSON as registered (docs/sites.md)
  bool check_ok = false;
  std::string check_report;         // JSON of the check (refusals, warnings, clear routes)
  UnixTime created_at = 0, updated_at = 0;
  std::string actor;
};

// ---- Impact assessments and the filing line (REQ F1, F2; docs/reports.md) ----

// A personal-information protection impact assessment (PIPL 55, 56; Measures 9) of one
// purpose or one device. Enrolment, verification, identification and analysis for a purpose,
// and a device going live, are refused "F1" until one is approved; a material change marks it
// "due" (a new notice version, a scope grown past `scope_size`, a breach). Never deleted before
// `keep_until`, at least three years (PIPL 56).
struct ImpactAssessmentRecord {
  int64_t id = 0;
  std::string target_kind = "purpose";  // "purpose" or "device"
  std::string target;                   // the purpose name or device id
  std::string lawfulness;               // why lawful, legitimate and necessary (PIPL 56 (1))
  std::vector<std::string> data_kinds;  // e.g. "face image", "face template"
  std::string impact;                   // impact on people's rights and the risks (PIPL 56 (2))
  std::string measures = "{}";          // JSON object drawn from the configuration (PIPL 56 (3))
  std::string author;
  UnixTime created_at = 0;
  std::string status = "draft";         // draft, approved, due
  std::string approver;                 // who approved it ("" while a draft)
  std::optional<UnixTime> approved_at;
  int64_t notice_version = 0;           // the purpose's notice in force when approved (0: none)
  int64_t scope_size = 0;               // most people the purpose may hold as assessed
  std::string due_reason;               // the material change that made it due
  std::optional<UnixTime> due_at;
  std::string document_sha256;          // hex SHA-256 of the assessment document when approved
  UnixTime keep_until = 0;              // kept at least until then (3 years; PIPL 56)
};

// A filing mark crossed by the count of distinct people with face data (REQ F2, F3): a warning
// mark, the 100,000-person filing line (Measures 15: file within 30 working days), or the
// 1,000,000 and 10,000,000 counters. Recorded once, when first crossed.
struct FilingMarkRecord {
  int64_t mark = 0;
  int64_t people = 0;         // the count when it was crossed
  UnixTime crossed_at = 0;
  std::string crossed_date;   // YYYY-MM-DD (China Standard Time)
  std::string due_date;       // the filing line: 30 working days later; "" for other marks
  std::string actor;
};

// Numbers of one period [from, to) for the compliance report (REQ F3), read from the store.
struct PeriodCounts {
  UnixTime from = 0, to = 0;
  int64_t consents_given = 0, consents_withdrawn = 0;
  std::vector<std::pair<std::string, int64_t>> refusals;      // requirement id -> audit events
  std::vector<std::pair<std::string, int64_t>> alternatives;  // "method outcome" -> transactions
  std::vector<std::pair<std::string, int64_t>> operations;    // audit action (ok) -> events
  int64_t rights_received = 0, rights_done = 0, rights_refused = 0;
  int64_t rights_closed_on_time = 0, rights_closed_late = 0, rights_open_overdue = 0;
  int64_t breaches_opened = 0;
  int64_t audit_events = 0;
};

}  // namespace facegate
