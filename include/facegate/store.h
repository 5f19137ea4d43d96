// The Store keeps purposes, notices, subjects, consents, sealed templates and
// the audit chain. SQLite is the embedded default; other backends implement
// the same interface. All methods are thread-safe.
#pragma once

#include <facegate/records.h>
#include <facegate/status.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace facegate::store {

class Store {
 public:
  virtual ~Store() = default;

  // Runs `body` in one transaction: all its writes land, or none (crash-safe).
  virtual Status Transaction(const std::function<Status()>& body) = 0;

  // Purposes. AddPurpose fails with kConflict if the name exists.
  virtual Status AddPurpose(const PurposeRecord& p) = 0;
  virtual Result<PurposeRecord> GetPurpose(const std::string& name) = 0;  // kNotFound
  virtual Result<std::vector<PurposeRecord>> ListPurposes() = 0;
  // PIPL 38 mechanisms per recipient abroad (REQ S8). Put replaces the recipient's record.
  virtual Status PutTransferBasis(const TransferBasisRecord& t) = 0;
  virtual Result<TransferBasisRecord> GetTransferBasis(const std::string& recipient) = 0;  // kNotFound
  virtual Result<std::vector<TransferBasisRecord>> ListTransferBases() = 0;
  // Sensitive inferences per analysis purpose (REQ AN3; sql_store_inferences.cpp). Enable
  // records a switch-on (ending the one in force, kept as history); Disable ends the one in
  // force (false when none was); InForce is nullopt when it is off; List gives the history of
  // `purpose` ("" = all), oldest first.
  virtual Status EnableInference(const InferenceRecord& r) = 0;
  virtual Result<bool> DisableInference(const std::string& purpose, const std::string& inference, UnixTime at,
                                        const std::string& actor) = 0;
  virtual Result<std::optional<InferenceRecord>> InferenceInForce(const std::string& purpose,
                                                                  const std::string& inference) = 0;
  virtual Result<std::vector<InferenceRecord>> ListInferences(const std::string& purpose) = 0;
  // Analysis statistics per calendar window (REQ AN2; sql_store_analysis.cpp). AddToAnalysisWindow
  // opens the window if needed and adds one request: its photos, its groups' counts (raising k
  // to the request's), and the hashes of the pictures it counted; kConflict if the window was
  // released already. AnalysisSeen gives the hashes counted in windows of `purpose` starting at
  // or after `since`. ReleaseAnalysisWindow writes the released numbers of `w` while it is still
  // open (false if another caller released it first) and deletes its tallies.
  // ForgetAnalysisPictures deletes the hashes of windows that started before `before` and
  // returns how many. EndedAnalysisWindows: open windows of `purpose`
  // ("" = all) that ended by `now`. ListAnalysisWindows: windows starting in [from, to), oldest
  // first, open ones without numbers.
  virtual Status AddToAnalysisWindow(const AnalysisWindowRecord& w, const std::vector<std::pair<std::string, int64_t>>& groups,
                                     const std::vector<std::string>& hashes) = 0;
  virtual Result<std::vector<std::string>> AnalysisSeen(const std::string& purpose, UnixTime since) = 0;
  virtual Result<int64_t> ForgetAnalysisPictures(UnixTime before) = 0;
  virtual Result<std::vector<std::pair<std::string, int64_t>>> AnalysisTallies(const std::string& purpose,
                                                                               UnixTime start) = 0;
  virtual Result<bool> ReleaseAnalysisWindow(const AnalysisWindowRecord& w) = 0;
  virtual Result<std::vector<AnalysisWindowRecord>> EndedAnalysisWindows(const std::string& purpose,
                                                                         UnixTime now) = 0;
  virtual Result<std::vector<AnalysisWindowRecord>> ListAnalysisWindows(const std::string& purpose, UnixTime from,
                                                                        UnixTime to) = 0;
  // Records the lawful basis of a purpose and its justification (REQ C2, AN4); kNotFound.
  virtual Status SetPurposeBasis(const std::string& name, const std::string& basis,
                                 const std::string& justification) = 0;

