// Notice versions and what they mean for consents (REQ N3, C3) through the
// Service on a real SQLite store.
#include <facegate/service.h>
#include <gtest/gtest.h>

#include "../support/requirement.h"
#include "policy/gate.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

class NoticeVersions : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("notices");
    auto s = service::Service::Open(TestConfig(home_));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    PurposeRecord p;
    p.name = "office-entry";
    p.retention_days = 365;
    p.alternatives = {"staff-card"};
    ASSERT_TRUE(svc_->AddPurpose(p, "test").ok());
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  Result<ConsentRecord> Consent(int64_t notice_id) {
    service::Service::ConsentRequest r;
    r.subject = "S1";
    r.purpose = "office-entry";
    r.notice_id = notice_id;
    r.option = ConsentOption::kAlways;
    return svc_->GiveConsent(r, "test");
  }
  Status Covered() {
    // REQ F1 apart: the purpose's impact assessment approved (again after a new version), so
    // that only the consent decides.
    ApproveAssessment(*svc_, "office-entry");
    policy::Gate gate(svc_->store());
    return gate.ActiveConsent("S1", "office-entry", Operation::kEnrol).status();
  }

  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
};

TEST_F(NoticeVersions, N3_UnchangedRepublishKeepsTheVersionAndTheConsents) {
  auto n1 = svc_->PublishNotice("office-entry", kNoticeText, "test");
  ASSERT_TRUE(n1.ok()) << n1.status().ToString();
  EXPECT_EQ(n1->version, 1);
  ASSERT_TRUE(Consent(n1->id).ok());
  ASSERT_TRUE(Covered().ok());
  auto again = svc_->PublishNotice("office-entry", kNoticeText, "test");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->id, n1->id);
  EXPECT_EQ(again->version, 1);
  EXPECT_EQ(svc_->LatestNotice("office-entry")->version, 1);
  EXPECT_TRUE(Covered().ok()) << Covered().ToString();
  // the re-publish is on the record, marked unchanged
  auto events = svc_->ListAudit(0, 1000);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->back().action, "notice.publish");
  EXPECT_NE(events->back().detail.find("\"unchanged\":true"), std::string::npos) << events->back().detail;
}

TEST_F(NoticeVersions, N3_ChangedTextGetsTheNextVersionAndReasksConsent) {
  auto n1 = svc_->PublishNotice("office-entry", kNoticeText, "test");
  ASSERT_TRUE(n1.ok());
  ASSERT_TRUE(Consent(n1->id).ok());
  std::string text = kNoticeText;
  REQUIREMENT("N3");
  for (int v = 2; v <= 4; ++v) {  // every publish of a changed text is a new version
    text += "Contact: office " + std::to_string(v) + "\n";
    auto n = svc_->PublishNotice("office-entry", text, "test");
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(n->version, v);
    EXPECT_NE(n->sha256, n1->sha256);
  }
  // the consent given for version 1 no longer covers processing: asked again (REQ C3)
  Status st = Covered();
  ASSERT_EQ(st.kind(), ErrorKind::kRefused);
  EXPECT_EQ(st.requirement(), "C3");
  EXPECT_NE(st.message().find("version 4"), std::string::npos) << st.message();
  // a consent to the old version cannot be recorded any more; one to the new one covers
  EXPECT_EQ(Consent(n1->id).status().requirement(), "N1");
  auto latest = svc_->LatestNotice("office-entry");
  ASSERT_TRUE(latest.ok());
  ASSERT_TRUE(Consent(latest->id).ok());
  EXPECT_TRUE(Covered().ok());
}

}  // namespace
}  // namespace facegate
