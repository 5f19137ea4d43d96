// The Gate's refusals, one test per reason (REQ C1, C3, C4, C5, N1), on a real SQLite store.
#include "policy/gate.h"

#include <facegate/store.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "policy/notice.h"
#include "../../support/assessment.h"
#include "../../support/requirement.h"

namespace facegate::policy {
namespace {

namespace fs = std::filesystem;

const char* kNotice =
    "Processor: Example Co.\nContact: dpo@example.com\nPurpose: office entry\nMethod: 1:1 at the gate\n"
    "Data kinds: face template\nStorage period: 365 days, then deleted\nWhy face: faster entry; impact: "
    "sensitive data\nRights: withdraw any time\n";

class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fg-gate-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto s = store::OpenSqliteStore((dir_ / "t.db").string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    gate_ = std::make_unique<Gate>(*store_, [this] { return now_; });
  }
  void TearDown() override {
    gate_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void AddPurpose(const std::string& name, Scenario sc = Scenario::kVerification) {
    PurposeRecord p;
    p.name = name;
    p.scenario = sc;
    p.retention_days = 365;
    p.alternatives = {"staff-card"};
    p.created_at = now_;
    ASSERT_TRUE(store_->AddPurpose(p).ok());
  }
  NoticeRecord Publish(const std::string& purpose, const std::string& text = kNotice) {
    NoticeRecord n;
    n.purpose = purpose;
    n.text = text;
    n.sha256 = NoticeDigest(text);
    n.published_at = now_;
    auto r = store_->PublishNotice(n);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    // REQ F1: the fixture's purposes are assessed (the F1 tests below make their own).
    EXPECT_TRUE(facegate::testing::ApproveAssessmentInStore(*store_, purpose, now_).ok());
    return *r;
  }
  ConsentRecord Consent(const std::string& subject, const std::string& purpose, ConsentOption o,
                        int64_t valid = 3600, const std::string& session = "") {
    auto n = store_->LatestNotice(purpose);
    EXPECT_TRUE(n.ok());
    EXPECT_TRUE(store_->EnsureSubject(subject, now_).ok());
    ConsentRecord c;
    c.subject = subject;
    c.purpose = purpose;
    c.notice_id = n->id;
    c.notice_sha256 = n->sha256;
    c.option = o;
    c.given_at = now_;
    c.expires_at = now_ + valid;
    c.session = session;
    auto r = store_->AddConsent(c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r;
  }
  void ExpectRefused(const Result<Grant>& g, const std::string& req) {
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.status().kind(), ErrorKind::kRefused) << g.status().ToString();
    EXPECT_EQ(g.status().requirement(), req) << g.status().ToString();
    EXPECT_FALSE(g.status().message().empty());
  }

  fs::path dir_;
  UnixTime now_ = 1'800'000'000;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Gate> gate_;
};

TEST_F(GateTest, C1_RefusesUndeclaredPurpose) {
  REQUIREMENT("C1");
  ExpectRefused(gate_->Authorize(Operation::kEnrol, "S1", "office-entry"), "C1");
}

TEST_F(GateTest, N1_RefusesWithoutPublishedNotice) {
  AddPurpose("office-entry");
  REQUIREMENT("N1");
  ExpectRefused(gate_->Authorize(Operation::kEnrol, "S1", "office-entry"), "N1");
}

TEST_F(GateTest, C1_RefusesWithoutConsent) {
  AddPurpose("office-entry");
  Publish("office-entry");
  REQUIREMENT("C1");
  ExpectRefused(gate_->Authorize(Operation::kEnrol, "S1", "office-entry"), "C1");
}

TEST_F(GateTest, C1_ConsentForAnotherPurposeDoesNotCover) {
  AddPurpose("office-entry");
  AddPurpose("canteen-pay");
  Publish("office-entry");
  Publish("canteen-pay");
  Consent("S1", "office-entry", ConsentOption::kAlways);
  REQUIREMENT("C1");
  ExpectRefused(gate_->Authorize(Operation::kVerify, "S1", "canteen-pay"), "C1");
  EXPECT_TRUE(gate_->Authorize(Operation::kVerify, "S1", "office-entry").ok());
}

TEST_F(GateTest, C1_ConsentOfAnotherSubjectDoesNotCover) {
  AddPurpose("office-entry");
  Publish("office-entry");
  Consent("S1", "office-entry", ConsentOption::kAlways);
  REQUIREMENT("C1");
  ExpectRefused(gate_->Authorize(Operation::kVerify, "S2", "office-entry"), "C1");
}

TEST_F(GateTest, C1_ScenarioMustCoverTheOperation) {
  AddPurpose("office-entry", Scenario::kVerification);
  Publish("office-entry");
  Consent("S1", "office-entry", ConsentOption::kAlways);
  REQUIREMENT("C1");
  ExpectRefused(gate_->Authorize(Operation::kIdentify, "S1", "office-entry"), "C1");
}

TEST_F(GateTest, GrantCarriesOperationSubjectPurposeAndConsent) {
  AddPurpose("office-entry");
  Publish("office-entry");
  ConsentRecord c = Consent("S1", "office-entry", ConsentOption::kAlways);
  auto g = gate_->Authorize(Operation::kEnrol, "S1", "office-entry");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->operation(), Operation::kEnrol);
  EXPECT_EQ(g->subject(), "S1");
  EXPECT_EQ(g->purpose(), "office-entry");
  EXPECT_EQ(g->consent_id(), c.id);
  EXPECT_TRUE(g->may_store());
  auto g2 = gate_->Authorize(Operation::kEnrol, "S1", "office-entry");
  ASSERT_TRUE(g2.ok());
  EXPECT_NE(g->id(), g2->id());
}

TEST_F(GateTest, C4_RefusesAfterWithdrawal) {
  AddPurpose("office-entry");
  Publish("office-entry");
  ConsentRecord c = Consent("S1", "office-entry", ConsentOption::kAlways);
  ASSERT_TRUE(gate_->Authorize(Operation::kVerify, "S1", "office-entry").ok());
  ASSERT_TRUE(store_->MarkConsentWithdrawn(c.id, now_ + 1).ok());
  REQUIREMENT("C4");
  ExpectRefused(gate_->Authorize(Operation::kVerify, "S1", "office-entry"), "C4");
}

TEST_F(GateTest, C5_RefusesAfterExpiry) {
  AddPurpose("office-entry");
  Publish("office-entry");
  Consent("S1", "office-entry", ConsentOption::kAlways, /*valid=*/100);
  now_ += 99;
  ASSERT_TRUE(gate_->Authorize(Operation::kVerify, "S1", "office-entry").ok());
  now_ += 1;
  REQUIREMENT("C5");
  ExpectRefused(gate_->Authorize(Operation::kVerify, "S1", "office-entry"), "C5");
}

TEST_F(GateTest, C5_OnceIsSpentByOneVerification) {
  AddPurpose("office-entry");
  Publish("office-entry");
  Consent("S1", "office-entry", ConsentOption::kOnce);
  // enrolment under "once" does not spend it; the verification does
  ASSERT_TRUE(gate_->Authorize(Operation::kEnrol, "S1", "office-entry").ok());
  ASSERT_TRUE(gate_->Authorize(Operation::kVerify, "S1", "office-entry").ok());
  REQUIREMENT("C5");
  ExpectRefused(gate_->Authorize(Operation::kVerify, "S1", "office-entry"), "C5");
}

TEST_F(GateTest, C5_OnceCannotBeUsedTwiceConcurrently) {
  AddPurpose("office-entry");
  Publish("office-entry");
  Consent("S1", "office-entry", ConsentOption::kOnce);
  std::atomic<int> granted{0}, refused{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&] {
      auto g = gate_->Authorize(Operation::kVerify, "S1", "office-entry");
      (g.ok() ? granted : refused)++;
    });
  for (auto& t : ts) t.join();
  REQUIREMENT("C5");
  EXPECT_EQ(granted.load(), 1);
  EXPECT_EQ(refused.load(), 7);
}

