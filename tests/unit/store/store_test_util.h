// Shared fixtures for the store tests: a private temporary directory, raw file
// reads, and the records a consent needs (purpose, notice, subject).
#pragma once

#include <facegate/records.h>
#include <facegate/store.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

namespace facegate::store::testing {

namespace fs = std::filesystem;

// A fresh directory under /tmp, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "fg-store-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// The whole file, or "" if it does not exist.
inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::unique_ptr<Store> MustOpen(const std::string& path) {
  auto s = OpenSqliteStore(path);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  return std::move(s).value();
}

inline const UnixTime kNow = 1'800'000'000;

// prefix + number (avoids a GCC 12 -Wrestrict false positive on "S" + to_string(i)).
inline std::string Numbered(const std::string& prefix, int64_t n) {
  std::string s = prefix;
  s += std::to_string(n);
  return s;
}

inline void MustAddPurpose(Store& store, const std::string& name,
                           Scenario scenario = Scenario::kVerification) {
  PurposeRecord p;
  p.name = name;
  p.scenario = scenario;
  p.retention_days = 365;
  p.alternatives = {"staff-card", "pin"};
  p.legal_mandate = "";
  p.created_at = kNow;
  Status s = store.AddPurpose(p);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

inline NoticeRecord MustPublish(Store& store, const std::string& purpose,
                                const std::string& text = "We compare your face at the door.") {
  NoticeRecord n;
  n.purpose = purpose;
  n.text = text;
  n.published_at = kNow;
  auto r = store.PublishNotice(n);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : NoticeRecord{};
}

// A consent of `subject` (registered here) for `purpose` under its latest notice.
inline ConsentRecord MustConsent(Store& store, const std::string& subject,
                                 const std::string& purpose,
                                 ConsentOption option = ConsentOption::kAlways) {
  EXPECT_TRUE(store.EnsureSubject(subject, kNow).ok());
  auto n = store.LatestNotice(purpose);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  ConsentRecord c;
  c.subject = subject;
  c.purpose = purpose;
  c.notice_id = n.ok() ? n->id : 0;
  c.option = option;
  c.method = ConsentMethod::kClick;
  c.given_at = kNow;
  c.expires_at = kNow + 3600;
  auto r = store.AddConsent(c);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : ConsentRecord{};
}

// Runs SQL on the database file through a second, raw connection (the way an
// attacker or a careless operator would), bypassing the Store.
inline int RawExec(const std::string& db_path, const std::string& sql,
                   std::string* error = nullptr) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    char* msg = nullptr;
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
    if (msg && error) *error = msg;
    sqlite3_free(msg);
  }
  sqlite3_close_v2(db);
  return rc;
}

}  // namespace facegate::store::testing
