// Tenants (REQ S10, PIPL 21) on real models, real photos and real SQLite: each
// tenant is its own home, database and keys; at its end the data is returned
// as a package with a manifest of SHA-256 sums, then every copy is deleted.
#include <facegate/service.h>
#include <facegate/tenants.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "../support/requirement.h"
#include "service/json_views.h"
#include "store/audit_chain.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
using json = nlohmann::json;
namespace fs = std::filesystem;

// Tenant A and tenant B use the same purpose names and subject ids for different people.
const std::map<std::string, std::map<std::string, std::string>> kPeople = {
    {"acme", {{"S1", "Alan_Greenspan"}, {"S2", "Ai_Sugiyama"}}},
    {"bravo", {{"S1", "Ahmed_Chalabi"}, {"S2", "Allyson_Felix"}}}};

class TenantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TempHome("tenants");
    reg_ = std::make_unique<tenants::TenantRegistry>(TestConfig(root_));
  }
  void TearDown() override {
    svcs_.clear();
    leases_.clear();
    fs::remove_all(root_);
  }

  // Opens the tenant's Service the way `--tenant NAME` does (a lease held while open).
  service::Service& Svc(const std::string& tenant) {
    auto it = svcs_.find(tenant);
    if (it != svcs_.end()) return *it->second;
    auto t = reg_->OpenTenant(tenant);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    auto s = service::Service::Open(t->first);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    leases_.emplace(tenant, std::move(t->second));
    return *(svcs_[tenant] = std::move(s).value());
  }
  void Close(const std::string& tenant) {
    svcs_.erase(tenant);
    leases_.erase(tenant);
  }

  // Creates the tenant with purposes office-entry (1:1) and site-entry (1:N), and
  // enrols its two people under both with photo 1.
  void Populate(const std::string& tenant) {
    auto t = reg_->Create(tenant, "");
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    service::Service& svc = Svc(tenant);
    for (auto [name, sc] : {std::pair{"office-entry", Scenario::kVerification},
                            std::pair{"site-entry", Scenario::kIdentification}}) {
      PurposeRecord p;
      p.name = name;
      p.scenario = sc;
      p.retention_days = 365;
      p.alternatives = {"staff-card"};
      ASSERT_TRUE(svc.AddPurpose(p, "test").ok());
      auto n = svc.PublishNotice(name, kNoticeText, "test");
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      ApproveAssessment(svc, name);  // REQ F1
      for (const auto& [subject, who] : kPeople.at(tenant)) {
        service::Service::ConsentRequest r;
        r.subject = subject;
        r.purpose = name;
        r.notice_id = n->id;
        r.option = ConsentOption::kAlways;
        auto c = svc.GiveConsent(r, "test");
        ASSERT_TRUE(c.ok()) << c.status().ToString();
        auto e = svc.Enrol(subject, name, Lfw(who, 1), "", "test");
        ASSERT_TRUE(e.ok()) << e.status().ToString();
      }
    }
  }

  fs::path root_;
  std::unique_ptr<tenants::TenantRegistry> reg_;
  std::map<std::string, tenants::TenantLease> leases_;
  std::map<std::string, std::unique_ptr<service::Service>> svcs_;
};

