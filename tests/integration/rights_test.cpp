// Rights of the person end to end through the Service on real models and a
// real SQLite store (REQ R1, R2): tracked requests with deadlines, export,
// correction, deletion, restriction, explanation and human review of a 1:N
// decision; and the `facegate rights` commands.
#include <facegate/service.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "../support/requirement.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
using json = nlohmann::json;

class RightsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("rights");
    service::Config c = TestConfig(home_);
    c.clock = [this] { return now_; };
    auto s = service::Service::Open(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    Declare("office-entry", Scenario::kVerification);
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  void Declare(const std::string& name, Scenario scenario) {
    notice_[name] = DeclareWithNotice(*svc_, name, scenario);
  }
  ConsentRecord Consent(const std::string& subject, const std::string& purpose) {
    service::Service::ConsentRequest r;
    r.subject = subject;
    r.purpose = purpose;
    r.notice_id = notice_[purpose];
    r.option = ConsentOption::kAlways;
    auto c = svc_->GiveConsent(r, "test");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : ConsentRecord{};
  }
  int64_t Enrol(const std::string& subject, const std::string& purpose, const std::string& photo) {
    auto e = svc_->Enrol(subject, purpose, photo, "", "test");
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? e->template_id : 0;
  }
  // The successful audit events with this action, oldest first.
  std::vector<AuditEvent> Events(const std::string& action) {
    std::vector<AuditEvent> out;
    auto all = svc_->ListAudit(0, 100000);
    EXPECT_TRUE(all.ok());
    if (all.ok())
      for (const AuditEvent& e : *all)
        if (e.action == action && e.outcome == "ok") out.push_back(e);
    return out;
  }
  static void ExpectRefused(const Status& s, const std::string& req) {
    EXPECT_EQ(s.kind(), ErrorKind::kRefused) << s.ToString();
    EXPECT_EQ(s.requirement(), req) << s.ToString();
  }

  UnixTime now_ = 1'800'000'000;
  std::map<std::string, int64_t> notice_;
  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
};

TEST_F(RightsTest, R1_ExportHoldsConsentsTemplatesAndMatchLogButNoVectors) {
  ConsentRecord c = Consent("S1", "office-entry");
  int64_t tid = Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 1));
  auto v = svc_->Verify("S1", "office-entry", Lfw("Ai_Sugiyama", 2), "", "test");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  auto alt = svc_->ChooseAlternative("S1", "office-entry", "staff-card", "kiosk-1", "test");
  ASSERT_TRUE(alt.ok());
  ASSERT_TRUE(svc_->CompleteAlternative(*alt, "granted", "test").ok());
  ASSERT_TRUE(svc_->RefuseConsent("S1", "office-entry", "test").ok());
  Consent("S2", "office-entry");  // someone else: never in S1's export

  auto doc = svc_->ExportSubject("S1", 0, "key:op1");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  json x = json::parse(doc->json);
  REQUIREMENT("R1");
  EXPECT_EQ(x["subject"]["id"], "S1");
  ASSERT_EQ(x["consents"].size(), 1u);
  EXPECT_EQ(x["consents"][0]["id"], c.id);
  EXPECT_EQ(x["consents"][0]["notice_version"], 1) << "consents carry their notice version";
  ASSERT_EQ(x["templates"].size(), 1u);
  EXPECT_EQ(x["templates"][0]["id"], tid);
  EXPECT_EQ(x["templates"][0]["model"], v->model);
  EXPECT_FALSE(x["templates"][0].contains("ciphertext"));
  EXPECT_FALSE(x["templates"][0].contains("values"));
  EXPECT_EQ(doc->json.find("S2"), std::string::npos) << "nobody else's data";
  ASSERT_EQ(x["alternatives"].size(), 1u);
  EXPECT_EQ(x["alternatives"][0]["outcome"], "granted");
  ASSERT_EQ(x["consent_refusals"].size(), 1u);
  // The match log: the enrolment and the verification with distance, threshold and model.
  std::vector<std::string> actions;
  for (const json& e : x["match_log"]) actions.push_back(e["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"enrol", "verify", "alternative.complete"}));
  const json& ver = x["match_log"][1]["detail"];
  EXPECT_FLOAT_EQ(ver["distance"].get<float>(), v->distance);
  EXPECT_FLOAT_EQ(ver["threshold"].get<float>(), v->threshold);
  // Tracked: an access request, done by the exporting operator.
  ASSERT_EQ(x["rights_requests"].size(), 1u);
  EXPECT_EQ(x["rights_requests"][0]["kind"], "access");
  EXPECT_EQ(x["rights_requests"][0]["status"], "done");
  EXPECT_EQ(x["rights_requests"][0]["handled_by"], "key:op1");
  // The readable copy says the same.
  EXPECT_NE(doc->markdown.find("## Match log"), std::string::npos);
  EXPECT_NE(doc->markdown.find("| verify | office-entry | ok ("), std::string::npos)
      << doc->markdown;
  EXPECT_NE(doc->markdown.find(v->model), std::string::npos) << v->model;  // the model that made it
  // The export itself is audited (REQ S6), and the chain holds.
  auto ex = Events("rights.export");
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].subject, "S1");
  EXPECT_EQ(ex[0].actor, "key:op1");
  EXPECT_TRUE(svc_->VerifyAudit()->intact);
  EXPECT_EQ(svc_->ExportSubject("S9", 0, "test").status().kind(), ErrorKind::kNotFound);
}