TEST_F(GateTest, C5_WhileInUseIsBoundToItsSession) {
  AddPurpose("office-entry");
  Publish("office-entry");
  Consent("S1", "office-entry", ConsentOption::kWhileInUse, 3600, "kiosk-7:session-42");
  REQUIREMENT("C5");
  EXPECT_TRUE(gate_->Authorize(Operation::kVerify, "S1", "office-entry", "kiosk-7:session-42").ok());
  ExpectRefused(gate_->Authorize(Operation::kVerify, "S1", "office-entry", "kiosk-7:session-43"), "C5");
}

TEST_F(GateTest, C3_NewNoticeVersionNeedsNewConsent) {
  AddPurpose("office-entry");
  Publish("office-entry");
  Consent("S1", "office-entry", ConsentOption::kAlways);
  ASSERT_TRUE(gate_->Authorize(Operation::kVerify, "S1", "office-entry").ok());
  Publish("office-entry", std::string(kNotice) + "Storage period: now 730 days\n");
  REQUIREMENT("C3");
  ExpectRefused(gate_->Authorize(Operation::kVerify, "S1", "office-entry"), "C3");
  Consent("S1", "office-entry", ConsentOption::kAlways);
  EXPECT_TRUE(gate_->Authorize(Operation::kVerify, "S1", "office-entry").ok());
}