  // Notices: the store assigns id and the next version for the purpose.
  virtual Result<NoticeRecord> PublishNotice(const NoticeRecord& n) = 0;
  virtual Result<NoticeRecord> GetNotice(int64_t id) = 0;                    // kNotFound
  virtual Result<NoticeRecord> LatestNotice(const std::string& purpose) = 0;  // kNotFound

  // Subjects (identity side, REQ S3): pseudonymous id and optional display name.
  virtual Status EnsureSubject(const std::string& subject, UnixTime now) = 0;
  virtual Result<bool> SubjectExists(const std::string& subject) = 0;

  // Consents. AddConsent assigns the id.
  virtual Result<ConsentRecord> AddConsent(const ConsentRecord& c) = 0;
  virtual Result<ConsentRecord> GetConsent(int64_t id) = 0;  // kNotFound
  // All consents of a subject for a purpose, newest first.
  virtual Result<std::vector<ConsentRecord>> ListConsents(const std::string& subject,
                                                          const std::string& purpose) = 0;
  // Spend a "once" consent; kConflict if already spent (atomic test-and-set; REQ C5).
  virtual Status MarkConsentUsed(int64_t id, UnixTime at) = 0;
  virtual Status MarkConsentWithdrawn(int64_t id, UnixTime at) = 0;

  // Sealed templates (REQ S3, S4). PutTemplate assigns the id.
  virtual Result<int64_t> PutTemplate(const SealedTemplate& t) = 0;
  virtual Result<std::vector<SealedTemplate>> GetTemplates(const std::string& subject,
                                                           const std::string& purpose) = 0;
  // Every template enrolled for the purpose (a 1:N scope's candidates, REQ SC2),
  // ordered by subject, then id.
  virtual Result<std::vector<SealedTemplate>> ListTemplatesForPurpose(const std::string& purpose) = 0;
  // The same, only templates with id > after_id: what a scope index loaded
  // earlier has not seen (another node's enrolments, REQ SC2).
  virtual Result<std::vector<SealedTemplate>> ListTemplatesForPurposeAfter(const std::string& purpose,
                                                                           int64_t after_id) = 0;
  // A number that changes whenever a template of the purpose is written or
  // deleted (0 before the first): one cheap read tells a node whether its scope
  // index missed a change made by another node (REQ SC2, C4, S7).
  virtual Result<int64_t> PurposeTemplateVersion(const std::string& purpose) = 0;
  // Ids of every template of the purpose, ascending (finds deletions made elsewhere, REQ S7).
  virtual Result<std::vector<int64_t>> ListTemplateIdsForPurpose(const std::string& purpose) = 0;
  // Returns how many were deleted.
  virtual Result<int64_t> DeleteTemplates(const std::string& subject, const std::string& purpose) = 0;
  // Deletes every template whose expires_at <= now and returns what was deleted
  // (ids, subjects, purposes; the ciphertext fields are left empty) (REQ S5).
  virtual Result<std::vector<SealedTemplate>> DeleteExpiredTemplates(UnixTime now) = 0;
  virtual Result<int64_t> CountTemplates(const std::string& subject) = 0;
  // The subject's templates for one purpose (whether that purpose's key still seals any).
  virtual Result<int64_t> CountTemplates(const std::string& subject, const std::string& purpose) = 0;