TEST_F(RightsTest, R1_CorrectionReplacesTheTemplatesInOneStep) {
  Consent("S1", "office-entry");
  int64_t old1 = Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 1));
  int64_t old2 = Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 2));
  // A photo without a face changes nothing; the request stays open to retry.
  auto req = svc_->OpenRightsRequest(
      {"S1", "correction", "office-entry", "new photo brought in", 0}, "test");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_TRUE(svc_->ApproveCorrection(req->id, "ID card checked at the desk", "dpo").ok());
  auto bad = svc_->CorrectEnrolment("S1", "office-entry", "not an image", "", req->id, "test");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(*svc_->store().CountTemplates("S1"), 2);
  EXPECT_EQ(svc_->GetRightsRequest(req->id)->status, "open");

  auto before = svc_->store().GetTemplates("S1", "office-entry");
  ASSERT_TRUE(before.ok());
  REQUIREMENT("R1");
  auto r = svc_->CorrectEnrolment("S1", "office-entry", Lfw("Ai_Sugiyama", 3), "", req->id, "test");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->templates_replaced, 2);
  EXPECT_EQ(r->request_id, req->id);
  auto now_held = svc_->store().GetTemplates("S1", "office-entry");
  ASSERT_TRUE(now_held.ok());
  ASSERT_EQ(now_held->size(), 1u);
  EXPECT_EQ((*now_held)[0].id, r->template_id);
  for (const SealedTemplate& t : *before)  // a new sealed template, not one of the old ones
    EXPECT_NE((*now_held)[0].ciphertext, t.ciphertext)
        << "old template " << t.id << " (" << old1 << ", " << old2 << ")";
  EXPECT_EQ(svc_->GetRightsRequest(req->id)->status, "done");
  // The person is still recognised with the corrected template.
  auto v = svc_->Verify("S1", "office-entry", Lfw("Ai_Sugiyama", 4), "", "test");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->match) << v->distance;
  // A request of another kind or person is not completed by a correction.
  auto acc = svc_->OpenRightsRequest({"S1", "access", "", "", 0}, "test");
  EXPECT_EQ(svc_->CorrectEnrolment("S1", "office-entry", Lfw("Ai_Sugiyama", 3), "", acc->id, "test")
                .status()
                .kind(),
            ErrorKind::kInvalidInput);
  // Correction rests on the existing consent: after withdrawal the Gate refuses (C4).
  ASSERT_TRUE(svc_->WithdrawConsent("S1", "office-entry", "test").ok());
  auto late = svc_->OpenRightsRequest({"S1", "correction", "office-entry", "", 0}, "test");
  ASSERT_TRUE(late.ok());
  ASSERT_TRUE(svc_->ApproveCorrection(late->id, "ID card checked", "dpo").ok());
  ExpectRefused(
      svc_->CorrectEnrolment("S1", "office-entry", Lfw("Ai_Sugiyama", 3), "", late->id, "test").status(),
      "C4");
}

