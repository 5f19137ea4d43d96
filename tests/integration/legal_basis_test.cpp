// The lawful basis of a purpose (PIPL 13; REQ C2, AN4) on the real service and store: another
// basis than consent needs a written justification that the notice states and the consent
// record and receipt carry; face identity rests on consent unless a law requires it; an
// analysis purpose records its basis and the Gate checks it, consent meaning the consent of
// the person analysed.
#include <facegate/service.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../support/requirement.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

constexpr const char* kStatute =
    "Anti-Terrorism Law of the PRC, art. 31: the operator of this key facility verifies who enters";

class LegalBasisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("legal-basis");
    auto s = service::Service::Open(TestConfig(home_));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  static PurposeRecord Purpose(const std::string& name, Scenario scenario, const std::string& basis,
                               const std::string& justification) {
    PurposeRecord p;
    p.name = name;
    p.scenario = scenario;
    p.retention_days = 365;
    p.alternatives = {"staff-card"};
    p.legal_basis = basis;
    p.basis_justification = justification;
    return p;
  }
  std::vector<std::string> Photos() {
    std::vector<std::string> out;
    for (int n : {1, 2, 3}) out.push_back(Lfw("Ai_Sugiyama", n));
    return out;
  }
  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
};

TEST_F(LegalBasisTest, C2_AnotherBasisNeedsAJustificationTheNoticeStatesAndTheRecordCarries) {
  REQUIREMENT("C2");
  // Face identity rests on consent unless a law requires it: a contract is not enough.
  Status contract = svc_->AddPurpose(Purpose("door", Scenario::kVerification, "contract", kStatute), "test");
  EXPECT_EQ(contract.requirement(), "C2") << contract.ToString();
  // A statutory duty without its written justification is refused.
  Status bare = svc_->AddPurpose(Purpose("door", Scenario::kVerification, "statutory_duty", "law"), "test");
  EXPECT_EQ(bare.requirement(), "C2") << bare.ToString();
  EXPECT_EQ(svc_->AddPurpose(Purpose("door", Scenario::kVerification, "lawful", kStatute), "test").kind(),
            ErrorKind::kInvalidInput);
  ASSERT_TRUE(svc_->AddPurpose(Purpose("door", Scenario::kVerification, "statutory_duty", kStatute), "test").ok());

  // The notice must state the basis with its justification.
  auto silent = svc_->PublishNotice("door", kNoticeText, "test");
  ASSERT_FALSE(silent.ok());
  EXPECT_EQ(silent.status().requirement(), "C2");
  EXPECT_NE(silent.status().message().find("Legal basis:"), std::string::npos) << silent.status().message();
  auto stated = svc_->PublishNotice("door", std::string(kNoticeText) + "Legal basis: statutory_duty: " + kStatute + "\n",
                                    "test");
  ASSERT_TRUE(stated.ok()) << stated.status().ToString();
  ApproveAssessment(*svc_, "door");  // REQ F1

  // The person's record carries the basis, and the receipt its justification.
  auto c = ConsentAlways(*svc_, "S1", "door", stated->id);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->legal_basis, "statutory_duty");
  auto receipt = svc_->ConsentReceipt(c->id, "test");
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  auto r = nlohmann::json::parse(*receipt);
  EXPECT_EQ(r["authorization"]["legal_basis"], "statutory_duty");
  EXPECT_EQ(r["authorization"]["basis_justification"], kStatute);
  ASSERT_TRUE(svc_->Enrol("S1", "door", Lfw("Ai_Sugiyama", 1), "", "test").ok());

  // A purpose that moves from consent to a statute runs again only once a notice says so.
  ASSERT_TRUE(svc_->AddPurpose(Purpose("canteen", Scenario::kVerification, "", ""), "test").ok());
  auto n = svc_->PublishNotice("canteen", kNoticeText, "test");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ApproveAssessment(*svc_, "canteen");  // REQ F1
  ASSERT_TRUE(ConsentAlways(*svc_, "S1", "canteen", n->id).ok());
  ASSERT_TRUE(svc_->Enrol("S1", "canteen", Lfw("Ai_Sugiyama", 1), "", "test").ok());
  EXPECT_EQ(svc_->SetPurposeBasis("canteen", "statutory_duty", "", "test").requirement(), "C2");
  ASSERT_TRUE(svc_->SetPurposeBasis("canteen", "statutory_duty", kStatute, "test").ok());
  auto v = svc_->Verify("S1", "canteen", Lfw("Ai_Sugiyama", 2), "", "test");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().requirement(), "C2") << v.status().ToString();
}

