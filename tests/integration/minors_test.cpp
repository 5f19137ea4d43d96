// Minors (REQ M1-M3) through the Service on real models and a real SQLite
// store, with an injected clock so ages move with time.
#include <facegate/service.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ctime>
#include <map>

#include "../support/requirement.h"
#include "policy/gate.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

constexpr UnixTime kStart = 1772366400;  // 2026-03-01T12:00:00Z
constexpr int64_t kDay = 86400;

class MinorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("minors");
    Open();
    PurposeRecord p;
    p.name = "school-gate";
    p.retention_days = 365;
    p.alternatives = {"student-card"};
    ASSERT_TRUE(svc_->AddPurpose(p, "test").ok());
    auto n = svc_->PublishNotice("school-gate", kNoticeText, "test");
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    ApproveAssessment(*svc_, "school-gate");  // REQ F1
    notice_ = n->id;
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  void Open() {
    svc_.reset();
    service::Config c = TestConfig(home_);
    c.clock = [this] { return now_; };
    auto s = service::Service::Open(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
  }
  service::Service::ConsentRequest Request(const std::string& subject, ConsentMethod m = ConsentMethod::kClick) {
    service::Service::ConsentRequest r;
    r.subject = subject;
    r.purpose = "school-gate";
    r.notice_id = notice_;
    r.option = ConsentOption::kAlways;
    r.method = m;
    return r;
  }
  Result<ConsentRecord> Guardian(const std::string& subject) {
    auto r = Request(subject, ConsentMethod::kGuardian);
    r.guardian = "G-77 (ID card 1101...)";
    r.guardian_relation = "mother";
    return svc_->GiveConsent(r, "test");
  }
  Status Covered(const std::string& subject) {
    policy::Gate gate(svc_->store(), [this] { return now_; });
    return gate.ActiveConsent(subject, "school-gate", Operation::kEnrol).status();
  }
  std::vector<AuditEvent> Events() {
    auto e = svc_->ListAudit(0, 100000);
    EXPECT_TRUE(e.ok());
    return e.ok() ? *e : std::vector<AuditEvent>{};
  }

  UnixTime now_ = kStart;
  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
  int64_t notice_ = 0;
};

TEST_F(MinorsTest, M1_UnderFourteenOnlyAGuardianConsentIsAcceptedAndMarkedMinor) {
  auto k = svc_->DeclareSubject("K1", "2015-06-01", "test");
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  REQUIREMENT("M1");
  EXPECT_TRUE(k->minor);
  EXPECT_EQ(k->age, 10);
  // the child's own click is refused, naming M1
  auto click = svc_->GiveConsent(Request("K1"), "test");
  ASSERT_FALSE(click.ok());
  EXPECT_EQ(click.status().requirement(), "M1");
  EXPECT_NE(click.status().message().find("--method guardian"), std::string::npos);
  // a guardian consent must say who the guardian is and how related
  auto bare = Request("K1", ConsentMethod::kGuardian);
  bare.evidence = "signed form";
  EXPECT_EQ(svc_->GiveConsent(bare, "test").status().kind(), ErrorKind::kInvalidInput);
  ASSERT_TRUE(svc_->ApproveMinorAccess("K1", "test", "checking the enrolment", 3600, "dpo").ok());  // REQ M3
  EXPECT_TRUE(svc_->ListConsents("K1", "school-gate", "test")->empty());
  auto g = Guardian("K1");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_TRUE(g->minor);
  auto stored = svc_->store().GetConsent(g->id);
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->minor);
  EXPECT_EQ(stored->method, ConsentMethod::kGuardian);
  EXPECT_EQ(stored->guardian, "G-77 (ID card 1101...)");
  EXPECT_EQ(stored->guardian_relation, "mother");
  auto receipt = svc_->ConsentReceipt(g->id, "test");
  ASSERT_TRUE(receipt.ok());
  auto j = nlohmann::json::parse(*receipt);
  EXPECT_EQ(j["authorization"]["minor"], true);
  EXPECT_EQ(j["authorization"]["guardian_relation"], "mother");
  EXPECT_EQ(j["collectionMethod"], "guardian");
  EXPECT_TRUE(Covered("K1").ok()) << Covered("K1").ToString();
  // an adult by declared birth date, and a subject with none declared, consent themselves
  ASSERT_TRUE(svc_->DeclareSubject("A1", "1990-01-31", "test").ok());
  auto adult = svc_->GiveConsent(Request("A1"), "test");
  ASSERT_TRUE(adult.ok()) << adult.status().ToString();
  EXPECT_FALSE(adult->minor);
  auto undeclared = svc_->GiveConsent(Request("U1"), "test");
  ASSERT_TRUE(undeclared.ok());
  EXPECT_FALSE(undeclared->minor);
  // bad dates are refused with what to write
  EXPECT_EQ(svc_->DeclareSubject("K2", "2015-02-30", "test").status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->DeclareSubject("K2", "01/06/2015", "test").status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->DeclareSubject("K2", "2027-01-01", "test").status().kind(), ErrorKind::kInvalidInput);
}

