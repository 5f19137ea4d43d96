// The breach workflow end to end through the Service on real models and a real
// SQLite store (REQ S9, PIPL 57): the affected people and their data kinds are
// computed from what was really enrolled, consented and logged during the
// exposure window; the authority report and the people's notices carry the
// art. 57 contents; steps out of order are refused; and the `facegate breach` commands.
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

constexpr UnixTime kT0 = 1'800'000'000;
constexpr UnixTime kFrom = kT0 + 1000, kTo = kT0 + 4000;  // the exposure window

class BreachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("breach");
    service::Config c = TestConfig(home_);
    c.clock = [this] { return now_; };
    auto s = service::Service::Open(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    Declare("office-entry");
    Declare("lab-door");
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }
  void Declare(const std::string& name) {
    notice_[name] = DeclareWithNotice(*svc_, name);
  }
  // Consent and one enrolment from a real photo, at the current clock.
  void ConsentAndEnrol(const std::string& subject, const std::string& purpose, const std::string& photo) {
    service::Service::ConsentRequest r;
    r.subject = subject;
    r.purpose = purpose;
    r.notice_id = notice_[purpose];
    r.option = ConsentOption::kAlways;
    auto c = svc_->GiveConsent(r, "test");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    auto e = svc_->Enrol(subject, purpose, photo, "", "test");
    ASSERT_TRUE(e.ok()) << subject << ": " << e.status().ToString();
  }

  // Six people around the window [kFrom, kTo] (see each line).
  void Populate() {
    now_ = kT0;
    // A: enrolled before the window, verified inside it: every kind.
    ConsentAndEnrol("A", "office-entry", Lfw("Ai_Sugiyama", 1));
    // B: withdrew before the window: template gone before it, consent row and identity kept.
    ConsentAndEnrol("B", "office-entry", Lfw("Alan_Greenspan", 1));
    // E: declared a birth date, enrolled before the window, erased after it.
    ASSERT_TRUE(svc_->DeclareSubject("E", "1990-04-17", "test").ok());
    ConsentAndEnrol("E", "office-entry", Lfw("Ahmed_Chalabi", 1));
    // F: erased before the window: only the kept consent rows remain.
    ConsentAndEnrol("F", "office-entry", Lfw("Angela_Bassett", 1));
    now_ = kT0 + 100;
    ASSERT_TRUE(svc_->WithdrawConsent("B", "office-entry", "test").ok());
    now_ = kT0 + 200;
    ASSERT_TRUE(svc_->EraseSubject("F", 0, "test").ok());
    // C: another purpose only, enrolled inside the window: not affected.
    now_ = kT0 + 1500;
    ConsentAndEnrol("C", "lab-door", Lfw("Ben_Affleck", 1));
    auto v = svc_->Verify("A", "office-entry", Lfw("Ai_Sugiyama", 2), "", "test");
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(v->match);
    now_ = kT0 + 3000;
    ASSERT_TRUE(svc_->EraseSubject("E", 0, "test").ok());
    // D: enrolled after the window: not affected.
    now_ = kT0 + 5000;
    ConsentAndEnrol("D", "office-entry", Lfw("Amanda_Bynes", 1));
    now_ = kT0 + 6000;
  }

  service::BreachInput Input(std::vector<std::string> kinds, std::vector<std::string> purposes) {
    service::BreachInput in;
    in.detected_at = kT0 + 5500;
    in.description = "a copy of the database was found on a public file share";
    in.cause = "a backup job wrote to a misconfigured share";
    in.harm = "consent records and logs readable; templates sealed but keys were in the same copy";
    in.measures = "share removed, master key rotated, subject keys re-wrapped";
    in.individual_advice = "withdraw your consent or ask for deletion; beware of calls quoting your visits";
    in.contact = "dpo@example.com, +86 21 5555 0100";
    in.window_from = kFrom;
    in.window_to = kTo;
    in.kinds = std::move(kinds);
    in.purposes = std::move(purposes);
    return in;
  }

  static std::map<std::string, std::vector<std::string>> Kinds(const std::vector<BreachAffectedRecord>& v) {
    std::map<std::string, std::vector<std::string>> out;
    for (const BreachAffectedRecord& a : v) out[a.subject] = a.kinds;
    return out;
  }
  std::vector<AuditEvent> Events(const std::string& action) {
    std::vector<AuditEvent> out;
    auto all = svc_->ListAudit(0, 100000);
    EXPECT_TRUE(all.ok());
    if (all.ok())
      for (const AuditEvent& e : *all)
        if (e.action == action) out.push_back(e);
    return out;
  }

  UnixTime now_ = kT0;
  std::map<std::string, int64_t> notice_;
  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
};