TEST_F(TenantsTest, S10_TenantsAreIsolatedSameSubjectIdsDoNotCross) {
  Populate("acme");
  Populate("bravo");
  service::Service& a = Svc("acme");
  service::Service& b = Svc("bravo");
  REQUIREMENT("S10");
  // Verify: S1 in acme is Alan Greenspan; bravo's S1 (Ahmed Chalabi) does not pass as him.
  auto own = a.Verify("S1", "office-entry", Lfw("Alan_Greenspan", 2), "", "test");
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_TRUE(own->match);
  auto other = a.Verify("S1", "office-entry", Lfw("Ahmed_Chalabi", 2), "", "test");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_FALSE(other->match) << "distance " << other->distance;
  auto theirs = b.Verify("S1", "office-entry", Lfw("Ahmed_Chalabi", 2), "", "test");
  ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
  EXPECT_TRUE(theirs->match);
  // Identify in acme never names bravo's people, and the scope holds acme's two only.
  for (const char* who : {"Ahmed_Chalabi", "Allyson_Felix"}) {
    auto r = a.Identify("site-entry", Lfw(who, 2), "test");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(r->identified) << who << " identified in acme as " << r->subject;
    EXPECT_EQ(r->scope_size, 2u);
  }
  auto mine = a.Identify("site-entry", Lfw("Ai_Sugiyama", 2), "test");
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_TRUE(mine->identified);
  EXPECT_EQ(mine->subject, "S2");

  // Separate homes, databases and master keys.
  const fs::path ha = root_ / "tenants" / "acme", hb = root_ / "tenants" / "bravo";
  EXPECT_EQ(a.config().data_dir, ha.string());
  EXPECT_EQ(b.config().data_dir, hb.string());
  EXPECT_NE(ReadAll((ha / "master.key").string()), ReadAll((hb / "master.key").string()));
  // Acme's database holds nothing of bravo's: none of bravo's sealed bytes, audit or notices.
  std::string a_files = ReadAll((ha / "facegate.db").string());
  if (fs::exists(ha / "facegate.db-wal")) a_files += ReadAll((ha / "facegate.db-wal").string());
  ASSERT_GT(a_files.size(), 0u);
  int64_t b_templates = 0;
  for (const char* purpose : {"office-entry", "site-entry"}) {
    auto tb = b.store().ListTemplatesForPurpose(purpose);
    ASSERT_TRUE(tb.ok());
    for (const SealedTemplate& t : *tb) {
      ++b_templates;
      EXPECT_EQ(a_files.find(t.ciphertext), std::string::npos) << "bravo's template " << t.id << " in acme";
    }
  }
  EXPECT_EQ(b_templates, 4);
  auto b_audit = b.ListAudit(0, 1000);
  ASSERT_TRUE(b_audit.ok());
  auto a_audit = a.ListAudit(0, 1000);
  ASSERT_TRUE(a_audit.ok());
  // Two chains. Both tenants begin with the same events (declaring the same purposes); when
  // both were set up within one second those first events are equal in every field, so their
  // hashes are too, and acme holds them as its own. Every other bravo event is absent from acme.
  std::set<std::string> a_hashes;
  for (const AuditEvent& e : *a_audit) a_hashes.insert(e.hash);
  int b_own = 0;
  for (const AuditEvent& e : *b_audit) {
    if (a_hashes.count(e.hash)) continue;
    ++b_own;
    EXPECT_EQ(a_files.find(e.hash), std::string::npos) << e.action;
  }
  EXPECT_GT(b_own, 0);
  EXPECT_NE(a_audit->back().hash, b_audit->back().hash);

  // Bravo's sealed template for S1 (same subject id, purpose, model) put into
  // acme's store does not open with acme's keys: the verification fails closed.
  auto sealed = b.store().GetTemplates("S1", "office-entry");
  ASSERT_TRUE(sealed.ok());
  ASSERT_EQ(sealed->size(), 1u);
  SealedTemplate moved = sealed->front();
  moved.id = 0;
  ASSERT_TRUE(a.store().PutTemplate(moved).ok());
  auto forged = a.Verify("S1", "office-entry", Lfw("Ahmed_Chalabi", 2), "", "test");
  ASSERT_FALSE(forged.ok()) << "bravo's template opened in acme";
  EXPECT_EQ(forged.status().kind(), ErrorKind::kIntegrity) << forged.status().ToString();
}

