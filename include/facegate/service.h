// Use cases of facegate: the only layer that combines the compliance core, the
// engine and the store. Every face operation goes through the Gate first and
// is audited, refusals included.
#pragma once

#include <facegate/connectors.h>
#include <facegate/analysis_data.h>
#include <facegate/records.h>
#include <facegate/report_data.h>
#include <facegate/status.h>
#include <facegate/store.h>
#include <facegate/vision.h>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace facegate::service {

// Euclidean distance at or below which two templates are the same person,
// calibrated on ../shared/facedata/lfw-pairs.tsv (docs/vision.md).
float DefaultVerifyThreshold();

struct Config {
  std::string data_dir;   // holds facegate.db (SQLite) and master.key
  // Empty: embedded SQLite in data_dir. A libpq conninfo ("postgresql://..." or
  // "host=... dbname=...") selects PostgreSQL, shared by several nodes.
  std::string database;
  std::string model_dir;  // model cache
  std::string lock_file;  // models.lock
  float verify_threshold = DefaultVerifyThreshold();
  std::function<UnixTime()> clock;  // empty: system clock
  // After a refusal, the person is not asked for consent again for this long (REQ C7).
  int64_t consent_quiet_seconds = 24 * 3600;
  // REQ S1, S8: a PostgreSQL server that is not on this machine (Unix socket or
  // loopback) is refused unless this records why the data stays lawfully where
  // it is, e.g. "db1.internal: operator's data centre in Shanghai, mainland
  // China". Face data never crosses a border by default. From $FACEGATE_DB_LOCATION_BASIS.
  std::string database_location_basis;
  // Where a purpose that requires liveness passes or refuses a face (docs/liveness.md).
  vision::LivenessThresholds liveness_thresholds;

  // A rights request is due this many calendar days after receipt (REQ R1; docs/rights.md).
  int64_t rights_due_days = 15;
  // A closed breach record and its affected people are deleted this many days after
  // closure (REQ S5, S9; docs/breach.md): the 3-year limitation period for claims.
  int64_t breach_retention_days = 3 * 365;

  // REQ F2 (Measures 15): the filing line (distinct people with face data) and the warning
  // marks before it; the 1,000,000 and 10,000,000 counters are always kept too (REQ F3).
  // Marks from $FACEGATE_FILING_MARKS ("50000,80000,90000"), the line from $FACEGATE_FILING_LINE.
  int64_t filing_line = 100000;
  std::vector<int64_t> filing_warn_marks = {50000, 80000, 90000};
  // The working-day calendar with the official holidays (data/holidays-cn.tsv, updated by the
  // operator); "" = $FACEGATE_HOLIDAYS, else the copy in the source tree.
  std::string holidays_file;
  // Ended records (withdrawn or expired consents, refusals, closed transactions and captures,
  // completed requests, lifted restrictions) and the subject records nothing needs any more are
  // deleted this many days after they ended (REQ S5): kept as proof for the 3-year limitation
  // period, then gone.
  int64_t record_retention_days = 3 * 365;
  // Audit events are pruned this many days after they were written (REQ S5), never fewer than
  // kMinAuditRetentionDays: processing records are kept at least three years (PIPL 56).
  int64_t audit_retention_days = 3 * 365;
  // REQ AN2: analysis statistics are tallied per fixed calendar window of this many seconds
  // (China Standard Time; it must divide a day, at least 60) and released once it ends.
  // From $FACEGATE_ANALYSIS_WINDOW (seconds).
  int64_t analysis_window_seconds = 3600;
  // REQ AN2: a picture counted for a purpose is not counted again for this long (the same
  // photos resent in a later window add nothing, so two windows cannot be subtracted either);
  // the pictures' hashes are deleted after it. From $FACEGATE_ANALYSIS_REPEAT_HORIZON (seconds).
  int64_t analysis_repeat_horizon_seconds = 86400;
};
// The shortest audit retention: records of processing are kept at least 3 years (PIPL 56).
inline constexpr int64_t kMinAuditRetentionDays = 3 * 365;
// The longest anything is kept: a purpose's retention and an "always" consent (REQ S5).
inline constexpr int64_t kMaxRetentionDays = 3650;

// Defaults from the environment: FACEGATE_HOME, FACEGATE_DB, FACEGATE_MODELS, FACEGATE_LOCK.
Config DefaultConfig();
// True for a libpq conninfo (URI or key=value with host= or dbname=).
bool IsPostgresConninfo(const std::string& database);
// REQ S1, S8: ok for embedded SQLite and a local PostgreSQL; kRefused "S8" for a
// remote PostgreSQL host without a recorded database_location_basis.
Status CheckDatabaseLocation(const Config& config);

// Why a request was refused, for people and programs (REQ A1: alternatives on offer).
struct Refusal {
  std::string requirement;  // "C1"
  std::string title;        // the rule
  std::string citation;     // "PIPL 14, 29; SPC 2, 4"
  std::string message;      // what was wrong and what to do
  std::vector<std::string> alternatives;
};
// Fills a Refusal from a kRefused Status and the purpose's alternatives.
Refusal DescribeRefusal(const Status& s, const std::vector<std::string>& alternatives);

struct EnrolResult {
  int64_t template_id = 0;
  int64_t consent_id = 0;
  std::string model;
  UnixTime expires_at = 0;
  vision::StageTimings timings;
  // The liveness check, when the purpose requires one at enrolment (docs/liveness.md).
  std::optional<vision::LivenessResult> liveness;
  vision::FaceQuality quality;  // of the enrolled face; a poor photo is refused before this
};

struct VerifyResult {
  bool match = false;
  float distance = 0;   // smallest Euclidean distance to the subject's templates
  float threshold = 0;  // match when distance <= threshold
  std::string model;
  int64_t consent_id = 0;
  std::vector<std::string> alternatives;  // REQ A1
  vision::StageTimings timings;
  // The liveness check, when the purpose requires one at verification (docs/liveness.md).
  std::optional<vision::LivenessResult> liveness;
  vision::FaceQuality quality;  // of the probe face: reported, never a reason to refuse
};

struct WithdrawResult {
  std::vector<int64_t> consent_ids;  // the consents withdrawn, for their receipts (REQ C2)
  int64_t consents_withdrawn = 0;
  int64_t templates_deleted = 0;
  bool key_destroyed = false;
};

