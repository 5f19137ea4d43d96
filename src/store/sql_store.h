// The one store::Store over SQLite and PostgreSQL (docs/architecture.md, "The
// one store"): queries, row mapping and transaction logic written once on the
// statement layer (sql.h); what differs between the databases is the
// sql::Connection a dialect hands it (dialect_sqlite.cpp, dialect_postgres.cpp).
// The methods live by record family in sql_store_*.cpp.
//
// Shared semantics: every call holds one recursive mutex; every write runs in a
// transaction that takes the database's write lock first (nested calls become
// savepoints, so a failing call inside a body undoes only itself); atomic
// test-and-set steps are one conditional UPDATE.
#pragma once

#include <facegate/store.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "store/migrations.h"
#include "store/sql.h"

namespace facegate::store {

// Opens the one store on a dialect's connection and applies the missing
// `migrations` (that dialect's rendering of the schema).
Result<std::unique_ptr<Store>> OpenSqlStore(std::unique_ptr<sql::Connection> conn,
                                            const std::vector<Migration>& migrations);

namespace sqlstore {

// LIMIT ? of "no limit" (both databases accept it; PostgreSQL refuses -1).
inline constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

UnixTime Now();
std::string Quote(const std::string& s);

// Column lists and row mappers shared by several families.
extern const char* const kConsentColumns;
extern const char* const kAlternativeColumns;
extern const char* const kRightsColumns;
extern const char* const kRestrictionColumns;
Result<ConsentRecord> ReadConsent(const sql::Row& row);
// id, subject, purpose, model, nonce, ciphertext, created_at, expires_at.
SealedTemplate ReadTemplate(const sql::Row& row);
AlternativeRecord ReadAlternative(const sql::Row& row);
RightsRequestRecord ReadRightsRequest(const sql::Row& row);
RestrictionRecord ReadRestriction(const sql::Row& row);

// Row callbacks for Db::Query: append each row mapped by `read` to `out`, or
// keep the (last) row in `out`.
template <class T, class Read>
auto Append(std::vector<T>& out, Read read) {
  return [&out, read](const sql::Row& row) -> Status {
    out.push_back(read(row));
    return Status::Ok();
  };
}
template <class T, class Read>
auto Assign(std::optional<T>& out, Read read) {
  return [&out, read](const sql::Row& row) -> Status {
    out = read(row);
    return Status::Ok();
  };
}

// The strings of a JSON array stored in a TEXT column; anything else in it is skipped.
std::vector<std::string> ParseStringList(const std::string& json_text);

// kIntegrity: "`record` has `what`: the database was edited; restore from backup".
Status Edited(const std::string& record, const std::string& what);

}  // namespace sqlstore

class SqlStore final : public Store {
 public:
  explicit SqlStore(std::unique_ptr<sql::Connection> conn) : db_(std::move(conn)) {}

  Status Migrate(const std::vector<Migration>& migrations);

  Status Transaction(const std::function<Status()>& body) override;

  Status AddPurpose(const PurposeRecord& p) override;
  Result<PurposeRecord> GetPurpose(const std::string& name) override;
  Result<std::vector<PurposeRecord>> ListPurposes() override;

  Result<NoticeRecord> PublishNotice(const NoticeRecord& n) override;
  Result<NoticeRecord> GetNotice(int64_t id) override;
  Result<NoticeRecord> LatestNotice(const std::string& purpose) override;

  Status EnsureSubject(const std::string& subject, UnixTime now) override;
  Result<bool> SubjectExists(const std::string& subject) override;

  Result<ConsentRecord> AddConsent(const ConsentRecord& c) override;
  Result<ConsentRecord> GetConsent(int64_t id) override;
  Result<std::vector<ConsentRecord>> ListConsents(const std::string& subject,
                                                  const std::string& purpose) override;
  Status MarkConsentUsed(int64_t id, UnixTime at) override;
  Status MarkConsentWithdrawn(int64_t id, UnixTime at) override;