TEST_F(LegalBasisTest, AN4_AnAnalysisPurposeRecordsItsBasisAndTheGateChecksIt) {
  REQUIREMENT("AN4");
  // No basis recorded: refused at declaration.
  Status none = svc_->AddPurpose(Purpose("shop-count", Scenario::kAnalysis, "", ""), "test");
  EXPECT_EQ(none.requirement(), "AN4") << none.ToString();
  // Another basis: its justification, stated in the notice, before any analysis.
  Status bare = svc_->AddPurpose(Purpose("shop-count", Scenario::kAnalysis, kAnalysisBasis, "safety"), "test");
  EXPECT_EQ(bare.requirement(), "AN4") << bare.ToString();
  ASSERT_TRUE(
      svc_->AddPurpose(Purpose("shop-count", Scenario::kAnalysis, kAnalysisBasis, kAnalysisJustification), "test").ok());
  EXPECT_EQ(svc_->PublishNotice("shop-count", NoticeKeptFor(365), "test").status().requirement(), "AN4");
  ASSERT_TRUE(svc_->PublishNotice("shop-count", AnalysisNoticeKeptFor(365), "test").ok());
  ApproveAssessment(*svc_, "shop-count");  // REQ F1
  ASSERT_TRUE(svc_->Analyze("shop-count", Photos(), 2, "test").ok());

  // Resting on consent (an in-car monitor): the driver analysed must have consented.
  ASSERT_TRUE(svc_->AddPurpose(Purpose("cabin", Scenario::kAnalysis, "consent", ""), "test").ok());
  auto n = svc_->PublishNotice("cabin", NoticeKeptFor(365), "test");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ApproveAssessment(*svc_, "cabin");  // REQ F1
  auto anonymous = svc_->Analyze("cabin", Photos(), 2, "test");
  EXPECT_EQ(anonymous.status().requirement(), "AN4") << anonymous.status().ToString();
  auto unconsented = svc_->Analyze("cabin", Photos(), 2, "test", "driver-1");
  EXPECT_EQ(unconsented.status().requirement(), "AN4") << unconsented.status().ToString();
  ASSERT_TRUE(ConsentAlways(*svc_, "driver-1", "cabin", n->id).ok());
  auto consented = svc_->Analyze("cabin", Photos(), 2, "test", "driver-1");
  ASSERT_TRUE(consented.ok()) << consented.status().ToString();
  ASSERT_TRUE(svc_->WithdrawConsent("driver-1", "cabin", "test").ok());
  EXPECT_EQ(svc_->Analyze("cabin", Photos(), 2, "test", "driver-1").status().requirement(), "AN4");

  // Switching a purpose to another basis stops it until a notice states the new one.
  ASSERT_TRUE(svc_->SetPurposeBasis("cabin", kAnalysisBasis, kAnalysisJustification, "test").ok());
  EXPECT_EQ(svc_->Analyze("cabin", Photos(), 2, "test").status().requirement(), "AN4");
  ASSERT_TRUE(svc_->PublishNotice("cabin", AnalysisNoticeKeptFor(365), "test").ok());
  ApproveAssessment(*svc_, "cabin");  // the new notice version made it due (REQ F1)
  EXPECT_TRUE(svc_->Analyze("cabin", Photos(), 2, "test").ok());
}

}  // namespace
}  // namespace facegate