// Accuracy report of `eval verify` (REQ P3: research grant, nothing stored).
struct EvalReport {
  int64_t pairs = 0, same_pairs = 0, photos = 0, photos_without_face = 0, pairs_with_missing_face = 0;
  float threshold = 0;
  double accuracy_at_threshold = 0;  // pairs with a missing face count as errors
  double cv_accuracy = 0, cv_accuracy_std = 0;  // 10-fold cross-validated
  double cv_mean_threshold = 0;
  double tar_at_far_1 = 0, tar_at_far_01 = 0;
  std::vector<std::string> no_face_paths;
  // (FAR, TAR, threshold) at up to 200 thresholds, ascending, for the ROC and DET charts of
  // the compliance report (REQ F3); a pair with a missing face is a rejection.
  std::vector<std::array<double, 3>> roc;
};

// Answer of a 1:N search within one scope (REQ SC2, D3). Only the match is
// named: the runner-ups are people the probe is not, and listing them would
// tell whoever holds a photo who else is enrolled (and who looks alike).
struct IdentifyResult {
  bool identified = false;
  std::string subject;     // the match; empty when "unknown"
  int64_t consent_id = 0;  // the match's identification consent
  float distance = 0;      // to the match's mean template; when unknown, the nearest member's
  float threshold = 0;     // the scope's threshold for its size (docs/identification.md)
  uint64_t scope_size = 0;       // members searched (one mean template each)
  uint64_t scope_templates = 0;  // their enrolled templates
  double stranger_accept_rate = 0;  // expected share of strangers matched at this size
  double genuine_accept_rate = 0;   // expected share of same-person comparisons within threshold
  uint64_t max_scope_size = 0;      // 1:N is refused past this many members (this model)
  bool operator_threshold = false;  // the operator's stricter threshold applies (SC2 override)
  std::string warning;              // the scope outgrew what the model serves well
  std::string model;
  std::vector<std::string> alternatives;  // REQ A1
  vision::StageTimings timings;
  // The liveness check, when the purpose requires one at verification (identify runs the
  // same rule as verify; docs/liveness.md).
  std::optional<vision::LivenessResult> liveness;
};

// Open-set accuracy report of `eval identify` (REQ P3: research grant, nothing stored).
struct EvalIdentifyReport {
  int64_t gallery_photos = 0, gallery_identities = 0;  // one mean template per identity
  int64_t probes = 0, enrolled_probes = 0, stranger_probes = 0, photos_without_face = 0;
  float threshold = 0;
  bool threshold_from_scope_rule = true;  // false: given by the caller
  double expected_stranger_accept = 0;    // from calibration, at this gallery size
  double rank1 = 0;               // enrolled probes whose nearest identity is theirs
  double identified = 0;          // enrolled probes accepted as the right person
  double misidentified = 0;       // enrolled probes accepted as somebody else
  double strangers_rejected = 0;  // stranger probes answered "unknown"
  std::vector<std::string> no_face_paths;  // their probes count as errors
};

// The operator's stricter identification threshold of a purpose and what it means at the
// scope's current size (REQ SC2; docs/identification.md "Operator threshold").
struct IdentifyThresholdReport {
  std::string purpose;
  bool set = false;                // false: none set, identify uses the scope rule
  float threshold = 0;             // the operator's (when set)
  std::string reason, actor;       // why and by whom it was set
  UnixTime set_at = 0;
  uint64_t scope_size = 0;         // members now (subjects with a template and an active consent)
  float scope_rule_threshold = 0;  // the scope rule's threshold for that size
  bool scope_rule_supported = true;  // false: without the override 1:N is refused at this size
  double stranger_accept_rate = 0;   // expected at the threshold identify uses, at this size
  double genuine_accept_rate = 0;    // expected share of same-person comparisons accepted
  uint64_t max_scope_size = 0;       // largest scope the threshold keeps within the target rate
};

// What a retention sweep deleted (REQ S5, S7).
struct SweepReport {
  int64_t templates_deleted = 0;
  int64_t keys_destroyed = 0;
  std::vector<std::string> subjects;  // whose templates were deleted
  int64_t alternative_credentials_deleted = 0;  // expired PIN / card verifiers (REQ A4, S5)
  std::vector<int64_t> breaches_deleted;  // closed breach records past their expiry (REQ S5, S9)
  EndedRecords ended;                     // records that ended record_retention_days ago (REQ S5)
  AuditPrunePoint audit;                  // audit events older than audit_retention_days (REQ S5)
  bool DeletedAnything() const {
    return templates_deleted || alternative_credentials_deleted || !breaches_deleted.empty() || ended.consents ||
           ended.consent_refusals || ended.alternatives || ended.rights_requests || ended.restrictions ||
           ended.capture_sessions || !ended.subjects.empty() || audit.pruned;
  }
};

// The identity-side record of a subject with the age it implies (REQ M1, S3).
struct SubjectInfo {
  std::string id;
  std::string birth_date;  // "YYYY-MM-DD" as declared; "" when none
  int age = -1;            // whole years at the service clock's now; -1 unknown
  bool minor = false;      // under 14 now (REQ M1)
  UnixTime adult_consent_at = 0;  // when the person turns 14 (0 unknown)
};

// Every audit event of one year about a subject who was under 14 at the time
// of the event (REQ M3), for the yearly audit export.
struct MinorsAuditReport {
  int year = 0;
  int64_t events_scanned = 0;
  std::vector<AuditEvent> events;  // in chain order
  std::vector<std::pair<std::string, int64_t>> by_action;  // action -> count
  std::vector<std::string> subjects;                       // distinct, sorted
  bool chain_intact = false;  // the audit chain verified when the export was made (REQ S6)
};

// What `disclose` handed over (REQ C8): the subject's templates for one purpose,
// sealed to the recipient's public key so only the recipient can read them.
struct DisclosureResult {
  int64_t consent_id = 0;  // the disclosure consent naming the recipient
  std::string recipient;
  std::string subject, purpose, model;
  int64_t templates = 0;
  UnixTime disclosed_at = 0;
  std::string package;  // JSON: who, what, when, and crypto_box_seal'd templates (base64)
};

// ---- Rights of the person (REQ R1, R2; docs/rights.md) ----

// The kinds of rights request, as stored: access, copy, correction, deletion,
// restriction, withdrawal, explanation, human_review.
const std::vector<std::string>& RightsKinds();

// What a person asks for; the service records it with its deadline.
struct RightsRequestInput {
  std::string subject;
  std::string kind;     // one of RightsKinds()
  std::string purpose;  // the purpose concerned ("" = every purpose)
  std::string note;     // how and where it was asked, in the handler's words
  int64_t event_seq = 0;  // human_review: the audit event of the 1:N decision (REQ R2)
};