  Result<int64_t> PutTemplate(const SealedTemplate& t) override;
  Result<std::vector<SealedTemplate>> GetTemplates(const std::string& subject,
                                                   const std::string& purpose) override;
  Result<std::vector<SealedTemplate>> ListTemplatesForPurpose(const std::string& purpose) override;
  Result<std::vector<SealedTemplate>> ListTemplatesForPurposeAfter(const std::string& purpose,
                                                                   int64_t after_id) override;
  Result<int64_t> PurposeTemplateVersion(const std::string& purpose) override;
  Result<std::vector<int64_t>> ListTemplateIdsForPurpose(const std::string& purpose) override;
  Result<int64_t> DeleteTemplates(const std::string& subject, const std::string& purpose) override;
  Result<std::vector<SealedTemplate>> DeleteExpiredTemplates(UnixTime now) override;
  Result<int64_t> CountTemplates(const std::string& subject) override;
  Result<int64_t> CountTemplates(const std::string& subject, const std::string& purpose) override;

  Result<std::string> GetWrappedSubjectKey(const std::string& subject) override;
  Status PutWrappedSubjectKey(const std::string& subject, const std::string& wrapped) override;
  Status DestroySubjectKey(const std::string& subject) override;
  Result<std::string> GetWrappedPurposeKey(const std::string& subject, const std::string& purpose) override;
  Status PutWrappedPurposeKey(const std::string& subject, const std::string& purpose,
                              const std::string& wrapped) override;
  Result<bool> DestroyPurposeKey(const std::string& subject, const std::string& purpose) override;
  Result<int64_t> CountWrappedKeys() override;
  Status SetPurposeBasis(const std::string& name, const std::string& basis,
                         const std::string& justification) override;
  Status AddToAnalysisWindow(const AnalysisWindowRecord& w, const std::vector<std::pair<std::string, int64_t>>& groups,
                             const std::vector<std::string>& hashes) override;
  Result<std::vector<std::string>> AnalysisSeen(const std::string& purpose, UnixTime since) override;
  Result<int64_t> ForgetAnalysisPictures(UnixTime before) override;
  Result<std::vector<std::pair<std::string, int64_t>>> AnalysisTallies(const std::string& purpose,
                                                                       UnixTime start) override;
  Result<bool> ReleaseAnalysisWindow(const AnalysisWindowRecord& w) override;
  Result<std::vector<AnalysisWindowRecord>> EndedAnalysisWindows(const std::string& purpose, UnixTime now) override;
  Result<std::vector<AnalysisWindowRecord>> ListAnalysisWindows(const std::string& purpose, UnixTime from,
                                                                UnixTime to) override;
  Status EnableInference(const InferenceRecord& r) override;
  Result<bool> DisableInference(const std::string& purpose, const std::string& inference, UnixTime at,
                                const std::string& actor) override;
  Result<std::optional<InferenceRecord>> InferenceInForce(const std::string& purpose,
                                                          const std::string& inference) override;
  Result<std::vector<InferenceRecord>> ListInferences(const std::string& purpose) override;
  Status PutTransferBasis(const TransferBasisRecord& t) override;
  Result<TransferBasisRecord> GetTransferBasis(const std::string& recipient) override;
  Result<std::vector<TransferBasisRecord>> ListTransferBases() override;