TEST_F(GateTest, P3_ResearchGrantStoresNothingAndHasNoSubject) {
  Grant g = Gate::AuthorizeResearch("lfw-pairs");
  REQUIREMENT("P3");
  EXPECT_EQ(g.operation(), Operation::kResearch);
  EXPECT_TRUE(g.subject().empty());
  EXPECT_FALSE(g.may_store());
  EXPECT_EQ(g.purpose(), "research:lfw-pairs");
}

TEST(Notice, N1_RefusesNoticeMissingFields) {
  Status s = ValidateNotice("Purpose: entry\nMethod: camera\n");
  REQUIREMENT("N1");
  ASSERT_EQ(s.kind(), ErrorKind::kRefused);
  EXPECT_EQ(s.requirement(), "N1");
  for (const char* f : {"processor", "contact", "data kinds", "storage period", "why face", "rights"})
    EXPECT_NE(s.message().find(f), std::string::npos) << f << " not named in: " << s.message();
  EXPECT_EQ(s.message().find("method"), std::string::npos);
}

TEST(Notice, N1_AcceptsCompleteNoticeInEnglishOrChinese) {
  EXPECT_TRUE(ValidateNotice(kNotice).ok());
  const char* zh =
      "个人信息处理者：示例公司\n联系方式：dpo@example.com\n处理目的：办公室门禁\n处理方式：1:1 比对\n"
      "个人信息种类：人脸特征\n保存期限：365 天后删除\n必要性：快速通行；影响：敏感个人信息\n权利：可随时撤回同意\n";
  EXPECT_TRUE(ValidateNotice(zh).ok()) << ValidateNotice(zh).ToString();
}

TEST(Notice, N1_EmptyFieldDoesNotCount) {
  std::string t = kNotice;
  t.replace(t.find("Rights: withdraw any time"), 25, "Rights:");
  Status s = ValidateNotice(t);
  REQUIREMENT("N1");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rights"), std::string::npos);
}

}  // namespace
}  // namespace facegate::policy

namespace facegate::policy {
namespace {

TEST_F(GateTest, SC3_AnalysisNeedsAnAnalysisPurpose) {
  AddPurpose("office-entry", Scenario::kVerification);
  Publish("office-entry");
  auto g = gate_->AuthorizeAnalysis("office-entry");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().requirement(), "SC3");
  auto none = gate_->AuthorizeAnalysis("shop-count");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().requirement(), "C1");
}

