// Two facegate nodes on one PostgreSQL database (issue 6, part 6): enrol on
// one, verify on the other; a withdrawal on one is honoured by the other at
// its next request, because every decision reads the shared state.
#include <facegate/service.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "../integration/scope_nodes.h"
#include "../integration/testutil.h"
#include "../support/requirement.h"
#include "pg_testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
namespace fs = std::filesystem;

TEST(TwoNodes, EnrolOnOneVerifyOnTheOtherWithdrawalHonouredAtOnce) {
  const std::string base = BaseConninfo();
  ASSERT_FALSE(base.empty()) << "no conninfo: the postgres fixture did not start";
  const std::string schema = "fg_nodes_" + std::to_string(::getpid());
  ASSERT_TRUE(Admin(base, "DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema));
  const std::string conninfo = base + " options='-c search_path=" + schema + "'";

  fs::path a_home = TempHome("nodeA"), b_home = TempHome("nodeB");
  service::Config ca = TestConfig(a_home), cb = TestConfig(b_home);
  ca.database = cb.database = conninfo;
  auto a = service::Service::Open(ca);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // The nodes share the master key that wraps subject keys (deployed like a TLS key).
  fs::copy_file(a_home / "master.key", b_home / "master.key", fs::copy_options::overwrite_existing);
  fs::permissions(b_home / "master.key", fs::perms::owner_read | fs::perms::owner_write);
  auto b = service::Service::Open(cb);
  ASSERT_TRUE(b.ok()) << b.status().ToString();

  PurposeRecord p;
  p.name = "gate-entry";
  p.retention_days = 30;
  p.alternatives = {"staff-card"};
  ASSERT_TRUE((*a)->AddPurpose(p, "nodeA").ok());
  auto n = (*a)->PublishNotice("gate-entry", NoticeKeptFor(30), "nodeA");
  ASSERT_TRUE(n.ok());
  ApproveAssessment(**a, "gate-entry");  // REQ F1
  service::Service::ConsentRequest r;
  r.subject = "S1";
  r.purpose = "gate-entry";
  r.notice_id = n->id;
  r.option = ConsentOption::kAlways;
  ASSERT_TRUE((*b)->GiveConsent(r, "nodeB").ok());  // consent given at node B's kiosk
  auto e = (*a)->Enrol("S1", "gate-entry", ReadAll(Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg")), "", "nodeA");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const std::string probe = ReadAll(Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_0002.jpg"));
  auto v = (*b)->Verify("S1", "gate-entry", probe, "", "nodeB");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->match);

  // Withdraw on A; B must refuse its very next request (REQ C4). Time it.
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE((*a)->WithdrawConsent("S1", "gate-entry", "nodeA").ok());
  auto after = (*b)->Verify("S1", "gate-entry", probe, "", "nodeB");
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().requirement(), "C4");
  EXPECT_LT(ms, 2000) << "withdrawal took " << ms << " ms to reach the other node";
  RecordProperty("withdrawal_to_refusal_ms", std::to_string(ms));

  // One audit chain across both nodes, intact.
  auto chain = (*b)->VerifyAudit();
  ASSERT_TRUE(chain.ok());
  EXPECT_TRUE(chain->intact) << chain->reason;
  EXPECT_GE(chain->events, 6);
  a->reset();
  b->reset();
  Admin(base, "DROP SCHEMA " + schema + " CASCADE");
  fs::remove_all(a_home);
  fs::remove_all(b_home);
}


TEST(TwoNodes, SC2_C4_S7_ScopeIndexOfOneNodeFollowsTheOthersEnrolmentsAndWithdrawals) {
  const std::string base = BaseConninfo();
  ASSERT_FALSE(base.empty()) << "no conninfo: the postgres fixture did not start";
  const std::string schema = "fg_scopes_" + std::to_string(::getpid());
  ASSERT_TRUE(Admin(base, "DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema));
  fs::path a_home = TempHome("scopeA"), b_home = TempHome("scopeB");
  service::Config ca = TestConfig(a_home), cb = TestConfig(b_home);
  ca.database = cb.database = base + " options='-c search_path=" + schema + "'";
  {
    auto a = service::Service::Open(ca);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    fs::copy_file(a_home / "master.key", b_home / "master.key", fs::copy_options::overwrite_existing);
    fs::permissions(b_home / "master.key", fs::perms::owner_read | fs::perms::owner_write);
    auto b = service::Service::Open(cb);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    REQUIREMENT("C4");
    REQUIREMENT("S7");
    ExpectScopeOfBFollowsA(**a, **b);
  }
  Admin(base, "DROP SCHEMA " + schema + " CASCADE");
  fs::remove_all(a_home);
  fs::remove_all(b_home);
}

}  // namespace
}  // namespace facegate