TEST_F(TenantsTest, S10_EndReturnsAPackageThenDeletesEveryCopy) {
  Populate("acme");
  Populate("bravo");
  {
    service::RightsRequestInput in;
    in.subject = "S2";
    in.kind = "explanation";
    ASSERT_TRUE(Svc("acme").OpenRightsRequest(in, "test").ok());
  }
  Close("acme");
  const fs::path out = root_ / "returned";
  tenants::EndOptions o;
  o.return_to = out.string();
  o.actor = "test";
  REQUIREMENT("S10");
  auto r = reg_->End("acme", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->resumed);
  EXPECT_EQ(r->subjects_returned, 2);
  EXPECT_TRUE(r->audit_intact);
  EXPECT_EQ(r->subjects_erased, 2);
  EXPECT_EQ(r->templates_deleted, 4);
  EXPECT_EQ(r->consents_withdrawn, 4);

  // The package: every file listed in the manifest with a matching SHA-256.
  const fs::path pkg = out / "tenant-acme";
  ASSERT_EQ(r->package_path, pkg.string());
  const std::string mtext = ReadAll((pkg / "manifest.json").string());
  EXPECT_EQ(store::Sha256Hex(mtext), r->package_sha256);
  json m = json::parse(mtext);
  EXPECT_EQ(m["tenant"], "acme");
  EXPECT_EQ(m["subjects"], 2);
  EXPECT_EQ(m["templates"], 4);
  std::set<std::string> listed;
  for (const json& f : m["files"]) {
    const std::string content = ReadAll((pkg / f["path"].get<std::string>()).string());
    EXPECT_EQ(store::Sha256Hex(content), f["sha256"]) << f["path"];
    EXPECT_EQ(content.size(), f["bytes"].get<size_t>());
    listed.insert(f["path"]);
  }
  for (const char* want : {"subjects/S1.json", "subjects/S1.md", "subjects/S2.json", "consents.json",
                           "notices.json", "purposes.json", "rights_requests.json", "audit/events.jsonl",
                           "audit/verify.json"})
    EXPECT_TRUE(listed.count(want)) << want << " missing from the package";
  json s1 = json::parse(ReadAll((pkg / "subjects/S1.json").string()));
  EXPECT_EQ(s1["consents"].size(), 2u);
  EXPECT_EQ(s1["templates"].size(), 2u);
  EXPECT_FALSE(s1["templates"][0].contains("ciphertext"));  // metadata only (REQ S4)
  EXPECT_EQ(json::parse(ReadAll((pkg / "consents.json").string())).size(), 4u);
  EXPECT_EQ(json::parse(ReadAll((pkg / "notices.json").string())).size(), 2u);
  bool explanation = false;
  for (const json& q : json::parse(ReadAll((pkg / "rights_requests.json").string())))
    explanation |= q["kind"] == "explanation" && q["subject"] == "S2";
  EXPECT_TRUE(explanation);
  EXPECT_TRUE(json::parse(ReadAll((pkg / "audit/verify.json").string()))["intact"].get<bool>());
  std::string events = ReadAll((pkg / "audit/events.jsonl").string());
  EXPECT_NE(events.find("\"action\":\"tenant.return\""), std::string::npos);
  EXPECT_EQ(events.find("Ahmed"), std::string::npos);

  // Then every copy is gone: home, database, WAL, keys, API keys.
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "acme"));
  auto t = reg_->Get("acme");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->state, "ended");
  EXPECT_EQ(t->ended_how, "returned+deleted");
  EXPECT_EQ(t->package_sha256, r->package_sha256);
  EXPECT_GT(t->ended_at, 0);
  std::set<std::string> removed(r->removed.begin(), r->removed.end());
  EXPECT_TRUE(removed.count("master.key"));
  EXPECT_TRUE(removed.count("facegate.db"));
  // --tenant acme now refuses, naming that it ended and when.
  auto again = reg_->OpenTenant("acme");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().kind(), ErrorKind::kRefused);
  EXPECT_EQ(again.status().requirement(), "S10");
  EXPECT_NE(again.status().message().find("ended at " + service::FormatTime(t->ended_at)), std::string::npos)
      << again.status().message();
  // The home opened directly is refused too (no fresh, empty store made there).
  auto direct = tenants::LeaseIfTenantHome((root_ / "tenants" / "acme").string());
  EXPECT_EQ(direct.status().kind(), ErrorKind::kRefused);
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "acme"));
  // A name that ended is not reused.
  EXPECT_EQ(reg_->Create("acme", "").status().kind(), ErrorKind::kConflict);
  // Bravo still works.
  auto v = Svc("bravo").Verify("S2", "office-entry", Lfw("Allyson_Felix", 2), "", "test");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->match);
}

