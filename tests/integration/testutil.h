// Helpers for integration tests: temp homes, photos from facedata, running the CLI.
#pragma once

#include <facegate/service.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace facegate::testing {

inline std::string Facedata(const std::string& rel) { return std::string(FACEGATE_FACEDATA) + "/" + rel; }

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The bytes of LFW photo n of `name` (lfw/NAME/NAME_000n.jpg in the shared facedata).
inline std::string Lfw(const std::string& name, int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "_%04d.jpg", n);
  return ReadAll(Facedata("lfw/" + name + "/" + name + buf));
}

inline void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

// A fresh data directory per test, removed afterwards.
inline std::filesystem::path TempHome(const std::string& tag) {
  auto d = std::filesystem::temp_directory_path() /
           ("fg-it-" + tag + "-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

inline service::Config TestConfig(const std::filesystem::path& home) {
  service::Config c = service::DefaultConfig();
  c.data_dir = home.string();
  c.model_dir = FACEGATE_MODELS;
  c.lock_file = FACEGATE_LOCK;
  return c;
}

inline const char* kNoticeText =
    "Processor: Example Co.\nContact: dpo@example.com\nPurpose: office entry\nMethod: 1:1 at the gate\n"
    "Data kinds: face template\nStorage period: 365 days, then deleted\nWhy face: faster entry; impact: "
    "sensitive data\nRights: withdraw any time\n";

// kNoticeText telling a storage period of `days` days: a notice must state the purpose's
// retention (REQ N1).
inline std::string NoticeKeptFor(int64_t days) {
  std::string t = kNoticeText;
  const std::string from = "Storage period: 365 days";
  t.replace(t.find(from), from.size(), "Storage period: " + std::to_string(days) + " days");
  return t;
}

// REQ F1: writes an impact assessment of `purpose` (by "test-author", for up to a million people)
// and has "test-dpo" approve it, or approves again the one a material change made due (a new
// notice version, a breach). Every purpose needs one before anything is enrolled or matched.
// With kind "device", the same for an automatic device before it goes live.
inline void ApproveAssessment(service::Service& svc, const std::string& purpose,
                              const std::string& kind = "purpose") {
  auto all = svc.ListAssessments(kind, purpose);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  for (const ImpactAssessmentRecord& a : *all) {
    if (a.status == "approved") return;
    if (a.status == "due") {
      auto again = svc.ApproveAssessment(a.id, "test-dpo", "test");
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      return;
    }
  }
  service::AssessmentInput in;
  in.target_kind = kind;
  in.target = purpose;
  in.lawfulness = "consent of each person (PIPL 13, 29); face is one way in among others";
  in.impact = "sensitive data of the people enrolled; risks: leak, misidentification";
  in.scope_size = 1000000;
  in.author = "test-author";
  auto a = svc.CreateAssessment(in, "test");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto ok = svc.ApproveAssessment(a->id, "test-dpo", "test");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
}

// The lawful basis the tests' analysis purposes rest on (REQ AN4), as examples/notice-shop-count.md
// states it, and kNoticeText kept `days` days with that basis stated.
inline const char* kAnalysisBasis = "other_law";
inline const char* kAnalysisJustification =
    "Fire Protection Law of the PRC, art. 28: the venue keeps crowd numbers within its certified capacity";
inline std::string AnalysisNoticeKeptFor(int64_t days) {
  return NoticeKeptFor(days) + "Legal basis: " + kAnalysisBasis + ": " + kAnalysisJustification + "\n";
}

// Declares purpose `name` (the scenario, 365-day retention, alternative "staff-card"),
// publishes kNoticeText for it and approves its impact assessment (REQ F1); returns the notice
// id (0 after a reported failure).
inline int64_t DeclareWithNotice(service::Service& svc, const std::string& name,
                                 Scenario scenario = Scenario::kVerification) {
  PurposeRecord p;
  p.name = name;
  p.scenario = scenario;
  p.retention_days = 365;
  p.alternatives = {"staff-card"};
  if (scenario == Scenario::kAnalysis) {
    p.legal_basis = kAnalysisBasis;
    p.basis_justification = kAnalysisJustification;
  }
  Status added = svc.AddPurpose(p, "test");
  EXPECT_TRUE(added.ok()) << added.ToString();
  auto n = svc.PublishNotice(name, scenario == Scenario::kAnalysis ? AnalysisNoticeKeptFor(365) : kNoticeText, "test");
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  ApproveAssessment(svc, name);
  return n.ok() ? n->id : 0;
}

// Records an "always" consent (click) of `subject` for `purpose` acknowledging notice `notice_id`.
inline Result<ConsentRecord> ConsentAlways(service::Service& svc, const std::string& subject,
                                           const std::string& purpose, int64_t notice_id) {
  service::Service::ConsentRequest r;
  r.subject = subject;
  r.purpose = purpose;
  r.notice_id = notice_id;
  r.option = ConsentOption::kAlways;
  return svc.GiveConsent(r, "test");
}

struct CliResult {
  int exit_code = -1;
  std::string out;
};

// Runs the facegate binary with FACEGATE_HOME=home; captures stdout (stderr to stdout when merge).
// Runs a shell command line; its standard output and exit code (-1 when it did not exit).
inline CliResult RunShell(const std::string& cmd) {
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline CliResult RunCli(const std::filesystem::path& home, const std::string& args, bool merge = true) {
  return RunShell("FACEGATE_HOME='" + home.string() + "' FACEGATE_MODELS='" + FACEGATE_MODELS +
                  "' FACEGATE_LOCK='" + FACEGATE_LOCK + "' '" + FACEGATE_CLI + "' " + args +
                  (merge ? " 2>&1" : " 2>/dev/null"));
}

// REQ F1 through the CLI: writes and approves the impact assessment of a purpose (or, with
// device, of an automatic device) in `home`; false after a reported failure.
// `global` goes before the command (e.g. "--tenant acme ").
inline bool CliAssess(const std::filesystem::path& home, const std::string& target, bool device = false,
                      const std::string& global = "") {
  CliResult made = RunCli(home, global + "--json assessment create " + target + (device ? " --device" : "") +
                                    " --lawfulness 'consent of each person' --impact 'sensitive data; risk: leak'"
                                    " --scope-size 1000000 --author test-author", false);
  EXPECT_EQ(made.exit_code, 0) << made.out;
  const auto at = made.out.find("\"id\":");
  if (made.exit_code != 0 || at == std::string::npos) return false;
  const std::string id = std::to_string(std::stoll(made.out.substr(made.out.find_first_of("0123456789", at))));
  CliResult ok = RunCli(home, global + "assessment approve " + id + " --approver test-dpo");
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  return ok.exit_code == 0;
}

}  // namespace facegate::testing