// A document for the person: the same content as JSON and as readable Markdown.
struct RightsDocument {
  int64_t request_id = 0;  // the request it answers
  std::string json;
  std::string markdown;
};

// What a deletion request removed (REQ R1, S7).
struct ErasureResult {
  int64_t request_id = 0;
  int64_t consents_withdrawn = 0;
  int64_t templates_deleted = 0;
  bool key_destroyed = false;
  int64_t alternative_credentials_deleted = 0;  // PIN / card verifiers (REQ A4)
  bool identity_anonymised = false;
};

// What a correction (re-enrolment) replaced (REQ R1).
struct CorrectionResult {
  int64_t request_id = 0;
  int64_t templates_replaced = 0;  // old templates deleted in the same transaction
  int64_t template_id = 0;         // the new one
  std::string model;
  UnixTime expires_at = 0;
};

// ---- Breach workflow (REQ S9, PIPL 57; docs/breach.md) ----

// The data kinds a breach can concern, as stored: template, consent, identity
// (the subject row: name, birth date), audit (events naming the person), alternative.
const std::vector<std::string>& BreachDataKinds();

// What the handler knows when recording a breach; the PIPL 57 contents are required.
struct BreachInput {
  UnixTime detected_at = 0;  // 0: now
  std::string description, cause, harm, measures, individual_advice, contact;
  UnixTime window_from = 0, window_to = 0;  // when data may have been exposed; to <= now
  std::vector<std::string> kinds;     // subset of BreachDataKinds(), at least one
  std::vector<std::string> purposes;  // declared purposes; empty = every purpose
};

// A breach with its affected people and what may be done next.
struct BreachView {
  BreachRecord breach;
  std::vector<BreachAffectedRecord> affected;
  std::vector<std::string> next_steps;  // e.g. {"notify-people", "no-notify"}; empty when closed
};

// What a notification step produced: JSON and Markdown (zh + en).
struct BreachDocument {
  int64_t breach_id = 0;
  std::string json;      // authority report: one object; people: an array of notices
  std::string markdown;  // authority report: one document; people: every notice, one after another
  std::vector<std::pair<std::string, std::string>> notices;  // people: subject -> its Markdown notice
};

// ---- Devices, capture sessions and sites (REQ D1-D7; docs/devices.md, docs/sites.md) ----

// What a device sent in one frame came to (POST /v1/sessions/{id}/frames).
struct FrameResult {
  CaptureSessionRecord session;  // after the frame: closed with "result" once a decision was made
  // "no_face": nothing inside the collection area, send another frame; "match" / "no_match" (1:1);
  // "identified" / "unknown" (1:N); "enrolled" or "retake" (an "enrol" capture).
  std::string outcome;
  int faces_outside_area = 0;    // dropped before any landmark, counted only (REQ D2)
  std::optional<VerifyResult> verify;
  std::optional<IdentifyResult> identify;
  std::optional<EnrolResult> enrol;              // an "enrol" capture's enrolment
  std::optional<vision::FaceQuality> retake;     // "retake": the face was too poor to enrol
};

// How `facegate device watch` reads a video through a device's rules.
struct WatchOptions {
  std::string purpose;       // "": the device's one identification purpose
  double sample_fps = 10;    // frames looked at per second of video (0: every frame)
  int64_t max_gap_ms = 1000; // a face unseen this long and back is a new pass
};

// One pass of one face through the area: processed once (REQ D1, D2).
struct WatchEvent {
  int64_t t_ms = 0;          // video time of the frame the pass was processed on
  int64_t track = 0;         // the pass's number in this run (positions only, no identity)
  std::string session;       // the capture session it was processed in
  std::string outcome;       // "identified", "unknown" or "refused:<id>" / "error"
  std::string subject;       // when identified
};

struct WatchReport {
  std::string device, purpose, source;
  int64_t frames = 0;               // sampled frames read
  int64_t faces_in_area = 0;        // detections inside the area, summed over frames
  int64_t faces_outside_area = 0;   // dropped before landmarks (REQ D2)
  int64_t passes = 0;               // tracks started inside the area = faces processed
  int64_t identified = 0, unknown = 0, refused = 0;
  std::vector<WatchEvent> events;
};

class Service {
 public:
  // Opens the store (creating data_dir, database and master key on first run).
  // Models are loaded on the first face operation.
  static Result<std::unique_ptr<Service>> Open(const Config& config);
  ~Service();

  // Declares a purpose. Refused (REQ A1) without an alternative method unless a legal mandate is recorded.
  Status AddPurpose(const PurposeRecord& p, const std::string& actor);
  Result<std::vector<PurposeRecord>> ListPurposes();
  // Records the lawful basis a purpose rests on (PIPL 13; REQ C2, AN4): checked as at
  // declaration; a basis other than consent then needs a notice that states it before the
  // purpose runs again (publish one: a new version, so earlier consents are asked again, C3).
  Status SetPurposeBasis(const std::string& purpose, const std::string& basis, const std::string& justification,
                         const std::string& actor);
  // Switches a sensitive inference (REQ AN3; policy/inference.h, e.g. "drowsiness") on for an
  // analysis purpose, for a use the catalogue allows, with its written justification; marks the
  // purpose's impact assessments due (F1). It runs once the notice in force names it and an
  // assessment is approved again. Audited, kept as history.
  Status EnableInference(const std::string& purpose, const std::string& inference, const std::string& use,
                         const std::string& justification, const std::string& actor);
  // Switches it off (kNotFound when it was not on). Audited.
  Status DisableInference(const std::string& purpose, const std::string& inference, const std::string& actor);
  // The switch-ons of `purpose` ("" = every purpose), oldest first, those ended included.
  Result<std::vector<InferenceRecord>> ListInferences(const std::string& purpose);
  // Validates (REQ N1) and publishes a new version of the purpose's notice.
  Result<NoticeRecord> PublishNotice(const std::string& purpose, const std::string& text,
                                     const std::string& actor);
  Result<NoticeRecord> LatestNotice(const std::string& purpose);