TEST_F(TenantsTest, S10_DeleteOnlyNeedsConfirmation) {
  ASSERT_TRUE(reg_->Create("acme", "").ok());
  tenants::EndOptions o;
  o.delete_only = true;
  for (const char* confirm : {"", "bravo", "ACME"}) {
    o.confirm = confirm;
    auto r = reg_->End("acme", o);
    ASSERT_FALSE(r.ok()) << confirm;
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(r.status().message().find("--confirm acme"), std::string::npos) << r.status().message();
  }
  tenants::EndOptions none;  // neither return nor delete-only
  EXPECT_EQ(reg_->End("acme", none).status().kind(), ErrorKind::kInvalidInput);
  for (const fs::path& inside : {root_ / "tenants", root_ / "tenants" / "acme" / "out", root_ / "tenants" / "x"}) {
    tenants::EndOptions into;  // a package where the tenants' homes are
    into.return_to = inside.string();
    auto r = reg_->End("acme", into);
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidInput) << inside;
    EXPECT_NE(r.status().message().find("outside"), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(reg_->Get("acme")->state, "active");
  EXPECT_TRUE(fs::exists(root_ / "tenants" / "acme" / "master.key"));
  REQUIREMENT("S10");
  o.confirm = "acme";
  auto r = reg_->End("acme", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->package_path.empty());
  EXPECT_EQ(reg_->Get("acme")->ended_how, "deleted");
  EXPECT_TRUE(reg_->Get("acme")->package_sha256.empty());
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "acme"));
}

TEST_F(TenantsTest, S10_InterruptedEndIsFinishedByASecondEnd) {
  Populate("acme");
  Close("acme");
  const fs::path out = root_ / "returned";
  // A crash right after the state "ending" was written: nothing returned, nothing deleted.
  tenants::EndOptions o;
  o.return_to = out.string();
  o.on_step = [](const std::string& step) { return step != "ending"; };
  ASSERT_FALSE(reg_->End("acme", o).ok());
  EXPECT_EQ(reg_->Get("acme")->state, "ending");
  auto refused = reg_->OpenTenant("acme");
  EXPECT_EQ(refused.status().kind(), ErrorKind::kRefused);
  EXPECT_NE(refused.status().message().find("being ended"), std::string::npos) << refused.status().message();
  EXPECT_TRUE(fs::exists(root_ / "tenants" / "acme" / "facegate.db"));
  // A second crash after the package and the erasure, before the keys and files went.
  o.on_step = [](const std::string& step) { return step != "erased"; };
  ASSERT_FALSE(reg_->End("acme", o).ok());
  EXPECT_EQ(reg_->Get("acme")->state, "ending");
  EXPECT_EQ(reg_->Get("acme")->end_step, "deleting");
  const std::string recorded = reg_->Get("acme")->package_sha256;
  EXPECT_FALSE(recorded.empty());
  EXPECT_TRUE(fs::exists(out / "tenant-acme" / "manifest.json"));
  // Another way of ending is refused while this one is unfinished.
  tenants::EndOptions del;
  del.delete_only = true;
  del.confirm = "acme";
  EXPECT_EQ(reg_->End("acme", del).status().kind(), ErrorKind::kConflict);
  REQUIREMENT("S10");
  // The third run finishes: same package, keys and files gone, ended.
  o.on_step = {};
  auto r = reg_->End("acme", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->resumed);
  EXPECT_EQ(r->package_sha256, recorded);
  EXPECT_EQ(store::Sha256Hex(ReadAll((out / "tenant-acme" / "manifest.json").string())), recorded);
  EXPECT_EQ(r->subjects_returned, 2);
  EXPECT_EQ(reg_->Get("acme")->state, "ended");
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "acme"));
  EXPECT_FALSE(fs::exists(out / "tenant-acme.partial"));
}