TEST_F(MinorsTest, M1_AgeIsTakenAtConsentTimeAndMovesWithTheClock) {
  // turns 14 on 2026-03-11, ten days after the clock's start
  ASSERT_TRUE(svc_->DeclareSubject("K3", "2012-03-11", "test").ok());
  REQUIREMENT("M1");
  EXPECT_EQ(svc_->GiveConsent(Request("K3"), "test").status().requirement(), "M1");
  now_ += 9 * kDay;  // 2026-03-10: still 13
  EXPECT_EQ(svc_->GiveConsent(Request("K3"), "test").status().requirement(), "M1");
  now_ += kDay;  // 2026-03-11: 14 today
  auto own = svc_->GiveConsent(Request("K3"), "test");
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_FALSE(own->minor);
  auto info = svc_->ShowSubject("K3", "test");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->age, 14);
  EXPECT_FALSE(info->minor);
  // the Gate checks too: a click consent recorded before a child's birth date was declared does not cover
  ASSERT_TRUE(svc_->GiveConsent(Request("K4"), "test").ok());
  ASSERT_TRUE(Covered("K4").ok());
  ASSERT_TRUE(svc_->DeclareSubject("K4", "2016-09-09", "test").ok());
  Status st = Covered("K4");
  EXPECT_EQ(st.requirement(), "M1") << st.ToString();
  ASSERT_TRUE(Guardian("K4").ok());
  EXPECT_TRUE(Covered("K4").ok());
}

TEST_F(MinorsTest, M2_PolicySwitchForbidsFaceProcessingForChildren) {
  ASSERT_TRUE(svc_->DeclareSubject("K1", "2012-03-20", "test").ok());  // 14 on 2026-03-20
  ASSERT_TRUE(Guardian("K1").ok());
  ASSERT_TRUE(svc_->GiveConsent(Request("A1"), "test").ok());
  const std::string photo = ReadAll(Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg"));
  const std::string probe = ReadAll(Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_0002.jpg"));
  auto e = svc_->Enrol("K1", "school-gate", photo, "", "test");  // allowed while the switch is on
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(svc_->Policies()->front(), (std::pair<std::string, std::string>{"minors-face", "on"}));

  EXPECT_EQ(svc_->SetPolicy("minors-face", "maybe", "test").kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->SetPolicy("adults-face", "off", "test").kind(), ErrorKind::kInvalidInput);
  ASSERT_TRUE(svc_->SetPolicy("minors-face", "off", "dpo").ok());
  REQUIREMENT("M2");
  auto v = svc_->Verify("K1", "school-gate", probe, "", "test");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().requirement(), "M2");
  EXPECT_EQ(svc_->Enrol("K1", "school-gate", photo, "", "test").status().requirement(), "M2");
  EXPECT_EQ(Guardian("K1").status().requirement(), "M2");  // not even offered
  EXPECT_TRUE(Covered("A1").ok());                           // adults unaffected
  auto events = Events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().outcome, "refused:M2");

  // persisted: a new process sees it; the change is on the audit log with who and what before
  Open();
  EXPECT_EQ(svc_->Policies()->front().second, "off");
  bool logged = false;
  for (const AuditEvent& ev : Events())
    if (ev.action == "policy.set" && ev.actor == "dpo" && ev.outcome == "ok")
      logged = ev.detail.find("\"value\":\"off\"") != std::string::npos &&
               ev.detail.find("\"before\":\"on\"") != std::string::npos;
  EXPECT_TRUE(logged);

  now_ += 19 * kDay;  // 2026-03-20: 14, the switch no longer applies to them
  auto grown = svc_->Verify("K1", "school-gate", probe, "", "test");
  ASSERT_TRUE(grown.ok()) << grown.status().ToString();
  EXPECT_TRUE(grown->match);
}