TEST_F(GateTest, AN4_AnalysisNeedsAPublishedNotice) {
  AddPurpose("shop-count", Scenario::kAnalysis);
  auto g = gate_->AuthorizeAnalysis("shop-count");
  REQUIREMENT("AN4");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().requirement(), "AN4");
  Publish("shop-count");
  // Declared before bases were recorded: refused until its basis is (REQ AN4).
  auto unrecorded = gate_->AuthorizeAnalysis("shop-count");
  ASSERT_FALSE(unrecorded.ok());
  EXPECT_EQ(unrecorded.status().requirement(), "AN4");
  EXPECT_NE(unrecorded.status().message().find("purpose basis"), std::string::npos) << unrecorded.status().message();
  ASSERT_TRUE(store_->SetPurposeBasis("shop-count", "consent", "").ok());
  auto anonymous = gate_->AuthorizeAnalysis("shop-count");  // consent: of whom?
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.status().requirement(), "AN4");
  const std::string why = "Fire Protection Law of the PRC, art. 28: crowd numbers within capacity";
  ASSERT_TRUE(store_->SetPurposeBasis("shop-count", "other_law", why).ok());
  auto unstated = gate_->AuthorizeAnalysis("shop-count");  // the notice does not state it yet
  ASSERT_FALSE(unstated.ok());
  EXPECT_EQ(unstated.status().requirement(), "AN4");
  NoticeRecord n;
  n.purpose = "shop-count";
  n.text = "Legal basis: other_law: " + why + "\n";
  n.sha256 = NoticeDigest(n.text);
  ASSERT_TRUE(store_->PublishNotice(n).ok());
  auto ok = gate_->AuthorizeAnalysis("shop-count");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->purpose(), "shop-count");
}

}  // namespace
}  // namespace facegate::policy

namespace facegate::policy {
namespace {

TEST_F(GateTest, SC2_ScopeSearchOnlyWithinADeclaredIdentificationPurpose) {
  auto none = gate_->AuthorizeScopeSearch("everyone");
  REQUIREMENT("SC2");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().requirement(), "SC2");
  AddPurpose("office-entry", Scenario::kVerification);
  Publish("office-entry");
  EXPECT_EQ(gate_->AuthorizeScopeSearch("office-entry").status().requirement(), "SC2");
  AddPurpose("staff-attendance", Scenario::kIdentification);
  EXPECT_EQ(gate_->AuthorizeScopeSearch("staff-attendance").status().requirement(), "N1");
  Publish("staff-attendance");
  auto g = gate_->AuthorizeScopeSearch("staff-attendance");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->operation(), Operation::kIdentify);
  EXPECT_TRUE(g->subject().empty());
  EXPECT_FALSE(g->may_store());
}

TEST_F(GateTest, SC2_CandidateMustStillHoldAnActiveConsent) {
  AddPurpose("staff-attendance", Scenario::kIdentification);
  Publish("staff-attendance");
  ConsentRecord c = Consent("S1", "staff-attendance", ConsentOption::kAlways);
  EXPECT_TRUE(gate_->CandidateConsent("S1", "staff-attendance").ok());
  ASSERT_TRUE(store_->MarkConsentWithdrawn(c.id, now_).ok());
  EXPECT_EQ(gate_->CandidateConsent("S1", "staff-attendance").status().requirement(), "C4");
}

// ---- alternatives (REQ A2, D7) ----

int64_t OpenAlt(store::Store& st, const std::string& subject, const std::string& purpose,
                const std::string& session, UnixTime at) {
  AlternativeRecord a;
  a.subject = subject;
  a.purpose = purpose;
  a.session = session;
  a.method = "staff-card";
  a.opened_at = at;
  auto id = st.OpenAlternative(a);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : 0;
}

TEST_F(GateTest, A2_OpenAlternativeRefusesEveryFaceOperationBeforeAnyOtherCheck) {
  AddPurpose("office-entry");
  OpenAlt(*store_, "S1", "office-entry", "kiosk-7", now_);
  // No notice is published yet: the A2 refusal comes before the N1 one.
  REQUIREMENT("A2");
  ExpectRefused(gate_->Authorize(Operation::kEnrol, "S1", "office-entry", "kiosk-7"), "A2");
  Publish("office-entry");
  ConsentRecord once = Consent("S1", "office-entry", ConsentOption::kOnce);
  Consent("S1", "office-entry", ConsentOption::kAlways);
  for (Operation op : {Operation::kEnrol, Operation::kVerify, Operation::kIdentify}) {
    auto g = gate_->Authorize(op, "S1", "office-entry", "kiosk-7");
    ExpectRefused(g, "A2");
    EXPECT_NE(g.status().message().find("staff-card"), std::string::npos);
  }
  // Refused before the consent was looked at: the "once" consent is not spent.
  EXPECT_FALSE(store_->GetConsent(once.id)->used_at.has_value());
}

