// Tenants on PostgreSQL (REQ S10): each tenant its own database; a second
// tenant on the same database is refused; the end returns the package, erases
// through the Service and drops facegate's tables from the tenant's database,
// leaving the other tenant's database as it was. Real server, real models.
#include <facegate/service.h>
#include <facegate/tenants.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <filesystem>

#include "../integration/testutil.h"
#include "../support/requirement.h"
#include "pg_testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
namespace fs = std::filesystem;

// The first column of the first row of `sql` as text ("" on error).
std::string Query(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  std::string v;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) v = PQgetvalue(r, 0, 0);
    PQclear(r);
  }
  PQfinish(c);
  return v;
}

// `base` with its dbname replaced.
std::string WithDb(const std::string& base, const std::string& db) {
  std::string s = base;
  auto at = s.find("dbname=");
  if (at == std::string::npos) return s + " dbname=" + db;
  auto end = s.find(' ', at);
  return s.replace(at, end == std::string::npos ? std::string::npos : end - at, "dbname=" + db);
}

TEST(TenantsPostgres, S10_EachTenantItsOwnDatabaseAndTheEndDropsItsTables) {
  const std::string base = BaseConninfo();
  ASSERT_FALSE(base.empty()) << "no conninfo: the postgres fixture did not start";
  const std::string pid = std::to_string(::getpid());
  const std::string da = "fg_tenant_a_" + pid, db = "fg_tenant_b_" + pid;
  for (const std::string& d : {da, db}) {
    ASSERT_TRUE(Admin(base, "DROP DATABASE IF EXISTS " + d));
    ASSERT_TRUE(Admin(base, "CREATE DATABASE " + d));
  }
  const std::string ca = WithDb(base, da), cb = WithDb(base, db);
  fs::path root = TempHome("tenants-pg");
  tenants::TenantRegistry reg(TestConfig(root));
  auto a = reg.Create("acme", ca);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto shared = reg.Create("bravo", ca + " connect_timeout=5");  // the same database, spelled otherwise
  REQUIREMENT("S10");
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.status().kind(), ErrorKind::kConflict) << shared.status().ToString();
  ASSERT_TRUE(reg.Create("bravo", cb).ok());
  EXPECT_EQ(Query(ca, "SELECT to_regclass('templates') IS NOT NULL"), "t");

  for (const char* t : {"acme", "bravo"}) {
    auto opened = reg.OpenTenant(t);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    auto svc = service::Service::Open(opened->first);
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    PurposeRecord p;
    p.name = "office-entry";
    p.retention_days = 365;
    p.alternatives = {"staff-card"};
    ASSERT_TRUE((*svc)->AddPurpose(p, "test").ok());
    auto n = (*svc)->PublishNotice("office-entry", kNoticeText, "test");
    ASSERT_TRUE(n.ok());
    ApproveAssessment(**svc, "office-entry");  // REQ F1
    service::Service::ConsentRequest r;
    r.subject = "S1";
    r.purpose = "office-entry";
    r.notice_id = n->id;
    r.option = ConsentOption::kAlways;
    ASSERT_TRUE((*svc)->GiveConsent(r, "test").ok());
    const std::string who = std::string(t) == "acme" ? "Alan_Greenspan" : "Ahmed_Chalabi";
    auto e = (*svc)->Enrol("S1", "office-entry", ReadAll(Facedata("lfw/" + who + "/" + who + "_0001.jpg")), "",
                           "test");
    ASSERT_TRUE(e.ok()) << e.status().ToString();
  }
  EXPECT_EQ(Query(ca, "SELECT COUNT(*) FROM templates"), "1");

  tenants::EndOptions o;
  o.return_to = (root / "returned").string();
  auto r = reg.End("acme", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->subjects_returned, 1);
  EXPECT_EQ(r->templates_deleted, 1);
  EXPECT_FALSE(r->database_left.empty());
  EXPECT_TRUE(fs::exists(root / "returned" / "tenant-acme" / "subjects" / "S1.json"));
  EXPECT_FALSE(fs::exists(root / "tenants" / "acme"));
  // Acme's database holds no facegate table any more; bravo's is untouched.
  EXPECT_EQ(Query(ca, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"),
            "0");
  EXPECT_EQ(Query(ca, "SELECT COUNT(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                      "WHERE n.nspname = current_schema()"),
            "0");
  EXPECT_EQ(Query(cb, "SELECT COUNT(*) FROM templates"), "1");
  EXPECT_EQ(reg.Get("acme")->state, "ended");
  EXPECT_EQ(reg.OpenTenant("acme").status().kind(), ErrorKind::kRefused);
  // Acme's ended database may be given to a new tenant once it is free again.
  EXPECT_TRUE(reg.Create("carol", ca).ok());

  fs::remove_all(root);
}

}  // namespace
}  // namespace facegate