TEST_F(MinorsTest, M3_EveryReadOfAChildsRecordsIsAuditedAndExportedYearly) {
  ASSERT_TRUE(svc_->DeclareSubject("K1", "2015-06-01", "test").ok());
  auto g = Guardian("K1");
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE(svc_->DeclareSubject("A1", "1990-01-31", "test").ok());
  auto a = svc_->GiveConsent(Request("A1"), "test");
  ASSERT_TRUE(a.ok());
  auto count = [&](const std::string& action, const std::string& subject, const std::string& outcome = "ok") {
    int n = 0;
    for (const AuditEvent& e : Events()) n += e.action == action && e.subject == subject && e.outcome == outcome;
    return n;
  };
  REQUIREMENT("M3");
  // Without an approval a child's records are not read, and the attempt is on the record.
  auto unapproved = svc_->ListConsents("K1", "school-gate", "operator-7");
  ASSERT_FALSE(unapproved.ok());
  EXPECT_EQ(unapproved.status().requirement(), "M3") << unapproved.status().ToString();
  EXPECT_NE(unapproved.status().message().find("subject approve K1 --reader operator-7"), std::string::npos)
      << unapproved.status().message();
  EXPECT_EQ(count("minor.read", "K1", "refused:M3"), 1);
  EXPECT_EQ(svc_->ShowSubject("K1", "operator-8").status().requirement(), "M3");
  EXPECT_EQ(svc_->ConsentReceipt(g->id, "operator-9").status().requirement(), "M3");
  EXPECT_EQ(svc_->ExportSubject("K1", 0, "operator-9").status().requirement(), "M3");
  // Nobody approves themselves; the approval names a reason and lasts a while.
  EXPECT_EQ(svc_->ApproveMinorAccess("K1", "operator-7", "curious", 3600, "operator-7").status().kind(),
            ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->ApproveMinorAccess("K1", "operator-7", "", 3600, "dpo").status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->ApproveMinorAccess("A1", "operator-7", "adult", 3600, "dpo").status().kind(),
            ErrorKind::kInvalidInput) << "an adult's records need no approval";
  for (const char* reader : {"operator-7", "operator-8", "operator-9"})
    ASSERT_TRUE(svc_->ApproveMinorAccess("K1", reader, "the mother asked what is held", kDay, "dpo").ok());
  ASSERT_TRUE(svc_->ListConsents("K1", "school-gate", "operator-7").ok());
  ASSERT_TRUE(svc_->ListConsents("A1", "school-gate", "operator-7").ok());
  EXPECT_EQ(count("minor.read", "K1"), 1);
  EXPECT_EQ(count("minor.read", "A1"), 0);  // adults' reads are not flagged
  EXPECT_EQ(count("minor.read", "A1", "refused:M3"), 0);
  // The read of A1 is on the record like every read (REQ S6), not flagged as a child's (M3).
  EXPECT_EQ(Events().back().action, "consent.read");
  EXPECT_EQ(Events().back().subject, "A1");
  for (const AuditEvent& e : Events())
    if (e.action == "minor.read" && e.outcome == "ok") EXPECT_EQ(e.actor, "operator-7");
  ASSERT_TRUE(svc_->ShowSubject("K1", "operator-8").ok());
  ASSERT_TRUE(svc_->ConsentReceipt(g->id, "operator-9").ok());
  EXPECT_EQ(count("minor.read", "K1"), 2);

  now_ += 365 * kDay;  // 2027: the approval ran out; a new one, and one more read
  EXPECT_EQ(svc_->ListConsents("K1", "school-gate", "operator-7").status().requirement(), "M3");
  ASSERT_TRUE(svc_->ApproveMinorAccess("K1", "operator-7", "yearly check", 600, "dpo").ok());
  ASSERT_TRUE(svc_->ListConsents("K1", "school-gate", "operator-7").ok());
  auto y26 = svc_->MinorsAudit(2026, "auditor");
  ASSERT_TRUE(y26.ok()) << y26.status().ToString();
  EXPECT_TRUE(y26->chain_intact);
  EXPECT_EQ(y26->subjects, std::vector<std::string>{"K1"});
  std::map<std::string, int64_t> by(y26->by_action.begin(), y26->by_action.end());
  EXPECT_EQ(by["subject.declare"], 1);
  EXPECT_EQ(by["consent.give"], 1);
  EXPECT_EQ(by["minor.read"], 2 + 4);  // two reads; four refused (consents, subject, receipt, export)
  EXPECT_EQ(by["minor.access.approve"], 3 + 2);  // three approvals, two refused (self, no reason)
  EXPECT_EQ(by["consent.receipt"], 1);
  for (const AuditEvent& e : y26->events) EXPECT_EQ(e.subject, "K1");
  auto y27 = svc_->MinorsAudit(2027, "auditor");
  ASSERT_TRUE(y27.ok());
  ASSERT_EQ(y27->events.size(), 3u);
  EXPECT_EQ(y27->events[0].outcome, "refused:M3");
  EXPECT_EQ(y27->events[1].action, "minor.access.approve");
  EXPECT_EQ(y27->events[2].action, "minor.read");
  EXPECT_EQ(y27->events[2].outcome, "ok");
  EXPECT_TRUE(svc_->MinorsAudit(2025, "auditor")->events.empty());
  // the export is itself on the record
  EXPECT_EQ(Events().back().action, "audit.minors");
}