TEST_F(RightsTest, R1_DeletionRemovesTemplatesKeyConsentsAndIdentity) {
  Declare("canteen-pay", Scenario::kVerification);
  Consent("S1", "office-entry");
  Consent("S1", "canteen-pay");
  Consent("S2", "office-entry");
  Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 1));
  Enrol("S1", "canteen-pay", Lfw("Ai_Sugiyama", 2));
  Enrol("S2", "office-entry", Lfw("Alan_Greenspan", 1));
  auto req = svc_->OpenRightsRequest({"S1", "deletion", "", "letter of 1 March", 0}, "test");
  ASSERT_TRUE(req.ok());

  REQUIREMENT("R1");
  auto r = svc_->EraseSubject("S1", req->id, "key:op1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->consents_withdrawn, 2);
  EXPECT_EQ(r->templates_deleted, 2);
  EXPECT_TRUE(r->key_destroyed);
  EXPECT_TRUE(r->identity_anonymised);
  EXPECT_EQ(*svc_->store().CountTemplates("S1"), 0);
  EXPECT_EQ(svc_->store().GetWrappedSubjectKey("S1").status().kind(), ErrorKind::kNotFound);
  auto file = svc_->store().ReadSubjectFile("S1");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->erased_at, now_);
  for (const ConsentRecord& c : file->consents) EXPECT_TRUE(c.withdrawn_at);
  auto done = svc_->GetRightsRequest(req->id);
  EXPECT_EQ(done->status, "done");
  EXPECT_EQ(done->handled_by, "key:op1");
  // Processing has nothing left to rest on; the other person is untouched.
  ExpectRefused(svc_->Verify("S1", "office-entry", Lfw("Ai_Sugiyama", 3), "", "test").status(),
                "C4");
  EXPECT_EQ(*svc_->store().CountTemplates("S2"), 1);
  auto v2 = svc_->Verify("S2", "office-entry", Lfw("Alan_Greenspan", 2), "", "test");
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  // The audit keeps only the pseudonymous id, and the chain is intact.
  auto ev = Events("rights.erase");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].subject, "S1");
  EXPECT_EQ(json::parse(ev[0].detail)["templates_deleted"], 2);
  EXPECT_TRUE(svc_->VerifyAudit()->intact);
  EXPECT_EQ(svc_->EraseSubject("S9", 0, "test").status().kind(), ErrorKind::kNotFound);
}

TEST_F(RightsTest, R1_RestrictionStopsFaceProcessingKeepsDataAndLiftRestoresIt) {
  Consent("S1", "office-entry");
  Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 1));
  auto r = svc_->RestrictSubject("S1", 0, "test");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->request_id, 0);
  EXPECT_EQ(svc_->GetRightsRequest(r->request_id)->kind, "restriction");
  REQUIREMENT("R1");
  auto v = svc_->Verify("S1", "office-entry", Lfw("Ai_Sugiyama", 2), "", "test");
  ExpectRefused(v.status(), "R1");
  EXPECT_NE(v.status().message().find("lift"), std::string::npos);
  ExpectRefused(svc_->Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 3), "", "test").status(),
                "R1");
  auto corr = svc_->OpenRightsRequest({"S1", "correction", "office-entry", "", 0}, "test");
  ASSERT_TRUE(corr.ok());
  ASSERT_TRUE(svc_->ApproveCorrection(corr->id, "ID card checked", "dpo").ok());
  auto restricted =
      svc_->CorrectEnrolment("S1", "office-entry", Lfw("Ai_Sugiyama", 3), "", corr->id, "test");
  ExpectRefused(restricted.status(), "R1");
  EXPECT_NE(restricted.status().message().find("restrict"), std::string::npos)
      << restricted.status().message();
  // Kept: consent and template.
  EXPECT_EQ(*svc_->store().CountTemplates("S1"), 1);
  EXPECT_FALSE(svc_->ListConsents("S1", "office-entry")->front().withdrawn_at);
  EXPECT_EQ(svc_->RestrictSubject("S1", 0, "test").status().kind(), ErrorKind::kConflict);
  // Lifted: processing resumes under the same consent.
  ASSERT_TRUE(svc_->LiftRestriction("S1", "test").ok());
  auto again = svc_->Verify("S1", "office-entry", Lfw("Ai_Sugiyama", 2), "", "test");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->match);
  EXPECT_EQ(svc_->LiftRestriction("S1", "test").kind(), ErrorKind::kNotFound);
  EXPECT_EQ(Events("rights.restrict").size(), 1u);
  EXPECT_EQ(Events("rights.lift").size(), 1u);
}