  struct ConsentRequest {
    std::string subject, purpose;
    int64_t notice_id = 0;  // the notice shown and acknowledged: must be the one in force (REQ N1)
    ConsentOption option = ConsentOption::kOnce;
    ConsentMethod method = ConsentMethod::kClick;
    std::string evidence;   // written: signer and form hash; guardian: guardian and relation
    std::string session;    // required for while_in_use
    int64_t valid_seconds = 0;  // 0: the option's default
    // True when the operator or device asked for this consent (a prompt); such a
    // consent is refused (C7) within the quiet period after a refusal. False: the
    // person came forward on their own initiative, which is always allowed.
    bool prompted = false;
    // What the consent covers (REQ C8, P1): processing (default), disclosure to
    // `recipient`, or import of a photo from `source` (public-photo | profile-picture).
    ConsentKind kind = ConsentKind::kProcessing;
    std::string recipient, source;
    // Disclosure to a recipient abroad (REQ S8, PIPL 39): where it is (ISO 3166-1 alpha-2), its
    // contact and how the person exercises their rights against it, as the person was told.
    std::string recipient_country, recipient_contact, recipient_rights;
    // Guardian consent (REQ M1): the guardian's identity and relation to the subject;
    // the only consent accepted for a subject under 14 by declared birth date.
    std::string guardian, guardian_relation;
  };
  // Records a separate consent for exactly one purpose (REQ C1, C2, C5).
  Result<ConsentRecord> GiveConsent(const ConsentRequest& r, const std::string& actor);
  // Withdraws every active consent of the subject for the purpose, deletes the
  // templates and destroys the key that sealed them, in one step (REQ C4, S7).
  Result<WithdrawResult> WithdrawConsent(const std::string& subject, const std::string& purpose,
                                         const std::string& actor);
  // Every read is on the record with `actor` (REQ S6): "consent.read", or for a child
  // "minor.read" after the reader's approval is checked (REQ M3).
  Result<std::vector<ConsentRecord>> ListConsents(const std::string& subject, const std::string& purpose,
                                                  const std::string& actor = "service");
  // Records that the person refused consent for the purpose; starts the quiet period (REQ C7).
  Status RefuseConsent(const std::string& subject, const std::string& purpose,
                       const std::string& actor);
  // Ok if the operator or a device may ask the person for consent now; kRefused
  // "C7" within consent_quiet_seconds of the person's last refusal.
  Status MayAskConsent(const std::string& subject, const std::string& purpose);

  // The person chooses a non-face method (one of the purpose's alternatives,
  // else kInvalidInput listing them): opens a face-free transaction in which
  // the Gate refuses every face operation for subject, purpose and session
  // (REQ A2, D7). Returns its id. Audited.
  Result<int64_t> ChooseAlternative(const std::string& subject, const std::string& purpose,
                                    const std::string& method, const std::string& session,
                                    const std::string& actor);
  // Records the outcome of the alternative check ("granted" or "denied") and
  // closes the transaction; audited like a face outcome, so the service never
  // depends on face (REQ C6). kConflict if already completed.
  Status CompleteAlternative(int64_t id, const std::string& outcome, const std::string& actor);

  // ---- Alternative connectors (REQ A4; src/service/alternative_connectors.cpp) ----
  // Binds a declared alternative of a purpose to a connector kind (BuiltInConnectorKinds() or
  // one added with AddConnectorKind) with its JSON settings, checked now. Admin; audited.
  Status ConnectAlternative(const AlternativeConnectorRecord& c, const std::string& actor);
  // Every declared alternative of the purpose with its connector ("staff" when none is bound).
  Result<std::vector<AlternativeConnectorRecord>> AlternativeConnectors(const std::string& purpose);
  // Adds a connector kind (a card reader's SDK, another identity service) to this service.
  Status AddConnectorKind(const std::string& kind, ConnectorFactory factory);
  // Registers the person's PIN (4-12 digits) or card number (4-64 letters/digits) for a
  // "pin"/"card" alternative, kept as an Argon2id verifier that expires with the purpose's
  // retention (REQ S5). Audited without the secret.
  Status RegisterAlternativeCredential(const std::string& subject, const std::string& purpose,
                                       const std::string& method, const std::string& secret,
                                       const std::string& actor);
  // Issues a single-use signed token (shown as a QR code) for a "qr" alternative, valid for
  // `valid_seconds` (1..86400). Audited without the token.
  Result<std::string> IssueAlternativeToken(const std::string& subject, const std::string& purpose,
                                            const std::string& method, int64_t valid_seconds,
                                            const std::string& actor);
  // What presenting a credential did to a transaction.
  struct PresentResult {
    std::string outcome;  // "granted", "denied" (closed) or "retry" (still open)
    std::string connector;
    std::string reason;
    int64_t attempts_left = 0;
  };
  // The person presents a credential on an open face-free transaction; its connector decides.
  // Granted closes it granted (audited like a face match, REQ C6); a wrong credential leaves
  // it open until kMaxAlternativeAttempts, then closes it denied. A "staff" alternative is
  // kInvalidInput (complete it by hand). The credential is never stored or logged.
  Result<PresentResult> PresentAlternative(int64_t id, const std::string& credential, const std::string& actor);
  static constexpr int64_t kMaxAlternativeAttempts = 3;
  // Wrong credentials for one subject and purpose, across transactions, before presenting
  // is locked for kAlternativeLockoutSeconds (online PIN guessing; docs/security.md).
  static constexpr int64_t kMaxAlternativeFailures = 5;
  static constexpr int64_t kAlternativeLockoutSeconds = 15 * 60;
  // A consent receipt for the person, as JSON with the fields of the Kantara
  // Consent Receipt and ISO/IEC 27560 (processor, purpose, sensitive flag,
  // notice version and hash, time, method, option, expiry, withdrawal). Audited.
  Result<std::string> ConsentReceipt(int64_t consent_id, const std::string& actor);

  // Enrols the one face in the photo (REQ C1, S3, S4). Several faces or none: kInvalidInput;
  // a face of poor quality (vision::FaceQuality) too, with what to fix (docs/quality.md).
  // A subject who already has templates for the purpose gets another only when the new face
  // matches them (kRefused "SC1" otherwise: a different face goes through an approved
  // correction request), so nobody can add their own face to another person's record.
  Result<EnrolResult> Enrol(const std::string& subject, const std::string& purpose,
                            const std::string& image_bytes, const std::string& session,
                            const std::string& actor);
  // Compares the one face in the probe with the subject's templates; nothing of
  // the probe is kept (REQ SC1, S2, D3).
  Result<VerifyResult> Verify(const std::string& subject, const std::string& purpose,
                              const std::string& image_bytes, const std::string& session,
                              const std::string& actor);

  // Evaluates verification accuracy on labelled pairs (lines path1 TAB path2 TAB same [TAB fold]).
  Result<EvalReport> EvalVerify(const std::string& pairs_file, const std::string& root,
                                const std::string& actor);