  // Per-subject data keys, stored wrapped by the master key (REQ S4, S7).
  virtual Result<std::string> GetWrappedSubjectKey(const std::string& subject) = 0;  // kNotFound
  virtual Status PutWrappedSubjectKey(const std::string& subject, const std::string& wrapped) = 0;
  // Crypto-shredding: every sealed copy of the subject's templates becomes unreadable (REQ S7);
  // the subject's per-purpose keys go too.
  virtual Status DestroySubjectKey(const std::string& subject) = 0;
  // Per subject-and-purpose data keys, wrapped by the master key: what seals templates since
  // schema 12, so withdrawing one purpose shreds that purpose's copies only (REQ S7).
  virtual Result<std::string> GetWrappedPurposeKey(const std::string& subject,
                                                   const std::string& purpose) = 0;  // kNotFound
  // kConflict when the pair has a key already (another writer made it first: read that one).
  virtual Status PutWrappedPurposeKey(const std::string& subject, const std::string& purpose,
                                      const std::string& wrapped) = 0;
  // Crypto-shredding of one purpose's templates, backups included; true if a key was destroyed.
  virtual Result<bool> DestroyPurposeKey(const std::string& subject, const std::string& purpose) = 0;
  // Wrapped keys of either kind held: a database with any needs the master key that wrapped them.
  virtual Result<int64_t> CountWrappedKeys() = 0;

  // Alternative (face-free) transactions (REQ A2, C6, D7). OpenAlternative assigns the id;
  // the purpose must exist (kNotFound).
  virtual Result<int64_t> OpenAlternative(const AlternativeRecord& a) = 0;
  virtual Result<AlternativeRecord> GetAlternative(int64_t id) = 0;  // kNotFound
  // Records the outcome ("granted"|"denied"); kConflict if already closed (atomic).
  virtual Status CloseAlternative(int64_t id, const std::string& outcome, UnixTime at) = 0;
  // The newest transaction of subject, purpose and session open at `now`, if any.
  virtual Result<std::optional<AlternativeRecord>> OpenAlternativeFor(const std::string& subject,
                                                                      const std::string& purpose,
                                                                      const std::string& session,
                                                                      UnixTime now) = 0;

  // The newest transaction of anyone for purpose in session open at `now` (1:N at a device,
  // where the person is not known: REQ D7), if any.
  virtual Result<std::optional<AlternativeRecord>> OpenAlternativeInSession(const std::string& purpose,
                                                                            const std::string& session,
                                                                            UnixTime now) = 0;

  // Alternative connectors (REQ A4; migration 10). Set replaces the binding of (purpose,
  // method); Get is nullopt when none is set (the method is then checked by staff).
  virtual Status SetAlternativeConnector(const AlternativeConnectorRecord& c) = 0;
  virtual Result<std::optional<AlternativeConnectorRecord>> GetAlternativeConnector(
      const std::string& purpose, const std::string& method) = 0;
  virtual Result<std::vector<AlternativeConnectorRecord>> ListAlternativeConnectors(
      const std::string& purpose) = 0;
  // A person's PIN/card verifier; Put replaces the earlier one for (subject, purpose, method).
  virtual Status PutAlternativeCredential(const AlternativeCredentialRecord& c) = 0;
  virtual Result<std::optional<AlternativeCredentialRecord>> GetAlternativeCredential(
      const std::string& subject, const std::string& purpose, const std::string& method) = 0;
  // Deletes the subject's credentials (every purpose when purpose is ""); returns how many.
  virtual Result<int64_t> DeleteAlternativeCredentials(const std::string& subject,
                                                       const std::string& purpose) = 0;
  // Deletes credentials whose expiry has passed (REQ S5); returns how many.
  virtual Result<int64_t> DeleteExpiredAlternativeCredentials(UnixTime now) = 0;
  // Marks a single-use token's nonce used; kConflict when it was used before (atomic).
  virtual Status ClaimAlternativeToken(const std::string& nonce, UnixTime at, UnixTime expires_at) = 0;
  // Counts one more credential presented on an open transaction; returns the new count.
  // kConflict when the transaction is closed.
  virtual Result<int64_t> CountAlternativeAttempt(int64_t id) = 0;

  // Consent refusals, for the quiet period before asking again (REQ C7).
  virtual Status RecordConsentRefusal(const std::string& subject, const std::string& purpose,
                                      UnixTime at) = 0;
  // The time of the latest refusal of subject for purpose, if any.
  virtual Result<std::optional<UnixTime>> LastConsentRefusal(const std::string& subject,
                                                             const std::string& purpose) = 0;