using K = std::vector<std::string>;

TEST_F(BreachTest, S9_AffectedPeopleAndKindsComeFromTheStoreForTheWindow) {
  Populate();
  auto b = svc_->OpenBreach(Input({"template", "consent", "identity", "audit"}, {"office-entry"}), "key:dpo");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->status, "open");
  auto v = svc_->AssessBreach(b->id, "key:dpo");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->breach.status, "assessed");
  EXPECT_EQ(v->next_steps, K{"notify-authority"});
  const std::map<std::string, K> expected = {
      // enrolled before, verified inside the window
      {"A", K{"template", "consent", "identity", "audit"}},
      // template deleted by the withdrawal before the window; consent row and identity held
      {"B", K{"consent", "identity"}},
      // erased after the window: the template deleted since still counts (from the log),
      // and the erasure event lies inside the window
      {"E", K{"template", "consent", "identity", "audit"}},
      // erased before the window: identity and template gone, kept consent rows remain
      {"F", K{"consent"}},
      // C (other purpose) and D (after the window) are not affected
  };
  REQUIREMENT("S9");
  EXPECT_EQ(Kinds(v->affected), expected);

  // Stored: the same set comes back from the store, and the read is audited (REQ S6).
  auto shown = svc_->ShowBreach(b->id, "key:auditor");
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(Kinds(shown->affected), expected);
  ASSERT_EQ(Events("breach.show").size(), 1u);
  EXPECT_EQ(Events("breach.show")[0].actor, "key:auditor");

  // Every purpose and every kind: C now counts (lab-door), D still not (after the window).
  auto all = svc_->OpenBreach(Input({"template", "consent", "identity", "audit", "alternative"}, {}), "key:dpo");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  auto va = svc_->AssessBreach(all->id, "key:dpo");
  ASSERT_TRUE(va.ok()) << va.status().ToString();
  auto ka = Kinds(va->affected);
  EXPECT_EQ(ka.count("D"), 0u);
  EXPECT_EQ(ka["C"], (K{"template", "consent", "identity", "audit"}));
  EXPECT_EQ(ka.size(), 5u);

  // Only templates, of the other purpose: C alone.
  auto lab = svc_->OpenBreach(Input({"template"}, {"lab-door"}), "key:dpo");
  ASSERT_TRUE(lab.ok());
  auto vl = svc_->AssessBreach(lab->id, "key:dpo");
  ASSERT_TRUE(vl.ok());
  EXPECT_EQ(Kinds(vl->affected), (std::map<std::string, K>{{"C", K{"template"}}}));

  // A window before anybody existed affects nobody.
  service::BreachInput early = Input({"template", "consent", "identity", "audit"}, {});
  early.window_from = kT0 - 500;
  early.window_to = kT0 - 1;
  auto e = svc_->OpenBreach(early, "key:dpo");
  ASSERT_TRUE(e.ok());
  auto ve = svc_->AssessBreach(e->id, "key:dpo");
  ASSERT_TRUE(ve.ok());
  EXPECT_TRUE(ve->affected.empty());
  EXPECT_TRUE(svc_->VerifyAudit()->intact);
}