// The CLI commands a user meets for minors, on the system clock.
TEST(MinorsCli, M3_SubjectPolicyAndYearlyExportFromTheCommandLine) {
  auto home = TempHome("minors-cli");
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  const int year = tm.tm_year + 1900;
  const std::string born = std::to_string(year - 10) + "-01-01";
  auto add = RunCli(home, "--json subject add K9 --birth-date " + born);
  ASSERT_EQ(add.exit_code, 0) << add.out;
  auto j = nlohmann::json::parse(add.out);
  EXPECT_EQ(j["minor"], true);
  EXPECT_EQ(j["age"].get<int>() >= 9, true);
  EXPECT_EQ(RunCli(home, "subject add K8 --birth-date 2015-13-01").exit_code, 2);
  REQUIREMENT("M3");
  auto refused = RunCli(home, "subject show K9");
  EXPECT_NE(refused.exit_code, 0) << refused.out;
  EXPECT_NE(refused.out.find("M3"), std::string::npos) << refused.out;
  EXPECT_NE(RunCli(home, "subject approve K9 --reader cli --reason self").exit_code, 0) << "no self-approval";
  auto approve = RunCli(home, "--actor dpo subject approve K9 --reader cli --reason 'the school asked'");
  ASSERT_EQ(approve.exit_code, 0) << approve.out;
  auto show = RunCli(home, "subject show K9");
  EXPECT_EQ(show.exit_code, 0) << show.out;
  EXPECT_NE(show.out.find("guardian consent only"), std::string::npos) << show.out;
  EXPECT_EQ(RunCli(home, "policy set minors-face off").exit_code, 0);
  auto pol = RunCli(home, "--json policy show");
  EXPECT_EQ(nlohmann::json::parse(pol.out)["minors-face"], "off") << pol.out;
  auto exp = RunCli(home, "--json audit minors --year " + std::to_string(year));
  ASSERT_EQ(exp.exit_code, 0) << exp.out;
  auto e = nlohmann::json::parse(exp.out);
  EXPECT_EQ(e["subjects"], nlohmann::json::array({"K9"}));
  EXPECT_GE(e["by_action"]["minor.read"].get<int>(), 1);
  EXPECT_EQ(e["chain_intact"], true);
  std::filesystem::remove_all(home);
}

