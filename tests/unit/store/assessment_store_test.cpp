// Impact assessments, filing marks and a period's counts on every backend (SQLite in
// test_store, PostgreSQL in test_store_pg) (REQ F1, F2, F3; migration 13).
#include <facegate/store.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store_backends.h"
#include "../../support/requirement.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

using AssessmentStore = BackendTest;

ImpactAssessmentRecord Draft(const std::string& target = "office-entry") {
  ImpactAssessmentRecord a;
  a.target = target;
  a.lawfulness = "consent of each person";
  a.data_kinds = {"face image", "face template"};
  a.impact = "sensitive data; risk: leak";
  a.measures = R"({"retention_days":365})";
  a.author = "wang";
  a.created_at = kNow;
  a.scope_size = 500;
  a.keep_until = kNow + 3 * 366 * 86400;
  return a;
}

TEST_P(AssessmentStore, F1_AnAssessmentIsApprovedOnceAndAMaterialChangeMakesItDue) {
  auto added = store_->AddAssessment(Draft());
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_GT(added->id, 0);
  auto got = store_->GetAssessment(added->id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->status, "draft");
  EXPECT_EQ(got->data_kinds, (std::vector<std::string>{"face image", "face template"}));
  EXPECT_EQ(got->measures, R"({"retention_days":365})");
  EXPECT_EQ(store_->GetAssessment(added->id + 100).status().kind(), ErrorKind::kNotFound);
  // The schema refuses an approved record without its approver and hash.
  ImpactAssessmentRecord bad = Draft();
  bad.status = "approved";
  EXPECT_FALSE(store_->AddAssessment(bad).ok());
  ImpactAssessmentRecord b = *got;
  b.status = "approved";
  b.approver = "li";
  b.approved_at = kNow + 60;
  b.notice_version = 1;
  b.document_sha256 = std::string(64, 'a');
  ASSERT_TRUE(store_->UpdateAssessment(b, "draft").ok());
  // Written only from the status the caller read: a second approval is a conflict.
  EXPECT_EQ(store_->UpdateAssessment(b, "draft").kind(), ErrorKind::kConflict);
  ASSERT_TRUE(store_->AddAssessment(Draft("canteen")).ok());
  auto due = store_->MarkAssessmentsDue("purpose", "office-entry", "notice version 2 published", kNow + 120);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  REQUIREMENT("F1");
  EXPECT_EQ(*due, std::vector<int64_t>{added->id});
  got = store_->GetAssessment(added->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, "due");
  EXPECT_EQ(got->due_reason, "notice version 2 published");
  EXPECT_EQ(got->due_at.value_or(0), kNow + 120);
  EXPECT_EQ(got->approver, "li");
  auto mine = store_->ListAssessments("purpose", "office-entry");
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->size(), 1u);
  EXPECT_EQ(store_->ListAssessments("", "")->size(), 2u);
}

TEST_P(AssessmentStore, F2_AFilingMarkIsRecordedOnce) {
  FilingMarkRecord m;
  m.mark = 100000;
  m.people = 100003;
  m.crossed_at = kNow;
  m.crossed_date = "2027-01-15";
  m.due_date = "2027-03-05";
  m.actor = "cli";
  auto first = store_->RecordFilingMark(m);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first);
  m.people = 100010;
  m.crossed_date = "2027-01-16";
  auto again = store_->RecordFilingMark(m);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  REQUIREMENT("F2");
  EXPECT_FALSE(*again);
  auto all = store_->ListFilingMarks();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].people, 100003);
  EXPECT_EQ((*all)[0].crossed_date, "2027-01-15");
  EXPECT_EQ((*all)[0].due_date, "2027-03-05");
}

TEST_P(AssessmentStore, F3_APeriodCountsOnlyWhatHappenedInIt) {
  MustAddPurpose(*store_, "office-entry");
  MustPublish(*store_, "office-entry");
  for (const char* s : {"S1", "S2"}) MustConsent(*store_, s, "office-entry");
  AuditEvent e;
  e.at = kNow;
  e.actor = "cli";
  e.action = "enrol";
  e.subject = "S3";
  e.purpose = "office-entry";
  e.outcome = "refused:C1";
  e.detail = "{}";
  ASSERT_TRUE(store_->AppendAudit(e).ok());
  e.at = kNow + 7200;  // after the period
  ASSERT_TRUE(store_->AppendAudit(e).ok());
  auto c = store_->CountPeriod(kNow - 10, kNow + 3600);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  REQUIREMENT("F3");
  EXPECT_EQ(c->consents_given, 2);
  EXPECT_EQ(c->consents_withdrawn, 0);
  EXPECT_EQ(c->audit_events, 1);
  ASSERT_EQ(c->refusals.size(), 1u);
  EXPECT_EQ(c->refusals[0], (std::pair<std::string, int64_t>{"C1", 1}));
}

INSTANTIATE_TEST_SUITE_P(Backends, AssessmentStore, ::testing::ValuesIn(TestBackends()), BackendName());

}  // namespace
}  // namespace facegate::store