  // Minors (REQ M1-M3): the subject's declared birth date, "YYYY-MM-DD" ("" clears
  // it). kNotFound for an unknown subject (register it with EnsureSubject first).
  virtual Status SetSubjectBirthDate(const std::string& subject, const std::string& birth_date) = 0;
  // The declared birth date, "" when none was declared; kNotFound for an unknown subject.
  virtual Result<std::string> SubjectBirthDate(const std::string& subject) = 0;

  // Persisted policy switches, e.g. "minors-face" = "off" (REQ M2) or the recorded
  // basis for a remote database (REQ S8). GetSetting: nullopt when never set.
  virtual Status PutSetting(const std::string& name, const std::string& value, UnixTime at) = 0;
  virtual Result<std::optional<std::string>> GetSetting(const std::string& name) = 0;
  // Rights of the person (REQ R1, R2). AddRightsRequest assigns the id; the
  // kind, status and times are checked by the schema (kInvalidInput).
  virtual Result<RightsRequestRecord> AddRightsRequest(const RightsRequestRecord& r) = 0;
  virtual Result<RightsRequestRecord> GetRightsRequest(int64_t id) = 0;  // kNotFound
  // Requests of `subject` ("" = everyone's), newest first; only open ones if `open_only`.
  virtual Result<std::vector<RightsRequestRecord>> ListRightsRequests(const std::string& subject,
                                                                      bool open_only) = 0;
  // Closes an open request as "done" or "refused" (a refusal needs a reason);
  // kConflict if it was closed already (atomic test-and-set).
  virtual Status CloseRightsRequest(int64_t id, const std::string& status,
                                    const std::string& handled_by, const std::string& reason,
                                    const std::string& detail, UnixTime at) = 0;
  // Restriction of processing (REQ R1). Place: kConflict if one is active already.
  virtual Status PlaceRestriction(const std::string& subject, int64_t request_id, UnixTime at) = 0;
  // Lifts the active restriction; kNotFound if there is none.
  virtual Status LiftRestriction(const std::string& subject, UnixTime at) = 0;
  virtual Result<std::optional<RestrictionRecord>> ActiveRestriction(const std::string& subject) = 0;
  // Everything held about the subject except the audit log (templates without
  // their sealed bytes), for an access/copy export (REQ R1).
  virtual Result<SubjectFile> ReadSubjectFile(const std::string& subject) = 0;
  // Audit events naming the subject, oldest first, after `after_seq`, at most `limit` (<= 0: all).
  virtual Result<std::vector<AuditEvent>> ListAuditForSubject(const std::string& subject,
                                                              int64_t after_seq, int64_t limit) = 0;
  // Deletion request (REQ R1): the identity row is anonymised (display name and
  // birth date cleared, erased_at set) and the consents' evidence (signer) and
  // guardian's identity are erased; the pseudonymous id stays so the audit
  // chain keeps its meaning.
  virtual Status EraseSubjectIdentity(const std::string& subject, UnixTime at) = 0;

  // The operator's identification threshold per purpose (REQ SC2; migration 7). Set replaces
  // an earlier one (kNotFound for an unknown purpose); Get is nullopt when none is set; Clear
  // returns whether one was removed.
  virtual Status SetIdentifyThreshold(const IdentifyThresholdRecord& t) = 0;
  virtual Result<std::optional<IdentifyThresholdRecord>> GetIdentifyThreshold(const std::string& purpose) = 0;
  virtual Result<bool> ClearIdentifyThreshold(const std::string& purpose) = 0;

  // Tenants (REQ S10): every subject id of this store, sorted, so that a tenant's
  // end can return and delete each one's data through the Service.
  virtual Result<std::vector<std::string>> ListSubjects() = 0;