  // Identifies the one face in the probe among the members of the purpose's
  // scope (REQ SC2): the nearest member with an active consent is named only
  // within the scope's threshold; otherwise "unknown". Nothing of the probe is
  // kept (REQ D3). Refused (SC2) when the scope is larger than the model can
  // serve at a usable threshold.
  Result<IdentifyResult> Identify(const std::string& purpose, const std::string& image_bytes,
                                  const std::string& actor);
  // The same at a device or kiosk session: refused ("A2") before the photo is decoded while a
  // face-free transaction is open for the purpose in that session (REQ A2, D7).
  Result<IdentifyResult> Identify(const std::string& purpose, const std::string& image_bytes,
                                  const std::string& session, const std::string& actor);

  // Sets the operator's identification threshold for an identification purpose (REQ SC2):
  // only stricter than the scope rule's threshold for the scope's current size (else
  // kInvalidInput saying which values are allowed); a reason is required. Identify then uses
  // it, also past max_scope_size while it keeps the expected stranger accept rate within the
  // target (1%). Audited with the actor and the reason.
  Result<IdentifyThresholdReport> SetIdentifyThreshold(const std::string& purpose, float threshold,
                                                       const std::string& reason,
                                                       const std::string& actor);
  // Removes the operator's threshold (the scope rule applies again). Audited; kNotFound if none.
  Result<IdentifyThresholdReport> ClearIdentifyThreshold(const std::string& purpose,
                                                         const std::string& reason,
                                                         const std::string& actor);
  // The operator's threshold (if any) and the scope rule at the current size.
  Result<IdentifyThresholdReport> GetIdentifyThreshold(const std::string& purpose);

  // Open-set accuracy on labelled photos (lines identity TAB path; probe
  // identities absent from the gallery are strangers). Each identity's gallery
  // photos give one mean template, as in a scope. threshold <= 0: the scope
  // rule for the gallery's size.
  Result<EvalIdentifyReport> EvalIdentify(const std::string& gallery_file, const std::string& probes_file,
                                          const std::string& root, const std::string& actor,
                                          float threshold = 0);

  // Deletes every template past its expiry (retention period or the end of the
  // consent it rests on) from the store, and destroys the key of every subject
  // left without templates, so backups of them become unreadable (REQ S5, S7).
  // Runs from `facegate retention sweep` and periodically inside `serve`.
  Result<SweepReport> SweepRetention(const std::string& actor);

  // Called while a scope is loaded from the sealed store (templates done of total),
  // e.g. for a progress bar on a terminal.
  void SetScopeLoadProgress(
      std::function<void(const std::string& purpose, size_t done, size_t total)> progress);

  // Analyses photos for a purpose declared for analysis: age band, gender and
  // expression counts with groups under k suppressed; nothing per face is kept,
  // only the aggregate (in the audit log) (REQ SC3, AN1, AN2, AN4).
  // At most kMaxAnalyzeImages photos and kMaxAnalyzePixels pixels (from their headers) per
  // call, else kInvalidInput before anything is decoded.
  // A purpose resting on consent names the consenting person analysed (`subject`, REQ AN4).
  Result<AnalyzeReport> Analyze(const std::string& purpose, const std::vector<std::string>& image_bytes,
                                int k, const std::string& actor, const std::string& subject = "");
  // The statistics of an analysis purpose (REQ AN2): its calendar windows starting in [from, to),
  // oldest first; each ended one released first (groups of at least k faces, the rest
  // withheld and named), the open one with its size only. Releases are audited.
  Result<std::vector<AnalysisWindowRecord>> AnalysisStatistics(const std::string& purpose, UnixTime from,
                                                               UnixTime to, const std::string& actor);
  static constexpr size_t kMaxAnalyzeImages = 64;
  static constexpr int64_t kMaxAnalyzePixels = 100'000'000;

  // Writes a consistent copy of the embedded SQLite database to `path` without
  // the wrapped subject keys: a backup's templates open only with a key the live
  // store still holds, so a later withdrawal or expiry shreds the backup's copy
  // too (REQ S7). PostgreSQL: kInvalidInput naming the pg_dump equivalent. Audited.
  Status Backup(const std::string& path, const std::string& actor);
  // The same for a backup that goes to `recipient` (its storage provider): one abroad (a PIPL 38
  // mechanism recorded for it) is refused "S8" unless every person with data has a separate,
  // active consent naming it as PIPL 39 asks. "" : kept here.
  Status Backup(const std::string& path, const std::string& recipient, const std::string& actor);

  // Records the PIPL 38 mechanism for one recipient outside mainland China (REQ S8), replacing
  // an earlier record of it; audited. Nothing goes abroad without one.
  Status RecordTransferBasis(const TransferBasisRecord& t, const std::string& actor);
  Result<std::vector<TransferBasisRecord>> ListTransferBases();
  // Ok when `recipient` is not abroad (no mechanism recorded), or every person holding data here
  // has a separate, active disclosure consent naming it with its country, contact and rights
  // (PIPL 39); kRefused "S8" counting those without, `what` naming the transfer in the message.
  Status CheckTransferOfEveryone(const std::string& recipient, const std::string& what);
  // Analyses a video file or a camera for a purpose declared for analysis (REQ SC3, AN4):
  // per window, counts by age band, gender and expression, groups under k people suppressed
  // (REQ AN2). Frames are read, analysed in memory and dropped; none is written anywhere
  // (REQ AN1, AN3). Each finished window is audited (aggregates only) and passed to
  // on_window; `stop` (may be empty) is polled between frames to end a camera run.
  Result<VideoAnalyzeReport> AnalyzeVideo(const std::string& purpose, const VideoInput& input,
                                          const VideoAnalyzeOptions& options, const std::string& actor,
                                          std::function<void(const VideoWindow&)> on_window = {},
                                          std::function<bool()> stop = {});
  // Driver drowsiness over a video file or a camera for an analysis purpose: blinks, PERCLOS,
  // yawns and a level with its reason; on_alert is called each time the level rises (the
  // in-car alert). The largest face is the driver's. No frame is kept or written (REQ AN1,
  // AN3); the audit gets the run's totals, not a timeline.
  Result<DrowsinessVideoReport> Drowsiness(const std::string& purpose, const VideoInput& input,
                                           const DrowsinessOptions& options, const std::string& actor,
                                           std::function<void(const DrowsinessAlert&)> on_alert = {},
                                           std::function<bool()> stop = {});
  // Age MAE and gender accuracy per age band on labelled photos (lines path TAB age TAB M|F),
  // photos without a face counted as errors; research grant, audited, nothing stored (REQ P3).
  Result<EvalAttributesReport> EvalAttributes(const std::string& attributes_file, const std::string& root,
                                              const std::string& actor, bool faceapi_pipeline = false);
  // Eye-state accuracy on labelled photos (lines path TAB open|closed|one_closed) with a
  // confusion table; no face or UNSURE counted as errors; research grant, audited (REQ P3).
  Result<EvalEyesReport> EvalEyes(const std::string& eyes_file, const std::string& root,
                                  const std::string& actor);
  // Presentation-attack detection on labelled images (lines path TAB live|print|replay|<kind>
  // TAB subject=ID): APCER per kind, BPCER, ACER, ROC AUC at the thresholds in force, and on
  // held-out subjects after calibrating on the others; research grant, audited (REQ P3).
  Result<EvalLivenessReport> EvalLiveness(const std::string& list_file, const std::string& root,
                                          const std::string& actor, const EvalLivenessOptions& options = {});