// The "alternative" kind covers the PIN and card verifiers of the alternative
// connectors (REQ A4) as well as face-free transactions: a verifier registered before
// the window and still stored counts; one erased before the window, one registered
// after it, and one for another purpose do not.
TEST_F(BreachTest, S9_AlternativeKindCoversRegisteredPinAndCardVerifiers) {
  now_ = kT0;
  for (const char* purpose : {"office-entry", "lab-door"}) {
    AlternativeConnectorRecord r;
    r.purpose = purpose;
    r.method = "staff-card";
    r.kind = "card";
    r.config = "{}";
    Status st = svc_->ConnectAlternative(r, "admin");
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  ASSERT_TRUE(svc_->RegisterAlternativeCredential("G", "office-entry", "staff-card", "04A1B2C3D4", "desk").ok());
  ASSERT_TRUE(svc_->RegisterAlternativeCredential("H", "office-entry", "staff-card", "04A1B2C3D5", "desk").ok());
  ASSERT_TRUE(svc_->RegisterAlternativeCredential("L", "lab-door", "staff-card", "04A1B2C3D6", "desk").ok());
  now_ = kT0 + 200;
  ASSERT_TRUE(svc_->EraseSubject("H", 0, "test").ok());
  now_ = kT0 + 5000;
  ASSERT_TRUE(svc_->RegisterAlternativeCredential("J", "office-entry", "staff-card", "04A1B2C3D7", "desk").ok());
  now_ = kT0 + 6000;

  auto b = svc_->OpenBreach(Input({"alternative"}, {"office-entry"}), "key:dpo");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto v = svc_->AssessBreach(b->id, "key:dpo");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  REQUIREMENT("S9");
  EXPECT_EQ(Kinds(v->affected), (std::map<std::string, K>{{"G", K{"alternative"}}}));

  // Every purpose: L's lab-door card counts too.
  auto all = svc_->OpenBreach(Input({"alternative"}, {}), "key:dpo");
  ASSERT_TRUE(all.ok());
  auto va = svc_->AssessBreach(all->id, "key:dpo");
  ASSERT_TRUE(va.ok());
  EXPECT_EQ(Kinds(va->affected),
            (std::map<std::string, K>{{"G", K{"alternative"}}, {"L", K{"alternative"}}}));
}

TEST_F(BreachTest, S9_AuthorityReportAndPeopleNoticesCarryTheArticle57Contents) {
  Populate();
  service::BreachInput in = Input({"template", "consent", "identity", "audit"}, {"office-entry"});
  auto b = svc_->OpenBreach(in, "key:dpo");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(svc_->AssessBreach(b->id, "key:dpo").ok());

  now_ = kT0 + 7000;
  auto rep = svc_->NotifyAuthority(b->id, "CAC-SH-2027-0042", "key:dpo");
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  json r = json::parse(rep->json);
  REQUIREMENT("S9");
  EXPECT_EQ(r["breach"], b->id);
  EXPECT_EQ(r["authority_reference"], "CAC-SH-2027-0042");
  EXPECT_EQ(r["cause"], in.cause);
  EXPECT_EQ(r["possible_harm"], in.harm);
  EXPECT_EQ(r["remedial_measures"], in.measures);
  EXPECT_EQ(r["what_individuals_can_do"], in.individual_advice);
  EXPECT_EQ(r["handler_contact"], in.contact);
  EXPECT_EQ(r["purposes"], json::array({"office-entry"}));
  EXPECT_EQ(r["affected_people"], 4);
  EXPECT_EQ(r["affected_by_kind"]["template"], 2);  // A, E
  EXPECT_EQ(r["affected_by_kind"]["consent"], 4);   // A, B, E, F
  EXPECT_EQ(r["affected_by_kind"]["identity"], 3);  // A, B, E
  EXPECT_EQ(r["affected_by_kind"]["audit"], 2);     // A, E
  ASSERT_EQ(r["personal_information_kinds"].size(), 4u);
  EXPECT_EQ(r["personal_information_kinds"][0]["kind"], "template");
  EXPECT_EQ(r["window"]["from"], "2027-01-15T08:16:40Z");
  EXPECT_EQ(r["window"]["to"], "2027-01-15T09:06:40Z");
  for (const char* heading : {"Cause (PIPL 57 (1))", "Possible harm (PIPL 57 (1))",
                              "Remedial measures taken (PIPL 57 (2))", "What individuals can do (PIPL 57 (2))",
                              "Handler's contact (PIPL 57 (3))", "原因", "补救措施"})
    EXPECT_NE(rep->markdown.find(heading), std::string::npos) << heading;
  EXPECT_NE(rep->markdown.find(in.measures), std::string::npos);
  EXPECT_EQ(rep->json.find("\"A\""), std::string::npos) << "the report counts people, it does not list them";

  now_ = kT0 + 8000;
  auto notices = svc_->NotifyPeople(b->id, "key:dpo");
  ASSERT_TRUE(notices.ok()) << notices.status().ToString();
  json list = json::parse(notices->json);
  ASSERT_EQ(list.size(), 4u);
  std::map<std::string, json> by;
  for (const json& n : list) by[n["subject"]] = n;
  auto kinds_of = [](const json& n) {
    K out;
    for (const json& k : n["kinds"]) out.push_back(k["kind"]);
    return out;
  };
  EXPECT_EQ(kinds_of(by["A"]), (K{"template", "consent", "identity", "audit"}));
  EXPECT_EQ(kinds_of(by["B"]), (K{"consent", "identity"}));
  EXPECT_EQ(kinds_of(by["F"]), (K{"consent"}));
  for (const auto& [subject, n] : by) {
    EXPECT_EQ(n["contact"], in.contact) << subject;
    EXPECT_EQ(n["what_you_can_do"], in.individual_advice) << subject;
    EXPECT_EQ(n["cause"], in.cause) << subject;
    EXPECT_EQ(n["possible_harm"], in.harm) << subject;
    const std::string md = n["markdown"];
    EXPECT_NE(md.find("您可以做什么 / What you can do"), std::string::npos) << subject;
    EXPECT_NE(md.find(in.contact), std::string::npos) << subject;
    EXPECT_NE(md.find("致 / To: " + subject), std::string::npos) << subject;
  }
  // B's notice names only B's kinds: nothing about a face template.
  EXPECT_EQ(by["B"]["markdown"].get<std::string>().find("face template"), std::string::npos);
  EXPECT_NE(by["B"]["markdown"].get<std::string>().find("consent records"), std::string::npos);
  // The erased person is counted under the pseudonymous id; nothing of the identity leaks.
  EXPECT_EQ(by["E"]["identity_erased"], true);
  EXPECT_EQ(by["A"]["identity_erased"], false);
  EXPECT_EQ(notices->json.find("1990-04-17"), std::string::npos);
  EXPECT_EQ(notices->markdown.find("1990-04-17"), std::string::npos);
  ASSERT_EQ(notices->notices.size(), 4u);

  // Recorded: each person's notified_at, and one audit event naming each (REQ S6).
  auto v = svc_->ShowBreach(b->id, "key:dpo");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->breach.status, "people_notified");
  EXPECT_EQ(v->breach.people_notified_at, kT0 + 8000);
  EXPECT_EQ(v->breach.authority_notified_at, kT0 + 7000);
  EXPECT_EQ(v->breach.authority_reference, "CAC-SH-2027-0042");
  for (const BreachAffectedRecord& a : v->affected) EXPECT_EQ(a.notified_at, kT0 + 8000) << a.subject;
  std::set<std::string> named;
  for (const AuditEvent& e : Events("breach.notice")) named.insert(e.subject);
  EXPECT_EQ(named, (std::set<std::string>{"A", "B", "E", "F"}));
  auto ra = Events("breach.notify_authority");
  ASSERT_EQ(ra.size(), 1u);
  EXPECT_EQ(json::parse(ra[0].detail)["reference"], "CAC-SH-2027-0042");
  EXPECT_EQ(json::parse(ra[0].detail)["report_sha256"].get<std::string>().size(), 64u);
  EXPECT_TRUE(svc_->VerifyAudit()->intact);
}

