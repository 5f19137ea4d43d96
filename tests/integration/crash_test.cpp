// A kill in the middle of enrolments loses nothing and leaves no half-entered
// template: every stored template has its audit event, opens, and matches.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
using json = nlohmann::json;

TEST(Crash, KillDuringEnrolmentsLeavesAConsistentStore) {
  auto home = TempHome("crash");
  WriteAll((home / "notice.md").string(), kNoticeText);
  ASSERT_EQ(RunCli(home, "purpose add office-entry --retention 365d --alternative staff-card").exit_code, 0);
  ASSERT_EQ(RunCli(home, "notice publish office-entry " + (home / "notice.md").string()).exit_code, 0);
  ASSERT_TRUE(CliAssess(home, "office-entry"));  // REQ F1
  const int kSubjects = 8;
  for (int i = 1; i <= kSubjects; ++i)
    ASSERT_EQ(RunCli(home, "consent give S" + std::to_string(i) + " office-entry --notice 1 --option always")
                  .exit_code,
              0);
  const std::string photo = Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg");
  std::string loop = "for i in $(seq 1 " + std::to_string(kSubjects) + "); do FACEGATE_HOME='" +
                     home.string() + "' FACEGATE_MODELS='" + FACEGATE_MODELS + "' FACEGATE_LOCK='" +
                     FACEGATE_LOCK + "' '" + FACEGATE_CLI + "' enrol S$i office-entry '" + photo +
                     "' >/dev/null 2>&1; done";
  // Audit events so far (read while the enrolments write; WAL readers do not block them).
  auto events = [&]() -> int {
    sqlite3* r = nullptr;
    int n = -1;
    if (sqlite3_open_v2((home / "facegate.db").c_str(), &r, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_busy_timeout(r, 2000);
      sqlite3_stmt* q = nullptr;
      if (sqlite3_prepare_v2(r, "SELECT count(*) FROM audit_events", -1, &q, nullptr) == SQLITE_OK &&
          sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int(q, 0);
      sqlite3_finalize(q);
    }
    sqlite3_close(r);
    return n;
  };
  // Kill the whole process group with SIGKILL at different moments of an enrolment:
  // each round waits until the run has written an event (so enrolments are under way,
  // however slow the machine), then kills 0, 0.7 or 1.4 s into the next enrolment.
  for (int extra_ms : {0, 700, 1400}) {
    const int before = events();
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      setpgid(0, 0);
      execl("/bin/sh", "sh", "-c", loop.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    setpgid(pid, pid);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
    while (events() <= before && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::this_thread::sleep_for(std::chrono::milliseconds(extra_ms));
    kill(-pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_GT(events(), before) << "no enrolment wrote anything within 300 s";
  }

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((home / "facegate.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
  sqlite3_finalize(st);
  auto count = [&](const char* sql) {
    sqlite3_stmt* q = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &q, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(q), SQLITE_ROW);
    int n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return n;
  };
  int templates = count("SELECT count(*) FROM templates");
  int enrolled_events = count("SELECT count(*) FROM audit_events WHERE action='enrol' AND outcome='ok'");
  sqlite3_close(db);
  EXPECT_GT(templates, 0) << "no enrolment finished before the kills: the test proves nothing";
  EXPECT_EQ(templates, enrolled_events);

  json chain = json::parse(RunCli(home, "--json audit verify", false).out);
  EXPECT_EQ(chain["intact"], true) << chain.dump();
  // every subject's stored template opens and matches its own photo
  for (int i = 1; i <= kSubjects; ++i) {
    CliResult v = RunCli(home, "--json verify S" + std::to_string(i) + " office-entry " + photo, false);
    if (v.exit_code == 4) continue;  // not enrolled before a kill
    EXPECT_EQ(v.exit_code, 0) << v.out;
  }
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace facegate