  // ---- Minors (REQ M1-M3) ----
  // Registers the subject if new and declares its birth date ("YYYY-MM-DD", not in the
  // future). A date once declared is never changed or cleared here (kRefused "M1": a child
  // cannot be made an adult by a second declaration); ChangeBirthDate does that. Declaring the
  // same date again is a no-op. Audited. Returns the record with its age now.
  Result<SubjectInfo> DeclareSubject(const std::string& subject, const std::string& birth_date,
                                     const std::string& actor);
  // REQ M1: another person (never `changer`) approves that `changer` may change `subject`'s
  // declared birth date to `birth_date` ("" = clear), with a reason, for `valid_seconds`
  // (60..604800). The approval is an audit event; it is used at most once. Returns its expiry.
  Result<UnixTime> ApproveBirthDateChange(const std::string& subject, const std::string& birth_date,
                                          const std::string& changer, const std::string& reason,
                                          int64_t valid_seconds, const std::string& approver);
  // Changes (or clears) a declared birth date under an unused, unexpired approval naming this
  // actor and exactly this date; kRefused "M1" without one. The caller checks the actor is an
  // admin (REST: admin keys only). Audited with the reason and the approval's sequence number.
  Result<SubjectInfo> ChangeBirthDate(const std::string& subject, const std::string& birth_date,
                                      const std::string& reason, const std::string& actor);
  // The subject's identity record, audited as "subject.read" (REQ S6); reading a child's record
  // needs an approval for the reader (ApproveMinorAccess) and is audited as "minor.read" (REQ M3).
  Result<SubjectInfo> ShowSubject(const std::string& subject, const std::string& actor);
  // REQ M3: another person (the approver, never the reader) allows `reader` to read the records
  // of the child `subject` for `valid_seconds` (60..604800), with a reason. Without it, reads of a
  // child's records (subject show, consent list, receipt, rights export) are refused "M3". The
  // approval is itself an audit event (tamper-evident, in the yearly export). Returns its expiry.
  Result<UnixTime> ApproveMinorAccess(const std::string& subject, const std::string& reader,
                                      const std::string& reason, int64_t valid_seconds,
                                      const std::string& approver);
  // Sets a policy switch, persisted and audited: "minors-face" = "on" | "off"
  // ("off": the Gate refuses every face operation for under-14s, REQ M2).
  Status SetPolicy(const std::string& name, const std::string& value, const std::string& actor);
  // Every policy switch with its value in force (defaults included).
  Result<std::vector<std::pair<std::string, std::string>>> Policies();
  // The yearly audit export of access to children's data (REQ M3). Audited.
  Result<MinorsAuditReport> MinorsAudit(int year, const std::string& actor);

  // ---- Third-party disclosure and imported photos (REQ C8, P1, P2) ----
  // Hands the subject's templates for `purpose` to `recipient`, sealed to the
  // recipient's X25519 public key (32 bytes). Refused "C8" without an active
  // disclosure consent naming that recipient; a public recipient is always
  // refused. Audited, refusals included.
  Result<DisclosureResult> Disclose(const std::string& subject, const std::string& purpose,
                                    const std::string& recipient, const std::string& recipient_public_key,
                                    const std::string& actor);
  // Enrols a photo the person did not hand over at capture: a public photo or a
  // profile picture (`source` "public-photo" | "profile-picture"). Refused "P1"
  // unless the person gave a separate, active import consent naming that source.
  Result<EnrolResult> EnrolImported(const std::string& subject, const std::string& purpose,
                                    const std::string& image_bytes, const std::string& source,
                                    const std::string& session, const std::string& actor);

  // ---- Rights of the person (REQ R1, R2; src/service/rights.cpp) ----
  // Each call below that takes `request_id` completes that open request of the
  // right kind; with 0 it records a new request and completes it at once, so
  // every exercise of a right is tracked. Every call is audited (REQ S6).

  // Records a request with its deadline (received now + Config::rights_due_days).
  // kInvalidInput for an unknown kind; human_review needs the audit event of an
  // identification (REQ R2).
  Result<RightsRequestRecord> OpenRightsRequest(const RightsRequestInput& in, const std::string& actor);
  Result<RightsRequestRecord> GetRightsRequest(int64_t id);
  // Requests of `subject` ("" = everyone), newest first; open_only: still open.
  Result<std::vector<RightsRequestRecord>> ListRightsRequests(const std::string& subject, bool open_only);
  // Marks an open request done (for what was handled elsewhere), with a note.
  Result<RightsRequestRecord> CompleteRightsRequest(int64_t id, const std::string& note,
                                                    const std::string& actor);
  // Refuses an open request; the reason is required and told to the person (REQ R1).
  Result<RightsRequestRecord> RefuseRightsRequest(int64_t id, const std::string& reason,
                                                  const std::string& actor);
  // Access and copy: everything held about the subject (identity row, consents
  // with their notice versions, template metadata but never the vectors,
  // alternatives, refusals, restrictions, requests and the match log), as JSON
  // and Markdown. The export is audited (REQ R1, S6).
  Result<RightsDocument> ExportSubject(const std::string& subject, int64_t request_id,
                                       const std::string& actor);
  // REQ R1: another person than the one who will carry it out approves an open correction
  // request (a new face replaces the enrolled one), with a reason. Audited; the approval is
  // what lets CorrectEnrolment store a face that does not match the enrolled one.
  Status ApproveCorrection(int64_t request_id, const std::string& reason, const std::string& approver);
  // Correction: replaces the subject's templates for the purpose with the one face in a new
  // photo, under the existing consent (the Gate decides). Needs an open correction request
  // (request_id > 0) approved by another person (ApproveCorrection); the photo passes the
  // quality check and the purpose's liveness rule as at enrolment. The old templates are
  // deleted in the same transaction as the new one is stored.
  Result<CorrectionResult> CorrectEnrolment(const std::string& subject, const std::string& purpose,
                                            const std::string& image_bytes, const std::string& session,
                                            int64_t request_id, const std::string& actor);
  // Deletion: every consent withdrawn, every template deleted (store and search
  // indexes), the subject key destroyed, the identity row anonymised; the audit
  // log keeps only the pseudonymous id (REQ R1, C4, S7).
  Result<ErasureResult> EraseSubject(const std::string& subject, int64_t request_id,
                                     const std::string& actor);
  // Withdrawal through a tracked request: WithdrawConsent for one purpose (REQ R1, C4).
  Result<WithdrawResult> WithdrawByRequest(const std::string& subject, const std::string& purpose,
                                           int64_t request_id, const std::string& actor);
  // Restriction: the Gate refuses every face operation for the subject (R1)
  // while the data is kept; LiftRestriction restores processing.
  Result<RestrictionRecord> RestrictSubject(const std::string& subject, int64_t request_id,
                                            const std::string& actor);
  Status LiftRestriction(const std::string& subject, const std::string& actor);
  // Explanation: for the subject's latest decisions (at most `limit`), the
  // rules applied: requirement ids with their citations, threshold, distance,
  // model and outcome, from the audit log and the rule table (REQ R1).
  Result<RightsDocument> ExplainDecisions(const std::string& subject, int64_t limit,
                                          int64_t request_id, const std::string& actor);
  // Human review of a 1:N decision (REQ R2): a reviewer records "confirmed" or
  // "overturned" with a reason on an open human_review request, which completes it.
  Result<RightsRequestRecord> RecordReview(int64_t request_id, const std::string& outcome,
                                           const std::string& reason, const std::string& actor);