TEST_F(BreachTest, S9_StepsOutOfOrderAreRefusedNamingTheNextStep) {
  now_ = kT0 + 6000;
  auto b = svc_->OpenBreach(Input({"consent"}, {}), "key:dpo");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const int64_t id = b->id;
  auto expect_refused = [&](const Status& s, const std::string& status, const std::string& next) {
    EXPECT_EQ(s.kind(), ErrorKind::kConflict) << s.ToString();
    EXPECT_NE(s.message().find("is '" + status + "'"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("next allowed step is " + next), std::string::npos) << s.message();
  };
  REQUIREMENT("S9");
  expect_refused(svc_->NotifyAuthority(id, "R-1", "t").status(), "open", "assess");
  expect_refused(svc_->NotifyPeople(id, "t").status(), "open", "assess");
  expect_refused(svc_->DecideNotToNotify(id, "keys rotated", "t").status(), "open", "assess");
  expect_refused(svc_->CloseBreach(id, "t").status(), "open", "assess");
  ASSERT_TRUE(svc_->AssessBreach(id, "t").ok());
  expect_refused(svc_->AssessBreach(id, "t").status(), "assessed", "notify-authority");
  expect_refused(svc_->NotifyPeople(id, "t").status(), "assessed", "notify-authority");
  expect_refused(svc_->CloseBreach(id, "t").status(), "assessed", "notify-authority");
  EXPECT_EQ(svc_->NotifyAuthority(id, "", "t").status().kind(), ErrorKind::kInvalidInput)
      << "the authority's reference is required";
  ASSERT_TRUE(svc_->NotifyAuthority(id, "R-1", "t").ok());
  expect_refused(svc_->CloseBreach(id, "t").status(), "authority_notified", "notify-people or no-notify");
  // Not notifying people needs the reason (PIPL 57).
  Status no_reason = svc_->DecideNotToNotify(id, "", "t").status();
  EXPECT_EQ(no_reason.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(no_reason.message().find("reason"), std::string::npos);
  auto no = svc_->DecideNotToNotify(id, "the leaked copy was encrypted and its key never left the HSM", "t");
  ASSERT_TRUE(no.ok()) << no.status().ToString();
  EXPECT_EQ(no->status, "people_not_notified");
  EXPECT_EQ(svc_->ShowBreach(id, "t")->breach.not_notified_reason,
            "the leaked copy was encrypted and its key never left the HSM");
  // The authority may still require the notices.
  ASSERT_TRUE(svc_->NotifyPeople(id, "t").ok());
  auto closed = svc_->CloseBreach(id, "t");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->status, "closed");
  Status after = svc_->AssessBreach(id, "t").status();
  EXPECT_EQ(after.kind(), ErrorKind::kConflict);
  EXPECT_NE(after.message().find("closed"), std::string::npos) << after.message();
  // Every step was audited, refusals included (REQ S6).
  int refused = 0;
  auto all = svc_->ListAudit(0, 100000);
  ASSERT_TRUE(all.ok());
  for (const AuditEvent& e : *all)
    if (e.action.rfind("breach.", 0) == 0 && e.outcome == "error:conflict") ++refused;
  EXPECT_EQ(refused, 9);
  EXPECT_EQ(svc_->AssessBreach(999, "t").status().kind(), ErrorKind::kNotFound);
}

TEST_F(BreachTest, S9_OpeningNeedsTheArticle57ContentsAKnownKindAndAPastWindow) {
  now_ = kT0 + 6000;
  service::BreachInput in = Input({"template"}, {});
  in.cause.clear();
  in.contact.clear();
  Status s = svc_->OpenBreach(in, "t").status();
  REQUIREMENT("S9");
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(s.message().find("cause, contact"), std::string::npos) << s.message();
  in = Input({"faces"}, {});
  s = svc_->OpenBreach(in, "t").status();
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(s.message().find("unknown data kind 'faces'"), std::string::npos) << s.message();
  s = svc_->OpenBreach(Input({"template"}, {"no-such-purpose"}), "t").status();
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(s.message().find("no-such-purpose"), std::string::npos) << s.message();
  in = Input({"template"}, {});
  in.window_to = now_ + 10;
  s = svc_->OpenBreach(in, "t").status();
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(s.message().find("future"), std::string::npos) << s.message();
  in = Input({"template"}, {});
  std::swap(in.window_from, in.window_to);
  EXPECT_EQ(svc_->OpenBreach(in, "t").status().kind(), ErrorKind::kInvalidInput);
  auto none = svc_->ListBreaches();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty()) << "nothing recorded from a refused input";
}