TEST_F(GateTest, A2_CompletedAlternativeEndsTheFaceFreeTransaction) {
  AddPurpose("office-entry");
  Publish("office-entry");
  Consent("S1", "office-entry", ConsentOption::kAlways);
  int64_t id = OpenAlt(*store_, "S1", "office-entry", "kiosk-7", now_);
  REQUIREMENT("A2");
  ExpectRefused(gate_->Authorize(Operation::kVerify, "S1", "office-entry", "kiosk-7"), "A2");
  now_ += 10;
  ASSERT_TRUE(store_->CloseAlternative(id, "granted", now_).ok());
  EXPECT_TRUE(gate_->Authorize(Operation::kVerify, "S1", "office-entry", "kiosk-7").ok());
}

TEST_F(GateTest, D7_AlternativeAtADeviceStopsFaceOnlyForThatPersonSessionAndPurpose) {
  AddPurpose("office-entry");
  AddPurpose("canteen-pay");
  Publish("office-entry");
  Publish("canteen-pay");
  Consent("S1", "office-entry", ConsentOption::kAlways);
  Consent("S1", "canteen-pay", ConsentOption::kAlways);
  Consent("S2", "office-entry", ConsentOption::kAlways);
  OpenAlt(*store_, "S1", "office-entry", "kiosk-7", now_);
  REQUIREMENT("D7");
  ExpectRefused(gate_->Authorize(Operation::kVerify, "S1", "office-entry", "kiosk-7"), "A2");
  EXPECT_TRUE(gate_->Authorize(Operation::kVerify, "S2", "office-entry", "kiosk-7").ok());
  EXPECT_TRUE(gate_->Authorize(Operation::kVerify, "S1", "office-entry", "kiosk-8").ok());
  EXPECT_TRUE(gate_->Authorize(Operation::kVerify, "S1", "canteen-pay", "kiosk-7").ok());
}

TEST_F(GateTest, R1_RestrictionRefusesEveryFaceOperationUntilLifted) {
  AddPurpose("office-entry");
  AddPurpose("staff-search", Scenario::kIdentification);
  Publish("office-entry");
  Publish("staff-search");
  Consent("S1", "office-entry", ConsentOption::kAlways);
  Consent("S1", "staff-search", ConsentOption::kAlways);
  Consent("S2", "office-entry", ConsentOption::kAlways);
  ASSERT_TRUE(store_->PlaceRestriction("S1", 7, now_).ok());
  REQUIREMENT("R1");
  for (Operation op : {Operation::kEnrol, Operation::kVerify}) {
    ExpectRefused(gate_->Authorize(op, "S1", "office-entry"), "R1");
    auto g = gate_->Authorize(op, "S1", "office-entry");
    EXPECT_NE(g.status().message().find("rights request 7"), std::string::npos) << g.status().message();
  }
  // A restricted person is no candidate of a 1:N search either.
  auto cand = gate_->CandidateConsent("S1", "staff-search");
  ASSERT_FALSE(cand.ok());
  EXPECT_EQ(cand.status().requirement(), "R1");
  // Only that person: others are processed as before.
  EXPECT_TRUE(gate_->Authorize(Operation::kVerify, "S2", "office-entry").ok());
  // The data is kept: lifting the restriction restores processing under the same consent.
  now_ += 60;
  ASSERT_TRUE(store_->LiftRestriction("S1", now_).ok());
  EXPECT_TRUE(gate_->Authorize(Operation::kVerify, "S1", "office-entry").ok());
  EXPECT_TRUE(gate_->CandidateConsent("S1", "staff-search").ok());
}

}  // namespace
}  // namespace facegate::policy
