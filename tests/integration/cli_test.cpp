// The facegate binary as a user runs it: exit codes, --json output, refusals
// naming the requirement, citation and alternatives.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;
using json = nlohmann::json;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempHome("cli");
    notice_ = (home_ / "notice.md").string();
    WriteAll(notice_, kNoticeText);
  }
  void TearDown() override { std::filesystem::remove_all(home_); }
  CliResult Run(const std::string& args) { return RunCli(home_, args); }
  json RunJson(const std::string& args, int expect_exit) {
    CliResult r = RunCli(home_, "--json " + args, /*merge=*/false);
    EXPECT_EQ(r.exit_code, expect_exit) << args << "\n" << r.out;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out;
    return j;
  }
  std::filesystem::path home_;
  std::string notice_;
};

TEST_F(CliTest, HelpListsTheCommands) {
  CliResult r = Run("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* c : {"purpose", "notice", "consent", "enrol", "verify", "audit", "eval"})
    EXPECT_NE(r.out.find(c), std::string::npos) << c;
}

TEST_F(CliTest, WholeFlowWithExitCodes) {
  const std::string a1 = Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg");
  const std::string a2 = Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_0002.jpg");
  const std::string b1 = Facedata("lfw/Abdoulaye_Wade/Abdoulaye_Wade_0001.jpg");
  RunJson("purpose add office-entry --scenario verification --retention 365d --alternative staff-card", 0);

  json bad = RunJson("notice publish office-entry " + Facedata("README.md"), 3);
  EXPECT_EQ(bad["requirement"], "N1");
  EXPECT_EQ(bad["citation"], "PIPL 17, 30; Measures 5");

  json n = RunJson("notice publish office-entry " + notice_, 0);
  EXPECT_EQ(n["notice_id"], 1);
  ASSERT_TRUE(CliAssess(home_, "office-entry"));  // REQ F1

  json refused = RunJson("enrol S1 office-entry " + a1, 3);
  EXPECT_EQ(refused["requirement"], "C1");
  EXPECT_EQ(refused["alternatives"], json::array({"staff-card"}));

  RunJson("consent give S1 office-entry --notice 1 --option always --method click", 0);
  json e = RunJson("enrol S1 office-entry " + a1, 0);
  EXPECT_GT(e["template_id"].get<int>(), 0);

  json m = RunJson("verify S1 office-entry " + a2 + " --timings", 0);
  EXPECT_EQ(m["match"], true);
  EXPECT_LT(m["distance"].get<double>(), m["threshold"].get<double>());
  EXPECT_TRUE(m.contains("timings"));
  json nm = RunJson("verify S1 office-entry " + b1, 10);
  EXPECT_EQ(nm["match"], false);

  RunJson("verify S1 office-entry /nonexistent.jpg", 4);
  RunJson("consent give S1 office-entry --notice 1 --option forever", 2);

  json w = RunJson("consent withdraw S1 office-entry", 0);
  EXPECT_EQ(w["templates_deleted"], 1);
  EXPECT_EQ(w["key_destroyed"], true);
  json after = RunJson("verify S1 office-entry " + a2, 3);
  EXPECT_EQ(after["requirement"], "C4");

  json chain = RunJson("audit verify", 0);
  EXPECT_EQ(chain["intact"], true);
  EXPECT_GE(chain["events"].get<int>(), 10);
}

TEST_F(CliTest, HumanRefusalNamesRuleCitationAndAlternatives) {
  Run("purpose add office-entry --retention 365d --alternative staff-card --alternative pin");
  Run("notice publish office-entry " + notice_);
  ASSERT_TRUE(CliAssess(home_, "office-entry"));  // REQ F1
  CliResult r = Run("enrol S1 office-entry " + Facedata("lfw/Ai_Sugiyama/Ai_Sugiyama_0001.jpg"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.out.find("REQ C1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PIPL 14, 29"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("staff-card pin"), std::string::npos) << r.out;
}

// REQ P3: accuracy on labelled photos under a research grant; nothing stored, the run audited.
TEST_F(CliTest, EvalVerifyMeasuresAccuracyAndStoresNothing) {
  std::istringstream all(ReadAll(Facedata("lfw-pairs.tsv")));
  std::string line, subset;
  int i = 0, n = 0;
  while (std::getline(all, line))
    if (i++ % 30 == 0) subset += line + "\n", ++n;  // 40 pairs across all 10 folds
  const std::string pairs = (home_ / "pairs.tsv").string();
  WriteAll(pairs, subset);
  json r = RunJson("eval verify " + pairs + " --root " + Facedata(""), 0);
  EXPECT_EQ(r["pairs"], n);
  EXPECT_GE(r["accuracy_at_threshold"].get<double>(), 0.85);
  EXPECT_GE(r["cv_accuracy"].get<double>(), 0.8);
  EXPECT_LE(r["photos_without_face"].get<int>(), 2);
  json events = RunJson("audit list", 0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["action"], "eval.verify");
  EXPECT_EQ(events[0]["detail"]["pairs"], n);

  WriteAll(pairs, "only-one-column\n");
  json bad = RunJson("eval verify " + pairs + " --root " + Facedata(""), 2);
  EXPECT_NE(bad["message"].get<std::string>().find("line 1"), std::string::npos);
}

// A changed model file is refused by name, with what to do (models.lock pins every sha256).
TEST_F(CliTest, ModelsVerifyRefusesAChangedFile) {
  EXPECT_EQ(Run("models verify").exit_code, 0);
  namespace fs = std::filesystem;
  fs::path copy = home_ / "models";
  fs::copy(FACEGATE_MODELS, copy, fs::copy_options::recursive);
  fs::path bin = copy / "@vladmandic/face-api@1.7.15/model/face_landmark_68_model.bin";
  std::string bytes = ReadAll(bin.string());
  bytes[1000] ^= 0x01;
  WriteAll(bin.string(), bytes);
  std::string cmd = "FACEGATE_MODELS='" + copy.string() + "' FACEGATE_LOCK='" + FACEGATE_LOCK + "' '" +
                    FACEGATE_CLI + "' models verify 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int st = pclose(p);
  EXPECT_EQ(WEXITSTATUS(st), 6) << out;
  EXPECT_NE(out.find("FAILED  @vladmandic/face-api/model/face_landmark_68_model.bin"), std::string::npos) << out;
  EXPECT_NE(out.find("install-models.sh"), std::string::npos) << out;
}

}  // namespace
}  // namespace facegate