TEST_F(BreachTest, S9_S5_ClosedBreachRecordExpiresAfterTheRetentionPeriod) {
  now_ = kT0 + 6000;
  ConsentAndEnrol("A", "office-entry", Lfw("Ai_Sugiyama", 1));
  now_ = kT0 + 7000;
  service::BreachInput in = Input({"consent"}, {});
  in.window_to = kT0 + 6500;
  auto b = svc_->OpenBreach(in, "t");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  REQUIREMENT("S5");
  EXPECT_EQ(b->expires_at, now_ + 3 * 365 * 86400);
  ASSERT_EQ(svc_->AssessBreach(b->id, "t")->affected.size(), 1u);
  ASSERT_TRUE(svc_->NotifyAuthority(b->id, "R-2", "t").ok());
  ASSERT_TRUE(svc_->DecideNotToNotify(b->id, "consent rows only, hashes of notices", "t").ok());
  now_ = kT0 + 8000;
  auto c = svc_->CloseBreach(b->id, "t");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->expires_at, kT0 + 8000 + 3 * 365 * 86400);
  // An open breach never expires; the closed one goes at its expiry with its people.
  auto open = svc_->OpenBreach(in, "t");
  ASSERT_TRUE(open.ok());
  now_ = c->expires_at - 1;
  auto early = svc_->SweepRetention("sweeper");
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->breaches_deleted.empty());
  now_ = c->expires_at + 400 * 86400;  // also past the template's 365 days
  auto swept = svc_->SweepRetention("sweeper");
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(swept->breaches_deleted, std::vector<int64_t>{b->id});
  EXPECT_EQ(svc_->ShowBreach(b->id, "t").status().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(svc_->ShowBreach(open->id, "t").ok());
}