// A real kill of the facegate process in the middle of `tenant end`: the test
// holds the registry's lock once the end wrote "ending", so the process stops
// at its next registry write, right after moving the package into place, and
// is killed there; the tenant stays "ending", never active, and a second
// `tenant end` finishes with a package matching the registry.
TEST_F(TenantsTest, S10_KilledEndLeavesTheTenantEndingAndASecondEndFinishes) {
  Populate("acme");
  Close("acme");
  const fs::path registry = root_ / "tenants" / "registry.json";
  auto state = [&]() -> std::string {
    json j = json::parse(ReadAll(registry.string()), nullptr, false);
    if (j.is_object() && j["tenants"].is_array())
      for (const json& t : j["tenants"])
        if (t.value("name", "") == "acme") return t.value("state", "");
    return "";
  };
  const std::string out = (root_ / "out").string();
  const std::string cmd = "exec env FACEGATE_HOME='" + root_.string() + "' FACEGATE_MODELS='" + FACEGATE_MODELS +
                          "' FACEGATE_LOCK='" + FACEGATE_LOCK + "' '" + FACEGATE_CLI + "' tenant end acme --return-to '" +
                          out + "' > '" + (root_ / "end.log").string() + "' 2>&1";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 60000 && state() != "ending"; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  int fd = ::open((root_ / "tenants" / "registry.lock").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);  // the end's next registry write waits here
  EXPECT_EQ(state(), "ending") << ReadAll((root_ / "end.log").string());
  // Killed after the package was moved into place and before it was recorded,
  // the narrowest point: the next run must take that package, not refuse it.
  for (int i = 0; i < 60000 && !fs::exists(out + "/tenant-acme"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(fs::exists(out + "/tenant-acme/manifest.json"));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the end finished before it could be killed";
  ::close(fd);
  EXPECT_EQ(state(), "ending");
  auto refused = RunCli(root_, "--tenant acme purpose list");
  EXPECT_EQ(refused.exit_code, 3) << refused.out;
  EXPECT_NE(refused.out.find("being ended"), std::string::npos) << refused.out;

  REQUIREMENT("S10");
  auto again = RunCli(root_, "--json tenant end acme --return-to " + out, /*merge=*/false);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  json e = json::parse(again.out);
  EXPECT_TRUE(e["resumed"].get<bool>());
  EXPECT_EQ(e["subjects_returned"], 2);
  EXPECT_EQ(state(), "ended");
  EXPECT_EQ(store::Sha256Hex(ReadAll(out + "/tenant-acme/manifest.json")), e["package_sha256"]);
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "acme"));
  EXPECT_FALSE(fs::exists(out + "/tenant-acme.partial"));
}

TEST_F(TenantsTest, S10_EndIsRefusedWhileTheTenantIsInUse) {
  ASSERT_TRUE(reg_->Create("acme", "").ok());
  Svc("acme");  // what `serve --tenant acme` holds
  tenants::EndOptions o;
  o.delete_only = true;
  o.confirm = "acme";
  auto r = reg_->End("acme", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kConflict);
  EXPECT_NE(r.status().message().find("serve"), std::string::npos) << r.status().message();
  EXPECT_EQ(reg_->Get("acme")->state, "active");  // untouched, not "ending"
  Close("acme");
  EXPECT_TRUE(reg_->End("acme", o).ok());
}

TEST_F(TenantsTest, S10_ATenantWhoseHomeWentMissingIsNeverRecreatedEmpty) {
  ASSERT_TRUE(reg_->Create("acme", "").ok());
  fs::remove_all(root_ / "tenants" / "acme");
  auto t = reg_->OpenTenant("acme");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().kind(), ErrorKind::kIntegrity);
  EXPECT_NE(t.status().message().find("--delete-only"), std::string::npos) << t.status().message();
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "acme"));
  tenants::EndOptions ret;  // nothing left to return
  ret.return_to = (root_ / "out").string();
  EXPECT_EQ(reg_->End("acme", ret).status().kind(), ErrorKind::kIntegrity);
  EXPECT_EQ(reg_->Get("acme")->state, "ending");
  tenants::EndOptions del;  // the loss recorded: ended, deleted
  del.delete_only = true;
  del.confirm = "acme";
  auto r = reg_->End("acme", del);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(reg_->Get("acme")->state, "ended");
  EXPECT_EQ(reg_->Get("acme")->ended_how, "deleted");
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "acme"));
}