  // Breaches (REQ S9, PIPL 57; migration 9). AddBreach assigns the id; the schema
  // checks status, window and the reason of a decision not to notify (kInvalidInput).
  virtual Result<BreachRecord> AddBreach(const BreachRecord& b) = 0;
  virtual Result<BreachRecord> GetBreach(int64_t id) = 0;  // kNotFound
  virtual Result<std::vector<BreachRecord>> ListBreaches() = 0;  // newest first
  // Writes one step: the status, step times, reference, reason and expiry of `b`,
  // only while the stored status is still `from_status` (kConflict otherwise: another
  // handler moved it first; kNotFound for an unknown id).
  virtual Status UpdateBreachStatus(const BreachRecord& b, const std::string& from_status) = 0;
  // Replaces the affected people of a breach (assessment) in one transaction.
  virtual Status PutBreachAffected(int64_t breach_id, const std::vector<BreachAffectedRecord>& people) = 0;
  // The affected people of a breach, ordered by subject.
  virtual Result<std::vector<BreachAffectedRecord>> ListBreachAffected(int64_t breach_id) = 0;
  // Sets notified_at of every affected person of the breach not yet notified.
  virtual Status MarkBreachAffectedNotified(int64_t breach_id, UnixTime at) = 0;
  // Deletes closed breaches whose expires_at <= now with their affected people;
  // returns their ids (REQ S5). Open breaches never expire.
  virtual Result<std::vector<int64_t>> DeleteExpiredBreaches(UnixTime now) = 0;

  // Devices, capture sessions and sites (REQ D1-D7; migration 11). AddDevice: kConflict when
  // the id exists; UpdateDevice replaces every field (kNotFound for an unknown id).
  virtual Status AddDevice(const DeviceRecord& d) = 0;
  virtual Status UpdateDevice(const DeviceRecord& d) = 0;
  virtual Result<DeviceRecord> GetDevice(const std::string& id) = 0;  // kNotFound
  // Devices ordered by id; only those placed on `site` unless it is "".
  virtual Result<std::vector<DeviceRecord>> ListDevices(const std::string& site) = 0;
  // Stores a new open capture with its action ("match" or "enrol"; migration 12).
  virtual Status AddCaptureSession(const CaptureSessionRecord& s) = 0;
  virtual Result<CaptureSessionRecord> GetCaptureSession(const std::string& id) = 0;  // kNotFound
  // Accepts one more frame, atomically, only while the session is open, not face-free and
  // before its expiry at `now`; returns the frame count, or kConflict naming why not.
  virtual Result<int64_t> AcceptCaptureFrame(const std::string& id, UnixTime now) = 0;
  // Closes an open session with `outcome` (result, alternative, timeout, cancelled); an
  // "alternative" also makes it face-free and records its transaction. kConflict when closed.
  virtual Status CloseCaptureSession(const std::string& id, const std::string& outcome,
                                     int64_t alternative_id, UnixTime at) = 0;
  // Closes as "timeout" every open session of `device` ("" every device) past its expiry.
  virtual Result<int64_t> ExpireCaptureSessions(const std::string& device, UnixTime now) = 0;
  // Deletes sessions closed before `before` (they hold no face data; REQ S5); returns how many.
  virtual Result<int64_t> DeleteCaptureSessionsClosedBefore(UnixTime before) = 0;
  virtual Status PutSite(const SiteRecord& s) = 0;  // insert or replace by id
  virtual Result<SiteRecord> GetSite(const std::string& id) = 0;  // kNotFound
  virtual Result<std::vector<SiteRecord>> ListSites() = 0;

  // The operator console's reads (sql_store_dashboard.cpp).
  // Distinct subjects holding at least one template, any purpose: the count the
  // 100,000-person filing line is measured against (REQ F2, Measures 15).
  virtual Result<int64_t> CountPeopleWithFaceData() = 0;
  // Every notice version of the purpose, oldest first (REQ N3); kNotFound for an unknown purpose.
  virtual Result<std::vector<NoticeRecord>> ListNotices(const std::string& purpose) = 0;
  // Audit events refused by the compliance core (outcome "refused:<id>"), counted per
  // requirement id, ordered by id: which rules stop what, for the dashboard.
  virtual Result<std::vector<std::pair<std::string, int64_t>>> CountRefusalsByRequirement() = 0;
  // Face-free transactions (REQ A2, C6) counted per method and outcome ("granted", "denied",
  // "" while open), ordered by method then outcome.
  virtual Result<std::vector<std::pair<std::pair<std::string, std::string>, int64_t>>>
  CountAlternativesByMethod() = 0;
  // Refusals of consent by people (REQ C7), all purposes.
  virtual Result<int64_t> CountConsentRefusals() = 0;