  Result<int64_t> OpenAlternative(const AlternativeRecord& a) override;
  Result<AlternativeRecord> GetAlternative(int64_t id) override;
  Status CloseAlternative(int64_t id, const std::string& outcome, UnixTime at) override;
  Result<std::optional<AlternativeRecord>> OpenAlternativeFor(const std::string& subject,
                                                              const std::string& purpose,
                                                              const std::string& session,
                                                              UnixTime now) override;
  Status SetAlternativeConnector(const AlternativeConnectorRecord& c) override;
  Result<std::optional<AlternativeConnectorRecord>> GetAlternativeConnector(
      const std::string& purpose, const std::string& method) override;
  Result<std::vector<AlternativeConnectorRecord>> ListAlternativeConnectors(
      const std::string& purpose) override;
  Status PutAlternativeCredential(const AlternativeCredentialRecord& c) override;
  Result<std::optional<AlternativeCredentialRecord>> GetAlternativeCredential(
      const std::string& subject, const std::string& purpose, const std::string& method) override;
  Result<int64_t> DeleteAlternativeCredentials(const std::string& subject,
                                               const std::string& purpose) override;
  Result<int64_t> DeleteExpiredAlternativeCredentials(UnixTime now) override;
  Status ClaimAlternativeToken(const std::string& nonce, UnixTime at, UnixTime expires_at) override;
  Result<int64_t> CountAlternativeAttempt(int64_t id) override;

  Status RecordConsentRefusal(const std::string& subject, const std::string& purpose,
                              UnixTime at) override;
  Result<std::optional<UnixTime>> LastConsentRefusal(const std::string& subject,
                                                     const std::string& purpose) override;

  Status SetSubjectBirthDate(const std::string& subject, const std::string& birth_date) override;
  Result<std::string> SubjectBirthDate(const std::string& subject) override;
  Status PutSetting(const std::string& name, const std::string& value, UnixTime at) override;
  Result<std::optional<std::string>> GetSetting(const std::string& name) override;

  Result<RightsRequestRecord> AddRightsRequest(const RightsRequestRecord& r) override;
  Result<RightsRequestRecord> GetRightsRequest(int64_t id) override;
  Result<std::vector<RightsRequestRecord>> ListRightsRequests(const std::string& subject,
                                                              bool open_only) override;
  Status CloseRightsRequest(int64_t id, const std::string& status, const std::string& handled_by,
                            const std::string& reason, const std::string& detail,
                            UnixTime at) override;
  Status PlaceRestriction(const std::string& subject, int64_t request_id, UnixTime at) override;
  Status LiftRestriction(const std::string& subject, UnixTime at) override;
  Result<std::optional<RestrictionRecord>> ActiveRestriction(const std::string& subject) override;
  Result<SubjectFile> ReadSubjectFile(const std::string& subject) override;
  Result<std::vector<AuditEvent>> ListAuditForSubject(const std::string& subject, int64_t after_seq,
                                                      int64_t limit) override;
  Status EraseSubjectIdentity(const std::string& subject, UnixTime at) override;

  Status SetIdentifyThreshold(const IdentifyThresholdRecord& t) override;
  Result<std::optional<IdentifyThresholdRecord>> GetIdentifyThreshold(const std::string& purpose) override;
  Result<bool> ClearIdentifyThreshold(const std::string& purpose) override;
  Result<std::vector<std::string>> ListSubjects() override;  // REQ S10

  Result<BreachRecord> AddBreach(const BreachRecord& b) override;
  Result<BreachRecord> GetBreach(int64_t id) override;
  Result<std::vector<BreachRecord>> ListBreaches() override;
  Status UpdateBreachStatus(const BreachRecord& b, const std::string& from_status) override;
  Status PutBreachAffected(int64_t breach_id, const std::vector<BreachAffectedRecord>& people) override;
  Result<std::vector<BreachAffectedRecord>> ListBreachAffected(int64_t breach_id) override;
  Status MarkBreachAffectedNotified(int64_t breach_id, UnixTime at) override;
  Result<std::vector<int64_t>> DeleteExpiredBreaches(UnixTime now) override;