  // ---- Breaches (REQ S9, PIPL 57; src/service/breach.cpp, docs/breach.md) ----
  // Steps: open -> assess -> notify-authority -> notify-people | no-notify -> close
  // (after no-notify the authority may still require notify-people). A step out of
  // order is kConflict naming the current status and the next allowed step. Every
  // step is audited (REQ S6).

  // Records a breach (kInvalidInput naming a missing PIPL 57 field, an unknown kind
  // or purpose, or a window that ends after now).
  Result<BreachRecord> OpenBreach(const BreachInput& in, const std::string& actor);
  // Computes from the store who had data of the breached kinds for the purposes
  // concerned during the window, with their kinds per person, and stores them.
  Result<BreachView> AssessBreach(int64_t id, const std::string& actor);
  // The breach with its affected people (a read of personal data: audited).
  Result<BreachView> ShowBreach(int64_t id, const std::string& actor);
  Result<std::vector<BreachRecord>> ListBreaches();
  // The report to the authority (PIPL 57 contents, people per kind, purposes,
  // window, measures); records the authority's reference and the time.
  Result<BreachDocument> NotifyAuthority(int64_t id, const std::string& reference,
                                         const std::string& actor);
  // One notice per affected person (zh + en): their pseudonymous id, which of their
  // data kinds were involved, what they can do, the contact; records notified_at.
  Result<BreachDocument> NotifyPeople(int64_t id, const std::string& actor);
  // Records the decision not to notify people because the measures effectively
  // avoid harm (PIPL 57); the reason is required.
  Result<BreachRecord> DecideNotToNotify(int64_t id, const std::string& reason, const std::string& actor);
  // Closes the breach; the record then expires after Config::breach_retention_days (REQ S5).
  Result<BreachRecord> CloseBreach(int64_t id, const std::string& actor);