  // Impact assessments (REQ F1; sql_store_assessments.cpp). AddAssessment assigns the id;
  // the schema checks target kind and status (kInvalidInput). No method deletes one: they are
  // kept at least three years whatever else expires (PIPL 56).
  virtual Result<ImpactAssessmentRecord> AddAssessment(const ImpactAssessmentRecord& a) = 0;
  virtual Result<ImpactAssessmentRecord> GetAssessment(int64_t id) = 0;  // kNotFound
  // Assessments of target ("" = every target of the kind; kind "" = all), newest first.
  virtual Result<std::vector<ImpactAssessmentRecord>> ListAssessments(const std::string& target_kind,
                                                                      const std::string& target) = 0;
  // Writes status, approver, approved_at, notice_version, scope_size, measures, due_reason,
  // due_at, document_sha256 and keep_until of `a`, only while the stored status is
  // `from_status` (kConflict otherwise; kNotFound for an unknown id).
  virtual Status UpdateAssessment(const ImpactAssessmentRecord& a, const std::string& from_status) = 0;
  // Marks every approved assessment of (target_kind, target) due for `reason`; returns their ids.
  virtual Result<std::vector<int64_t>> MarkAssessmentsDue(const std::string& target_kind,
                                                          const std::string& target,
                                                          const std::string& reason, UnixTime at) = 0;
  // Distinct subjects holding a template for `purpose` (a scope's size, REQ F1).
  virtual Result<int64_t> CountPeopleForPurpose(const std::string& purpose) = 0;

  // The filing line (REQ F2, F3): a mark is recorded once; false when it was recorded before.
  virtual Result<bool> RecordFilingMark(const FilingMarkRecord& m) = 0;
  virtual Result<std::vector<FilingMarkRecord>> ListFilingMarks() = 0;  // by mark
  // The numbers of the period [from, to) for the compliance report (REQ F3).
  virtual Result<PeriodCounts> CountPeriod(UnixTime from, UnixTime to) = 0;

  // Audit chain (REQ S6): the store assigns seq, prev_hash and hash atomically.
  virtual Result<AuditEvent> AppendAudit(const AuditEvent& e) = 0;
  virtual Result<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int64_t limit) = 0;
  virtual Result<AuditCheck> VerifyAudit() = 0;

  // Retention of records (REQ S5; sql_store_expiry.cpp). Deletes, in one transaction, the
  // consents, refusals, closed transactions, completed requests, lifted restrictions and
  // closed captures that ended before `cutoff`, then every subject record created before it
  // that nothing needs any more (no consent, template, key, credential, request, restriction,
  // open transaction or breach notice left).
  virtual Result<EndedRecords> DeleteEndedRecords(UnixTime cutoff) = 0;
  // Deletes the audit events older than `before` (never the newest: the next event chains onto
  // it) after recording a prune point that carries the chain forward, with the chain locked.
  // pruned = 0 and no point recorded when nothing is old enough.
  virtual Result<AuditPrunePoint> PruneAudit(UnixTime before, UnixTime at, const std::string& actor) = 0;
  virtual Result<std::vector<AuditPrunePoint>> ListAuditPrunePoints() = 0;  // oldest first
};

// Opens (creating if needed) an SQLite store at `path` in WAL mode and runs
// pending migrations. kIntegrity if the schema is newer than this program.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// Connects to PostgreSQL (libpq `conninfo`, e.g. "host=/run/postgresql dbname=facegate") and runs
// pending migrations in the search_path's schema, for several nodes sharing one state.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo);

}  // namespace facegate::store