TEST_F(RightsTest, R1_RequestsAreTrackedToCompletionAndOverdueOnesListed) {
  auto a = svc_->OpenRightsRequest({"S1", "access", "", "by e-mail", 0}, "test");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->status, "open");
  EXPECT_EQ(a->due_at, now_ + 15 * 86400) << "default deadline: 15 days";
  now_ += 86400;
  auto d = svc_->OpenRightsRequest({"S1", "deletion", "", "", 0}, "test");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(svc_->OpenRightsRequest({"S1", "forget", "", "", 0}, "test").status().kind(),
            ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->OpenRightsRequest({"", "access", "", "", 0}, "test").status().kind(),
            ErrorKind::kInvalidInput);

  now_ += 15 * 86400;  // a's deadline passed, d's not yet
  auto open = svc_->ListRightsRequests("", true);
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 2u);
  int overdue = 0;
  for (const auto& r : *open) overdue += r.overdue_at(now_);
  EXPECT_EQ(overdue, 1);
  EXPECT_TRUE(svc_->GetRightsRequest(a->id)->overdue_at(now_));

  REQUIREMENT("R1");
  // A refusal needs a reason the person can read (REQ R1).
  auto no_reason = svc_->RefuseRightsRequest(d->id, "  ", "test");
  EXPECT_EQ(no_reason.status().kind(), ErrorKind::kInvalidInput);
  auto refused =
      svc_->RefuseRightsRequest(d->id, "records must be kept 3 years under PIPL 56", "key:op1");
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->status, "refused");
  EXPECT_EQ(refused->reason, "records must be kept 3 years under PIPL 56");
  EXPECT_EQ(refused->handled_by, "key:op1");
  // Answering the access request completes it (late, but done); a second answer conflicts.
  auto doc = svc_->ExportSubject("S1", a->id, "test");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->request_id, a->id);
  auto done = svc_->GetRightsRequest(a->id);
  EXPECT_EQ(done->status, "done");
  EXPECT_FALSE(done->overdue_at(now_));
  EXPECT_EQ(svc_->ExportSubject("S1", a->id, "test").status().kind(), ErrorKind::kConflict);
  EXPECT_EQ(svc_->CompleteRightsRequest(d->id, "", "test").status().kind(), ErrorKind::kConflict);
  EXPECT_TRUE(svc_->ListRightsRequests("", true)->empty());
  auto refusals = Events("rights.refuse");
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(json::parse(refusals[0].detail)["reason"],
            "records must be kept 3 years under PIPL 56");
}

TEST_F(RightsTest, R1_DeadlineDaysAreConfigurable) {
  svc_.reset();
  service::Config c = TestConfig(home_);
  c.clock = [this] { return now_; };
  c.rights_due_days = 30;
  auto s = service::Service::Open(c);
  ASSERT_TRUE(s.ok());
  auto r = (*s)->OpenRightsRequest({"S1", "explanation", "", "", 0}, "test");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->due_at, now_ + 30 * 86400);
}

TEST_F(RightsTest, R1_ExplanationGivesThresholdDistanceModelAndTheRulesApplied) {
  Declare("canteen-pay", Scenario::kVerification);
  Consent("S1", "office-entry");
  Enrol("S1", "office-entry", Lfw("Ai_Sugiyama", 1));
  auto v = svc_->Verify("S1", "office-entry", Lfw("Ai_Sugiyama", 2), "", "test");
  ASSERT_TRUE(v.ok());
  now_ += 10;
  ExpectRefused(svc_->Verify("S1", "canteen-pay", Lfw("Ai_Sugiyama", 2), "", "test").status(),
                "C1");

  REQUIREMENT("R1");
  auto doc = svc_->ExplainDecisions("S1", 10, 0, "test");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  json x = json::parse(doc->json);
  ASSERT_EQ(x["decisions"].size(),
            3u);  // newest first: the refusal, the verification, the enrolment
  const json& refusal = x["decisions"][0];
  EXPECT_EQ(refusal["outcome"], "refused:C1");
  EXPECT_EQ(refusal["rules"][0]["id"], "C1");
  EXPECT_FALSE(refusal["rules"][0]["citation"].get<std::string>().empty());
  const json& ver = x["decisions"][1];
  EXPECT_EQ(ver["action"], "verify");
  EXPECT_FLOAT_EQ(ver["threshold"].get<float>(), v->threshold);
  EXPECT_FLOAT_EQ(ver["distance"].get<float>(), v->distance);
  EXPECT_EQ(ver["model"], v->model);
  std::set<std::string> ids;
  for (const json& r : ver["rules"]) ids.insert(r["id"]);
  EXPECT_TRUE(ids.count("C1") && ids.count("SC1")) << ver.dump();
  EXPECT_NE(ver["decision"].get<std::string>().find(v->match ? "match" : "no match"),
            std::string::npos);
  EXPECT_EQ(x["decisions"][2]["action"], "enrol");
  EXPECT_NE(doc->markdown.find("REQ SC1"), std::string::npos) << doc->markdown;
  auto limited = svc_->ExplainDecisions("S1", 1, 0, "test");
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(json::parse(limited->json)["decisions"].size(), 1u);
  // Tracked and audited.
  EXPECT_EQ(svc_->ListRightsRequests("S1", false)->size(), 2u);
  EXPECT_EQ(Events("rights.explain").size(), 2u);
}