  // Recomputes the hash chain (REQ S6), then checks it against every signed checkpoint in
  // <data_dir>/audit-checkpoints.jsonl: a checkpoint whose signature fails, an event whose
  // hash differs from the one a checkpoint recorded (the chain was rewritten and rehashed) or a
  // chain that ends before a checkpoint's event (its tail was cut) makes it not intact, naming
  // which (docs/security.md, "Audit anchor").
  Result<AuditCheck> VerifyAudit();
  // Events after `after_seq`, at most `limit`. The log names people: a reader's read is itself an
  // event ("audit.read", REQ S6), appended after the events it returns. The overload without an
  // actor is for the service's own checks and the tests, never for a person's read.
  Result<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int64_t limit, const std::string& actor);
  Result<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int64_t limit);
  // The newest audit event (nullopt for an empty log), found with O(log n) one-row reads.
  Result<std::optional<AuditEvent>> AuditHead();

  // A checkpoint of the audit chain's head, signed with Ed25519 under a key derived from the
  // master key (which a database administrator does not hold).
  struct AuditCheckpoint {
    int64_t seq = 0;
    std::string hash;  // the head event's hash
    UnixTime at = 0;
    std::string signature;  // base64 Ed25519 over "facegate.audit.checkpoint.v1\n<seq>\n<hash>\n<at>"
    bool written = false;   // false: the head had not moved since the last checkpoint
    std::string line;       // the JSON line as written (for the server log)
  };
  // Appends a checkpoint of the head to <data_dir>/audit-checkpoints.jsonl (0600, fsync'd)
  // unless the newest one there already holds it. `serve` makes one at start, after every
  // sweep interval in which the log grew, and at stop; `facegate audit checkpoint` on demand.
  Result<AuditCheckpoint> CheckpointAudit();
  // Hex Ed25519 public key the checkpoints verify with, to keep with an outside copy of them.
  std::string AuditSigningPublicKey();

  // Whether device keys may enrol for the purpose (default off: a device verifies or
  // identifies; enrolment is an operator's act). Persisted and audited.
  Status SetDeviceEnrolment(const std::string& purpose, bool allowed, const std::string& actor);
  Result<bool> DeviceEnrolment(const std::string& purpose);

  // ---- Devices, capture sessions and sites (REQ D1-D7; docs/devices.md, docs/sites.md) ----
  // Registers a device as a draft. Refused: a location type of REQ D4 (also when its zone on
  // the registered site has one), a timeout over 60 s (D1), a public-security device with
  // more or less than one purpose (D5), a purpose not declared or for analysis, a bad area.
  Result<DeviceRecord> RegisterDevice(const DeviceRecord& d, const std::string& actor);
  Result<DeviceRecord> GetDevice(const std::string& id);
  Result<std::vector<DeviceRecord>> ListDevices(const std::string& site = "");
  // Records the signage of the device's area as confirmed on site by `signage.confirmed_by`
  // (REQ D5); the notice version must be published for each of its purposes.
  Result<DeviceRecord> ConfirmSignage(const std::string& device, const DeviceSignage& signage,
                                      const std::string& actor);
  // Puts the device live. Refused with the rule's id: a purpose without a notice (N1); an
  // automatic device without its complete, confirmed signage for the notice in force (D5);
  // a site whose routes, with this device live, fail the check (D4, D6).
  Result<DeviceRecord> SetDeviceLive(const std::string& device, const std::string& actor);
  Result<DeviceRecord> SuspendDevice(const std::string& device, const std::string& reason,
                                     const std::string& actor);
  // Opens a capture session at a live device (REQ D1): `opened_by` "tap" (the person acted),
  // "presence" (a triggered device declared to start on presence in its marked area) or
  // "automatic" (an automatic device). 1:1 purposes need the subject; 1:N take none. It
  // closes on a result, the choice of another method, or after the device's timeout (<= 60 s).
  // `action` "enrol" makes the capture enrol the subject who tapped instead of matching (a kiosk
  // at an enrolment desk): only on a tap, with a subject, for a purpose that allows enrolment
  // at devices; the Gate then wants the subject's consent for exactly that purpose (REQ C1).
  Result<CaptureSessionRecord> OpenCaptureSession(const std::string& device, const std::string& purpose,
                                                  const std::string& subject, const std::string& opened_by,
                                                  const std::string& actor, const std::string& action = "match");
  Result<CaptureSessionRecord> GetCaptureSession(const std::string& id);
  // One frame of an open session: refused before its bytes are decoded when the session is
  // closed, timed out (D1) or face-free (D7); otherwise only faces inside the device's
  // collection area are processed (D2) and the largest is verified or identified, or enrolled
  // in an "enrol" capture (outcome "enrolled"; a face too poor to enrol is "retake" with its
  // quality, and the capture goes on).
  Result<FrameResult> SubmitFrame(const std::string& session, const std::string& image_bytes,
                                  const std::string& actor);
  // The person chose another method at the device (REQ A2, D7): the session turns face-free
  // and closes, and a face-free transaction opens for `method` (one of the purpose's
  // alternatives). Returns the closed session with the transaction's id.
  Result<CaptureSessionRecord> ChooseAlternativeAtSession(const std::string& session, const std::string& method,
                                                          const std::string& actor);
  // Feeds a video file or camera through a live automatic device's rules (or a triggered one
  // declared to start on presence): faces outside its area are dropped before landmarks (D2),
  // each pass of a face through the area is tracked and identified once in its own capture
  // session, and nothing of a non-match or a bystander is kept (D3).
  Result<WatchReport> WatchDevice(const std::string& device, const VideoInput& input, const WatchOptions& options,
                                  const std::string& actor, std::function<void(const WatchEvent&)> on_event = {},
                                  std::function<bool()> stop = {});
  // Registers (or replaces) a site file (docs/sites.md). Stored with its check, which
  // counts the registered devices placed on it; replacing a site is refused when a live
  // device is on it and the new file fails the check (D4, D6).
  Result<SiteRecord> RegisterSite(const std::string& json_document, const std::string& actor);
  Result<SiteRecord> GetSite(const std::string& id);
  Result<std::vector<SiteRecord>> ListSites();
  // The site's check now, with its registered devices (JSON as `facegate site check --json`),
  // and its map as SVG.
  Result<std::string> CheckSiteNow(const std::string& id, bool* ok = nullptr);
  Result<std::string> SiteMap(const std::string& id);

  // The console's dashboard: people with face data against the filing line (REQ F2), refusals
  // by requirement, alternatives used, rights requests due and overdue (REQ R1). Counts only.
  Result<DashboardReport> Dashboard();

  // ---- Impact assessments, the filing line, reports (REQ F1-F3; docs/reports.md) ----
  // A draft impact assessment of a purpose or device (PIPL 55, 56), its measures drawn from the
  // configuration, never typed in. kInvalidInput naming a missing part. Audited.
  Result<ImpactAssessmentRecord> CreateAssessment(const AssessmentInput& in, const std::string& actor);
  // Another person than the author approves a draft or due assessment: measures drawn again,
  // the document's SHA-256 recorded, the notice version in force bound. Audited.
  Result<ImpactAssessmentRecord> ApproveAssessment(int64_t id, const std::string& approver,
                                                   const std::string& actor);
  Result<ImpactAssessmentRecord> GetAssessment(int64_t id);  // kNotFound
  // Assessments of a target ("" every target; kind "" every kind), newest first.
  Result<std::vector<ImpactAssessmentRecord>> ListAssessments(const std::string& target_kind,
                                                              const std::string& target);
  // The assessment as a document (plain text; its SHA-256 is the one recorded at approval).
  static std::string AssessmentDocument(const ImpactAssessmentRecord& a);
  // Counts the distinct people with face data (plus every active tenant's with `across_tenants`)
  // and records each mark first crossed with its date and, for the filing line, the due date
  // 30 working days later (audited).
  Result<FilingStatus> CheckFilingLine(const std::string& actor, bool across_tenants = false);
  // The filing pack (JSON) for the provincial cyberspace office (Measures 15). Audited.
  Result<std::string> FilingPack(const std::string& actor, bool across_tenants = false);
  // The compliance report of [from, to) (REQ F3), with accuracy figures from `eval_results`
  // (the JSON of `facegate eval ... --json`; "" none). Audited.
  Result<ComplianceReport> MakeComplianceReport(UnixTime from, UnixTime to, const std::string& eval_results,
                                                const std::string& actor);

  // Alternatives declared for a purpose (empty if unknown).
  std::vector<std::string> AlternativesOf(const std::string& purpose);
  store::Store& store();
  Result<vision::Engine*> engine();
  const Config& config() const;

 private:
  struct Impl;
  struct FrameScope;  // a device's frame: its area, tracked face, decoded image (devices.cpp)
  explicit Service(std::unique_ptr<Impl> impl);
  // Enrol with a device's frame (its area, REQ D2) or, frame null, a plain photo.
  Result<EnrolResult> EnrolIn(const std::string& subject, const std::string& purpose,
                              const std::string& image_bytes, const std::string& session,
                              const std::string& actor, FrameScope* frame);
  Result<VerifyResult> VerifyIn(const std::string& subject, const std::string& purpose,
                                const std::string& image_bytes, const std::string& session,
                                const std::string& actor, FrameScope* frame);
  Result<IdentifyResult> IdentifyIn(const std::string& purpose, const std::string& image_bytes,
                                    const std::string& session, const std::string& actor, FrameScope* frame);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facegate::service