// ---- the CLI ----

class BreachCliTest : public ::testing::Test {
 protected:
  void SetUp() override { home_ = TempHome("breach-cli"); }
  void TearDown() override { std::filesystem::remove_all(home_); }
  CliResult Cli(const std::string& args) { return RunCli(home_, args); }
  std::filesystem::path home_;
};

TEST_F(BreachCliTest, S9_BreachCommandsAssessNotifyAndWriteTheDocuments) {
  for (const char* sub : {"open", "assess", "show", "list", "notify-authority", "notify-people",
                          "no-notify", "close"}) {
    auto h = Cli(std::string("breach ") + sub + " --help");
    EXPECT_EQ(h.exit_code, 0) << sub << ": " << h.out;
    EXPECT_NE(h.out.find("Usage"), std::string::npos) << sub;
  }
  WriteAll((home_ / "notice.md").string(), kNoticeText);
  ASSERT_EQ(Cli("purpose add office-entry --retention 365d --alternative staff-card").exit_code, 0);
  ASSERT_EQ(Cli("notice publish office-entry '" + (home_ / "notice.md").string() + "'").exit_code, 0);
  ASSERT_TRUE(CliAssess(home_, "office-entry"));  // REQ F1
  ASSERT_EQ(Cli("consent give S1 office-entry --notice 1 --option always").exit_code, 0);
  auto en = Cli("enrol S1 office-entry '" + Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg") + "'");
  ASSERT_EQ(en.exit_code, 0) << en.out;
  const std::string now = std::to_string(static_cast<long long>(std::time(nullptr)));

  const std::string open_args =
      "breach open --description 'backup copy on a public share' --cause 'misconfigured share' "
      "--harm 'templates readable with the key' --measures 'share removed, key rotated' "
      "--advice 'withdraw consent or ask for deletion' --contact dpo@example.com --from 2020-01-01 "
      "--to " + now + " --kind template --kind consent --purpose office-entry";
  auto bad_kind = Cli("breach open --description d --cause c --harm h --measures m --advice a "
                      "--contact c --from 2020-01-01 --to 2020-02-01 --kind faces");
  EXPECT_EQ(bad_kind.exit_code, 2) << bad_kind.out;
  EXPECT_NE(bad_kind.out.find("unknown data kind 'faces'"), std::string::npos) << bad_kind.out;
  EXPECT_EQ(Cli("breach open --description d --cause c --harm h --measures m --advice a --contact c "
                "--from yesterday --to 2020-02-01 --kind consent").exit_code, 2);

  auto open = Cli("--json " + open_args);
  ASSERT_EQ(open.exit_code, 0) << open.out;
  const int64_t id = json::parse(open.out)["breach"]["id"];
  const std::string sid = std::to_string(id);
  auto early = Cli("breach notify-people " + sid);
  EXPECT_EQ(early.exit_code, 5) << early.out;
  EXPECT_NE(early.out.find("next allowed step is assess"), std::string::npos) << early.out;

  auto assess = Cli("--json breach assess " + sid);
  ASSERT_EQ(assess.exit_code, 0) << assess.out;
  json a = json::parse(assess.out)["breach"];
  REQUIREMENT("S9");
  ASSERT_EQ(a["affected"].size(), 1u);
  EXPECT_EQ(a["affected"][0]["subject"], "S1");
  EXPECT_EQ(a["affected"][0]["kinds"], json::array({"template", "consent"}));
  auto show = Cli("breach show " + sid);
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_NE(show.out.find("S1\ttemplate,consent"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("next: facegate breach notify-authority " + sid), std::string::npos) << show.out;

  const std::string out = (home_ / "docs").string();
  auto auth = Cli("--json breach notify-authority " + sid + " --reference CAC-1 --out '" + out + "'");
  ASSERT_EQ(auth.exit_code, 0) << auth.out;
  json report = json::parse(ReadAll(out + "/breach-" + sid + "-authority-report.json"));
  EXPECT_EQ(report["affected_people"], 1);
  EXPECT_EQ(report["authority_reference"], "CAC-1");
  EXPECT_NE(ReadAll(out + "/breach-" + sid + "-authority-report.md").find("PIPL 57"), std::string::npos);
  auto people = Cli("breach notify-people " + sid + " --out '" + out + "'");
  ASSERT_EQ(people.exit_code, 0) << people.out;
  const std::string notice = ReadAll(out + "/breach-" + sid + "-notice-S1.md");
  EXPECT_NE(notice.find("dpo@example.com"), std::string::npos) << notice;
  EXPECT_NE(notice.find("face template"), std::string::npos) << notice;
  EXPECT_EQ(json::parse(ReadAll(out + "/breach-" + sid + "-notices.json")).size(), 1u);
  EXPECT_EQ(Cli("breach no-notify " + sid + " --reason late").exit_code, 5);
  EXPECT_EQ(Cli("breach close " + sid).exit_code, 0);
  auto list = Cli("--json breach list");
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(json::parse(list.out)["breaches"][0]["status"], "closed");
  EXPECT_EQ(Cli("breach show 999").exit_code, 4);
  auto audit = Cli("--json audit verify");
  EXPECT_EQ(audit.exit_code, 0) << audit.out;
}

}  // namespace
}  // namespace facegate
