// REQ S5: every record has an expiry, not only templates. Consents, subject records and the
// other records of what happened go once they ended long enough ago; the audit log is pruned
// past its keeping and its hash chain still verifies from a prune point; nothing goes earlier.
#include <facegate/service.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "../support/requirement.h"
#include "testutil.h"

namespace facegate {
namespace {

using testing::Facedata;
using testing::NoticeKeptFor;
using testing::ReadAll;
using testing::TempHome;
using testing::TestConfig;

constexpr int64_t kDay = 86400;

struct ExpiryHome {
  std::filesystem::path home = TempHome("expiry");
  UnixTime now = 1'900'000'000;
  std::unique_ptr<service::Service> svc;
  int64_t notice_id = 0;

  ExpiryHome() {
    service::Config cfg = TestConfig(home);
    cfg.clock = [this] { return now; };
    cfg.record_retention_days = 3 * 365;
    cfg.audit_retention_days = 10;  // below the floor: three years hold all the same (PIPL 56)
    auto s = service::Service::Open(cfg);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    svc = std::move(s).value();
    PurposeRecord p;
    p.name = "office-entry";
    p.retention_days = 30;
    p.alternatives = {"staff-card"};
    EXPECT_TRUE(svc->AddPurpose(p, "test").ok());
    auto n = svc->PublishNotice("office-entry", NoticeKeptFor(30), "test");
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    notice_id = n.ok() ? n->id : 0;
    testing::ApproveAssessment(*svc, "office-entry");  // REQ F1
  }
  ~ExpiryHome() {
    svc.reset();
    std::filesystem::remove_all(home);
  }
  Result<ConsentRecord> Consent(const std::string& subject, int64_t valid_days) {
    service::Service::ConsentRequest r;
    r.subject = subject;
    r.purpose = "office-entry";
    r.notice_id = notice_id;
    r.option = ConsentOption::kAlways;
    r.valid_seconds = valid_days * kDay;
    return svc->GiveConsent(r, "test");
  }
};

TEST(RecordExpiry, S5_EndedConsentsAndIdleSubjectRecordsGoAfterTheirKeepingNotBefore) {
  ExpiryHome h;
  auto& svc = *h.svc;
  ASSERT_TRUE(h.Consent("S1", 365).ok());   // withdrawn below
  ASSERT_TRUE(h.Consent("S2", 3650).ok());  // still in force throughout
  const std::string photo = ReadAll(Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg"));
  ASSERT_TRUE(svc.Enrol("S1", "office-entry", photo, "", "test").ok());
  auto w = svc.WithdrawConsent("S1", "office-entry", "test");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->templates_deleted, 1);
  EXPECT_EQ(svc.store().ListConsents("S1", "office-entry")->size(), 1u);  // the proof is kept

  h.now += 3 * 365 * kDay - kDay;  // one day short of the keeping
  auto early = svc.SweepRetention("sweeper");
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_EQ(early->ended.consents, 0);
  EXPECT_TRUE(early->ended.subjects.empty());
  EXPECT_TRUE(*svc.store().SubjectExists("S1"));

  h.now += 2 * kDay;
  auto r = svc.SweepRetention("sweeper");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  REQUIREMENT("S5");
  EXPECT_EQ(r->ended.consents, 1);  // S1's, withdrawn three years ago; S2's is in force
  EXPECT_TRUE(svc.store().ListConsents("S1", "office-entry")->empty());
  ASSERT_EQ(r->ended.subjects, std::vector<std::string>{"S1"});
  EXPECT_FALSE(*svc.store().SubjectExists("S1"));
  EXPECT_EQ(svc.store().ListConsents("S2", "office-entry")->size(), 1u);
  EXPECT_TRUE(*svc.store().SubjectExists("S2"));  // S2 still consents: the record is needed
}

TEST(RecordExpiry, S5_TheAuditLogIsPrunedPastItsKeepingAndItsChainStillVerifies) {
  ExpiryHome h;
  auto& svc = *h.svc;
  ASSERT_TRUE(h.Consent("S1", 3650).ok());
  ASSERT_TRUE(svc.CheckpointAudit().ok());  // an outside anchor over the events that will go
  const int64_t old_events = svc.VerifyAudit()->events;
  ASSERT_GT(old_events, 2);

  h.now += 11 * kDay;  // past the configured 10 days, far inside the 3-year floor
  auto kept = svc.SweepRetention("sweeper");
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->audit.pruned, 0);

  h.now += 3 * 365 * kDay;
  ASSERT_TRUE(h.Consent("S3", 3650).ok());  // an event of today, kept
  auto r = svc.SweepRetention("sweeper");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  REQUIREMENT("S5");
  EXPECT_GE(r->audit.pruned, old_events);
  auto left = svc.store().ListAudit(0, 0);
  ASSERT_TRUE(left.ok());
  ASSERT_FALSE(left->empty());
  EXPECT_EQ(left->front().seq, r->audit.seq + 1);
  for (const AuditEvent& e : *left) EXPECT_GE(e.at, h.now - kDay) << e.seq << " " << e.action;

  auto chain = svc.VerifyAudit();
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_TRUE(chain->intact) << chain->reason;
  EXPECT_EQ(chain->pruned_through, r->audit.seq);
  EXPECT_GE(chain->checkpoints, 2);  // the one before the prune and the sweep's own agree
  EXPECT_EQ(chain->events, static_cast<int64_t>(left->size()));

}

}  // namespace
}  // namespace facegate