TEST_F(TenantsTest, S10_BadTenantNamesAreRefused) {
  for (std::string bad : {std::string(""), std::string("Acme"), std::string("-acme"), std::string("a_b"),
                          std::string("../x"), std::string("a/b"), std::string("a b"), std::string("ac.me"),
                          std::string(41, 'a')}) {
    Status st = tenants::CheckTenantName(bad);
    EXPECT_EQ(st.kind(), ErrorKind::kInvalidInput) << bad;
    EXPECT_NE(st.message().find("a-z, 0-9"), std::string::npos);
    EXPECT_EQ(reg_->Create(bad, "").status().kind(), ErrorKind::kInvalidInput) << bad;
    EXPECT_EQ(reg_->OpenTenant(bad).status().kind(), ErrorKind::kInvalidInput) << bad;
  }
  for (std::string good : {std::string("a"), std::string("0"), std::string("shop-12"), std::string(40, 'z')})
    EXPECT_TRUE(tenants::CheckTenantName(good).ok()) << good;
  EXPECT_FALSE(fs::exists(root_ / "x"));
  EXPECT_TRUE(reg_->List()->empty());
  EXPECT_EQ(reg_->OpenTenant("nobody").status().kind(), ErrorKind::kNotFound);
}

TEST_F(TenantsTest, S10_TwoTenantsCannotShareOneDatabase) {
  // A tenant on PostgreSQL as the registry records it (no server needed to refuse a second).
  fs::create_directories(root_ / "tenants");
  WriteAll((root_ / "tenants" / "registry.json").string(),
           R"({"format":"facegate.tenants/1","tenants":[{"name":"acme","created_at":1,"state":"active",)"
           R"("database":"host=/run/postgresql dbname=fg_acme"}]})");
  REQUIREMENT("S10");
  for (const char* same : {"host=/run/postgresql dbname=fg_acme", "postgresql:///fg_acme?host=/run/postgresql",
                           "host=/run/postgresql port=5432 dbname=fg_acme user=other"}) {
    auto r = reg_->Create("bravo", same);
    ASSERT_FALSE(r.ok()) << same;
    EXPECT_EQ(r.status().kind(), ErrorKind::kConflict) << same;
    EXPECT_NE(r.status().message().find("own database"), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(reg_->Create("bravo", "not a conninfo").status().kind(), ErrorKind::kInvalidInput);
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "bravo"));
}

// ---- through the facegate binary ----