// Security item 10 (docs/security.md): `rights explain` read a child's decisions without the
// approval every other read of a child's records needs.
TEST_F(MinorsTest, M3_ExplainingAChildsDecisionsNeedsAnApprovalLikeEveryOtherRead) {
  ASSERT_TRUE(svc_->DeclareSubject("K1", "2015-06-01", "test").ok());
  ASSERT_TRUE(Guardian("K1").ok());
  ASSERT_TRUE(svc_->Enrol("K1", "school-gate", Lfw("Ai_Sugiyama", 1), "", "test").ok());
  auto v = svc_->Verify("K1", "school-gate", Lfw("Ai_Sugiyama", 2), "", "test");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  REQUIREMENT("M3");
  auto refused = svc_->ExplainDecisions("K1", 10, 0, "op-7");
  ASSERT_FALSE(refused.ok()) << "a child's decisions were explained without an approval";
  EXPECT_EQ(refused.status().requirement(), "M3");
  ASSERT_TRUE(svc_->ApproveMinorAccess("K1", "op-7", "the parent asked why the gate refused", 3600, "dpo").ok());
  auto doc = svc_->ExplainDecisions("K1", 10, 0, "op-7");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_NE(doc->json.find("verify"), std::string::npos);
  // An adult's decisions need no approval.
  ASSERT_TRUE(svc_->DeclareSubject("A1", "1990-01-31", "test").ok());
  ASSERT_TRUE(svc_->GiveConsent(Request("A1"), "test").ok());
  EXPECT_TRUE(svc_->ExplainDecisions("A1", 10, 0, "op-7").ok());
}

// Security item 10: the guardian's identity stayed in the audit detail, and the audit log
// outlives an erasure. The log holds a keyed pseudonymous reference instead.
TEST_F(MinorsTest, M1_TheGuardiansIdentityNeverEntersTheAuditLog) {
  ASSERT_TRUE(svc_->DeclareSubject("K1", "2015-06-01", "test").ok());
  ASSERT_TRUE(Guardian("K1").ok());
  // The same guardian for a sibling: the references agree, so the log still links them.
  ASSERT_TRUE(svc_->DeclareSubject("K2", "2016-01-01", "test").ok());
  ASSERT_TRUE(Guardian("K2").ok());
  ASSERT_TRUE(svc_->EraseSubject("K1", 0, "test").ok());
  std::vector<std::string> refs;
  for (const AuditEvent& e : Events()) {
    EXPECT_EQ(e.detail.find("G-77"), std::string::npos) << e.action << ": " << e.detail;
    EXPECT_EQ(e.detail.find("1101"), std::string::npos) << e.action << ": " << e.detail;
    if (e.action != "consent.give" || e.outcome != "ok") continue;
    auto d = nlohmann::json::parse(e.detail);
    ASSERT_TRUE(d.contains("guardian_ref")) << e.detail;
    refs.push_back(d["guardian_ref"]);
  }
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0], refs[1]);
  EXPECT_EQ(refs[0].rfind("guardian:", 0), 0u) << refs[0];
  EXPECT_TRUE(svc_->VerifyAudit()->intact);
}

}  // namespace
}  // namespace facegate