TEST_F(RightsTest, R2_IdentificationDecisionIsEscalatedAndReviewedByAPerson) {
  Declare("staff-search", Scenario::kIdentification);
  Consent("S1", "staff-search");
  Consent("S2", "staff-search");
  Enrol("S1", "staff-search", Lfw("Ai_Sugiyama", 1));
  Enrol("S2", "staff-search", Lfw("Alan_Greenspan", 1));
  auto id = svc_->Identify("staff-search", Lfw("Ai_Sugiyama", 2), "device-1");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(id->identified);
  ASSERT_EQ(id->subject, "S1");
  auto idents = Events("identify");
  ASSERT_EQ(idents.size(), 1u);
  const int64_t seq = idents[0].seq;

  REQUIREMENT("R2");
  // Only a 1:N decision can be escalated under R2.
  auto enrol_ev = Events("enrol");
  ASSERT_FALSE(enrol_ev.empty());
  EXPECT_EQ(svc_->OpenRightsRequest({"S1", "human_review", "", "", enrol_ev[0].seq}, "test")
                .status()
                .kind(),
            ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->OpenRightsRequest({"S1", "human_review", "", "", 0}, "test").status().kind(),
            ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->OpenRightsRequest({"S1", "human_review", "", "", 99999}, "test").status().kind(),
            ErrorKind::kNotFound);

  auto req =
      svc_->OpenRightsRequest({"", "human_review", "", "I was not at the door", seq}, "key:op1");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->subject, "S1") << "the identified person, from the decision";
  EXPECT_EQ(req->purpose, "staff-search");
  json detail = json::parse(req->detail);
  EXPECT_EQ(detail["event"]["seq"], seq);
  EXPECT_EQ(detail["event"]["identified_subject"], "S1");
  EXPECT_TRUE(detail["event"]["decision"].contains("distance"));

  // The reviewer records the outcome with a reason; nothing else closes it.
  EXPECT_EQ(svc_->CompleteRightsRequest(req->id, "", "test").status().kind(),
            ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->RecordReview(req->id, "maybe", "x", "rev").status().kind(),
            ErrorKind::kInvalidInput);
  EXPECT_EQ(svc_->RecordReview(req->id, "overturned", "", "rev").status().kind(),
            ErrorKind::kInvalidInput);
  auto reviewed =
      svc_->RecordReview(req->id, "overturned", "door camera shows another person", "key:reviewer");
  ASSERT_TRUE(reviewed.ok()) << reviewed.status().ToString();
  EXPECT_EQ(reviewed->status, "done");
  EXPECT_EQ(reviewed->handled_by, "key:reviewer");
  json rd = json::parse(reviewed->detail);
  EXPECT_EQ(rd["review"]["outcome"], "overturned");
  EXPECT_EQ(rd["review"]["reason"], "door camera shows another person");
  EXPECT_EQ(svc_->RecordReview(req->id, "confirmed", "second look", "rev").status().kind(),
            ErrorKind::kConflict);
  auto rev = Events("rights.review");
  ASSERT_EQ(rev.size(), 1u);
  EXPECT_EQ(json::parse(rev[0].detail)["event"], seq);
  // The explanation of that identification points to the review right (R2).
  auto ex = svc_->ExplainDecisions("S1", 10, 0, "test");
  ASSERT_TRUE(ex.ok());
  EXPECT_NE(ex->json.find("\"R2\""), std::string::npos) << ex->json;
}