TEST_F(TenantsTest, S10_CliCreatesServesAndEndsTenants) {
  const fs::path notice = root_ / "notice.md";
  WriteAll(notice.string(), kNoticeText);
  EXPECT_EQ(RunCli(root_, "tenant create acme").exit_code, 0);
  EXPECT_EQ(RunCli(root_, "tenant create bravo").exit_code, 0);
  auto bad = RunCli(root_, "tenant create Bad_Name");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("a-z, 0-9"), std::string::npos) << bad.out;
  // --tenant before or after the subcommand; each tenant its own purposes and people.
  for (std::string t : {"acme", "bravo"}) {
    ASSERT_EQ(RunCli(root_, "--tenant " + t + " purpose add office-entry --retention 365d --alternative staff-card")
                  .exit_code, 0);
    ASSERT_EQ(RunCli(root_, "notice publish office-entry " + notice.string() + " --tenant " + t).exit_code, 0);
    ASSERT_TRUE(CliAssess(root_, "office-entry", false, "--tenant " + t + " "));  // REQ F1
    ASSERT_EQ(RunCli(root_, "--tenant " + t + " consent give S1 office-entry --notice 1 --option always").exit_code,
              0);
  }
  const std::string alan = Facedata("lfw/Alan_Greenspan/Alan_Greenspan_0001.jpg");
  auto en = RunCli(root_, "--tenant acme enrol S1 office-entry " + alan);
  ASSERT_EQ(en.exit_code, 0) << en.out;
  REQUIREMENT("S10");
  // Bravo's S1 has consented but nothing is enrolled there: acme's enrolment is not bravo's.
  auto vb = RunCli(root_, "--tenant bravo verify S1 office-entry " + alan);
  EXPECT_NE(vb.exit_code, 0) << vb.out;
  EXPECT_NE(vb.exit_code, 10) << "bravo compared against a template it should not have";
  auto list = RunCli(root_, "--json tenant list", /*merge=*/false);
  ASSERT_EQ(list.exit_code, 0) << list.out;
  json l = json::parse(list.out);
  ASSERT_EQ(l["tenants"].size(), 2u);
  EXPECT_EQ(l["tenants"][0]["name"], "acme");
  EXPECT_EQ(l["tenants"][0]["subjects"], 1);
  EXPECT_EQ(l["tenants"][0]["templates"], 1);
  EXPECT_EQ(l["tenants"][0]["consents"], 1);
  EXPECT_EQ(l["tenants"][1]["templates"], 0);
  EXPECT_EQ(RunCli(root_, "--tenant acme tenant list").exit_code, 2);  // the root's commands, not a tenant's

  // A serve of acme holds it: the end is refused with a clear error, then works once it stopped.
  const std::string cmd = "exec env FACEGATE_HOME='" + root_.string() + "' FACEGATE_MODELS='" + FACEGATE_MODELS +
                          "' FACEGATE_LOCK='" + FACEGATE_LOCK + "' '" + FACEGATE_CLI +
                          "' serve --tenant acme --listen 127.0.0.1:0 > '" + (root_ / "serve.log").string() +
                          "' 2>&1";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200 && ReadAll((root_ / "serve.log").string()).find("serving") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_NE(ReadAll((root_ / "serve.log").string()).find("serving"), std::string::npos)
      << ReadAll((root_ / "serve.log").string());
  auto busy = RunCli(root_, "tenant end acme --return-to " + (root_ / "out").string());
  EXPECT_EQ(busy.exit_code, 5) << busy.out;
  EXPECT_NE(busy.out.find("facegate serve"), std::string::npos) << busy.out;
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);

  auto end = RunCli(root_, "--json tenant end acme --return-to " + (root_ / "out").string(), /*merge=*/false);
  ASSERT_EQ(end.exit_code, 0) << end.out;
  json e = json::parse(end.out);
  EXPECT_EQ(e["tenant"]["state"], "ended");
  EXPECT_EQ(e["subjects_returned"], 1);
  EXPECT_TRUE(fs::exists(root_ / "out" / "tenant-acme" / "subjects" / "S1.json"));
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "acme"));
  auto gone = RunCli(root_, "--tenant acme purpose list");
  EXPECT_EQ(gone.exit_code, 3) << gone.out;
  EXPECT_NE(gone.out.find("REQ S10"), std::string::npos) << gone.out;
  EXPECT_NE(gone.out.find("ended at"), std::string::npos) << gone.out;
  auto direct = RunCli(root_, "--home " + (root_ / "tenants" / "acme").string() + " purpose list");
  EXPECT_EQ(direct.exit_code, 3) << direct.out;
  EXPECT_FALSE(fs::exists(root_ / "tenants" / "acme"));
  auto del = RunCli(root_, "tenant end bravo --delete-only");
  EXPECT_EQ(del.exit_code, 2) << del.out;
  EXPECT_EQ(RunCli(root_, "tenant end bravo --delete-only --confirm bravo").exit_code, 0);
  auto after = RunCli(root_, "tenant list");
  EXPECT_NE(after.out.find("acme\tended"), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("(deleted)"), std::string::npos) << after.out;
}

}  // namespace
}  // namespace facegate