  Result<std::optional<AlternativeRecord>> OpenAlternativeInSession(const std::string& purpose,
                                                                    const std::string& session,
                                                                    UnixTime now) override;
  Status AddDevice(const DeviceRecord& d) override;  // REQ D1-D7 (sql_store_devices.cpp)
  Status UpdateDevice(const DeviceRecord& d) override;
  Result<DeviceRecord> GetDevice(const std::string& id) override;
  Result<std::vector<DeviceRecord>> ListDevices(const std::string& site) override;
  Status AddCaptureSession(const CaptureSessionRecord& s) override;
  Result<CaptureSessionRecord> GetCaptureSession(const std::string& id) override;
  Result<int64_t> AcceptCaptureFrame(const std::string& id, UnixTime now) override;
  Status CloseCaptureSession(const std::string& id, const std::string& outcome, int64_t alternative_id,
                             UnixTime at) override;
  Result<int64_t> ExpireCaptureSessions(const std::string& device, UnixTime now) override;
  Result<int64_t> DeleteCaptureSessionsClosedBefore(UnixTime before) override;
  Status PutSite(const SiteRecord& s) override;
  Result<SiteRecord> GetSite(const std::string& id) override;
  Result<std::vector<SiteRecord>> ListSites() override;

  // The console's reads (sql_store_dashboard.cpp; REQ F2, N3, C6, C7).
  Result<int64_t> CountPeopleWithFaceData() override;
  Result<std::vector<NoticeRecord>> ListNotices(const std::string& purpose) override;
  Result<std::vector<std::pair<std::string, int64_t>>> CountRefusalsByRequirement() override;
  Result<std::vector<std::pair<std::pair<std::string, std::string>, int64_t>>> CountAlternativesByMethod()
      override;
  Result<int64_t> CountConsentRefusals() override;

  // Impact assessments, the filing line and the report's counts (sql_store_assessments.cpp; REQ F1-F3).
  Result<ImpactAssessmentRecord> AddAssessment(const ImpactAssessmentRecord& a) override;
  Result<ImpactAssessmentRecord> GetAssessment(int64_t id) override;
  Result<std::vector<ImpactAssessmentRecord>> ListAssessments(const std::string& target_kind,
                                                              const std::string& target) override;
  Status UpdateAssessment(const ImpactAssessmentRecord& a, const std::string& from_status) override;
  Result<std::vector<int64_t>> MarkAssessmentsDue(const std::string& target_kind, const std::string& target,
                                                  const std::string& reason, UnixTime at) override;
  Result<int64_t> CountPeopleForPurpose(const std::string& purpose) override;
  Result<bool> RecordFilingMark(const FilingMarkRecord& m) override;
  Result<std::vector<FilingMarkRecord>> ListFilingMarks() override;
  Result<PeriodCounts> CountPeriod(UnixTime from, UnixTime to) override;

  Result<AuditEvent> AppendAudit(const AuditEvent& e) override;
  Result<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int64_t limit) override;
  Result<AuditCheck> VerifyAudit() override;
  // Retention of records and of the audit chain (sql_store_expiry.cpp; REQ S5).
  Result<EndedRecords> DeleteEndedRecords(UnixTime cutoff) override;
  Result<AuditPrunePoint> PruneAudit(UnixTime before, UnixTime at, const std::string& actor) override;
  Result<std::vector<AuditPrunePoint>> ListAuditPrunePoints() override;

 private:
  // kNotFound, saying how to declare or register it, when it does not exist.
  // `lock` (PublishNotice): also lock the purpose row until commit, so notice
  // versions of one purpose are read and written one publisher at a time.
  Status RequirePurpose(const std::string& name, bool lock = false);
  Status RequireSubject(const std::string& subject);
  // The one row of `sql` (id bound) as a notice; kNotFound as "`what` does not exist".
  Result<NoticeRecord> ReadNotice(const std::string& sql, const sql::Params& p, const std::string& what);
  // Every template row of a query, in order (the hot path of a scope's 1:N candidates).
  Result<std::vector<SealedTemplate>> ReadTemplates(const std::string& sql, const sql::Params& p,
                                                    const std::string& what);
  // Runs `sql` in a write transaction; returns the rows it changed.
  Result<int64_t> Write(std::string_view sql, const sql::Params& p, const std::string& what);

  sql::Db db_;
};

}  // namespace facegate::store