TEST_F(RightsTest, R1_RestrictedPersonIsNoCandidateOfAnIdentification) {
  Declare("staff-search", Scenario::kIdentification);
  Consent("S1", "staff-search");
  Consent("S2", "staff-search");
  Enrol("S1", "staff-search", Lfw("Ai_Sugiyama", 1));
  Enrol("S2", "staff-search", Lfw("Alan_Greenspan", 1));
  ASSERT_TRUE(svc_->Identify("staff-search", Lfw("Ai_Sugiyama", 2), "test")->identified);
  ASSERT_TRUE(svc_->RestrictSubject("S1", 0, "test").ok());
  REQUIREMENT("R1");
  auto id = svc_->Identify("staff-search", Lfw("Ai_Sugiyama", 2), "test");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_FALSE(id->identified) << "a restricted person is not named by a 1:N search";
  ASSERT_TRUE(svc_->LiftRestriction("S1", "test").ok());
  auto back = svc_->Identify("staff-search", Lfw("Ai_Sugiyama", 2), "test");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->identified);
  EXPECT_EQ(back->subject, "S1");
}

// ---- the CLI ----

class RightsCliTest : public ::testing::Test {
 protected:
  void SetUp() override { home_ = TempHome("rights-cli"); }
  void TearDown() override { std::filesystem::remove_all(home_); }
  CliResult Cli(const std::string& args) { return RunCli(home_, args); }
  std::filesystem::path home_;
};

TEST_F(RightsCliTest, R1_RightsCommandsTrackExportRestrictAndRefuse) {
  for (const char* sub : {"request", "list", "show", "complete", "refuse", "export", "explain",
                          "correct", "erase", "withdraw", "restrict", "lift", "review"}) {
    auto h = Cli(std::string("rights ") + sub + " --help");
    EXPECT_EQ(h.exit_code, 0) << sub << ": " << h.out;
    EXPECT_NE(h.out.find("Usage"), std::string::npos) << sub;
  }
  WriteAll((home_ / "notice.md").string(), kNoticeText);
  ASSERT_EQ(Cli("purpose add office-entry --retention 365d --alternative staff-card").exit_code, 0);
  ASSERT_EQ(Cli("notice publish office-entry '" + (home_ / "notice.md").string() + "'").exit_code,
            0);
  ASSERT_EQ(Cli("consent give S1 office-entry --notice 1 --option always").exit_code, 0);

  REQUIREMENT("R1");
  auto req = Cli("--json rights request S1 access --note 'at the front desk'");
  ASSERT_EQ(req.exit_code, 0) << req.out;
  json r = json::parse(req.out);
  const int64_t id = r["request"]["id"];
  EXPECT_EQ(r["request"]["status"], "open");
  EXPECT_EQ(r["request"]["overdue"], false);

  auto list = Cli("--json rights list --open");
  ASSERT_EQ(list.exit_code, 0) << list.out;
  EXPECT_EQ(json::parse(list.out)["requests"].size(), 1u);

  auto exp = Cli("--json rights export S1 --request " + std::to_string(id));
  ASSERT_EQ(exp.exit_code, 0) << exp.out;
  json x = json::parse(exp.out);
  EXPECT_EQ(x["subject"]["id"], "S1");
  EXPECT_EQ(x["consents"].size(), 1u);
  auto md = Cli("rights export S1 --out '" + (home_ / "s1.md").string() + "'");
  ASSERT_EQ(md.exit_code, 0) << md.out;
  EXPECT_NE(ReadAll((home_ / "s1.md").string()).find("# Your data held by facegate"),
            std::string::npos);

  auto restrict = Cli("rights restrict S1");
  EXPECT_EQ(restrict.exit_code, 0) << restrict.out;
  auto again = Cli("rights restrict S1");
  EXPECT_EQ(again.exit_code, 5) << again.out;  // conflict
  EXPECT_EQ(Cli("rights lift S1").exit_code, 0);

  auto del = Cli("--json rights request S1 deletion");
  ASSERT_EQ(del.exit_code, 0) << del.out;
  const std::string did = std::to_string(json::parse(del.out)["request"]["id"].get<int64_t>());
  auto no_reason = Cli("rights refuse " + did);
  EXPECT_EQ(no_reason.exit_code, 2) << no_reason.out;  // --reason is required
  auto refused = Cli("--json rights refuse " + did + " --reason 'a legal hold applies until 2027'");
  ASSERT_EQ(refused.exit_code, 0) << refused.out;
  EXPECT_EQ(json::parse(refused.out)["request"]["reason"], "a legal hold applies until 2027");
  auto show = Cli("rights show " + did);
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_NE(show.out.find("refused"), std::string::npos) << show.out;
  EXPECT_EQ(Cli("rights show 999").exit_code, 4);
  EXPECT_EQ(Cli("rights request S1 forget-me").exit_code, 2);
}

}  // namespace
}  // namespace facegate
