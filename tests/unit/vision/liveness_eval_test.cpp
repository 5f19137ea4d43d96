// The arithmetic of `facegate eval liveness` (include/facegate/liveness_eval.h): ISO/IEC 30107-3
// APCER per attack kind, BPCER, ACER, ROC AUC, and calibration on the live faces of some subjects.
#include <facegate/liveness_eval.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace facegate::vision {
namespace {

struct Case {
  std::vector<LivenessSample> samples;
  std::vector<LivenessOutcome> outcomes;
  void Add(const std::string& label, const std::string& subject, bool found, float score) {
    samples.push_back({label + std::to_string(samples.size()), label, subject});
    outcomes.push_back({found, score});
  }
};

TEST(MeasureLiveness, CountsApcerPerKindBpcerAcerAndAucOfTheImagesWithAFace) {
  Case c;
  for (float s : {0.9f, 0.8f, 0.6f, 0.3f}) c.Add("live", "a", true, s);  // one of 4 under 0.5
  c.Add("live", "a", false, 0);                                          // no face: apart
  for (float s : {0.05f, 0.4f, 0.7f}) c.Add("print", "a", true, s);      // 1 of 3 REAL
  for (float s : {0.01f, 0.02f}) c.Add("replay", "b", true, s);          // none REAL
  LivenessThresholds t;
  t.spoof_below = 0.1f;
  t.real_from = 0.5f;
  const LivenessFigures f = MeasureLiveness(c.samples, c.outcomes, {}, t);
  ASSERT_EQ(f.kinds.size(), 3u);
  EXPECT_EQ(f.kinds[0].kind, "live");
  EXPECT_EQ(f.kinds[0].images, 5);
  EXPECT_EQ(f.kinds[0].no_face, 1);
  EXPECT_EQ(f.kinds[0].real, 3);
  EXPECT_EQ(f.kinds[0].unsure, 1);
  EXPECT_DOUBLE_EQ(f.bpcer, 0.25);
  EXPECT_EQ(f.kinds[1].kind, "print");
  EXPECT_EQ(f.kinds[1].spoof, 1);
  EXPECT_EQ(f.kinds[1].unsure, 1);
  EXPECT_DOUBLE_EQ(f.kinds[1].error_rate, 1.0 / 3);
  // Live above print in 4x3 pairs: 0.9, 0.8 beat all 3; 0.6 beats 2; 0.3 beats 1 -> 9 of 12.
  EXPECT_DOUBLE_EQ(f.kinds[1].auc, 9.0 / 12);
  EXPECT_EQ(f.kinds[2].kind, "replay");
  EXPECT_DOUBLE_EQ(f.kinds[2].error_rate, 0);
  EXPECT_DOUBLE_EQ(f.kinds[2].auc, 1);
  EXPECT_DOUBLE_EQ(f.worst_apcer, 1.0 / 3);
  EXPECT_DOUBLE_EQ(f.acer, (1.0 / 3 + 0.25) / 2);
  // Only subject b's images: no live face, one kind.
  const LivenessFigures b = MeasureLiveness(c.samples, c.outcomes, {8, 9}, t);
  ASSERT_EQ(b.kinds.size(), 1u);
  EXPECT_EQ(b.kinds[0].images, 2);
}

TEST(CalibrateLiveness, RealFromLeavesAtMostTheTargetShareOfLiveFacesBelowIt) {
  Case c;
  for (int i = 0; i < 20; ++i) c.Add("live", i < 10 ? "a" : "b", true, 0.05f * static_cast<float>(i + 1));
  c.Add("print", "a", true, 0.99f);  // attacks do not move the thresholds
  std::vector<size_t> all;
  for (size_t i = 0; i < c.samples.size(); ++i) all.push_back(i);
  auto t = CalibrateLiveness(c.samples, c.outcomes, all, 0.10, 0.05);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_FLOAT_EQ(t->real_from, 0.15f);   // 2 of 20 below it
  EXPECT_FLOAT_EQ(t->spoof_below, 0.10f);  // 1 of 20 below it
  const LivenessFigures f = MeasureLiveness(c.samples, c.outcomes, all, *t);
  EXPECT_LE(f.bpcer, 0.10);
  // No live face among the calibration images: a clear error.
  auto none = CalibrateLiveness(c.samples, c.outcomes, {20}, 0.05);
  EXPECT_EQ(none.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(none.status().message().find("--calibrate"), std::string::npos);
  EXPECT_EQ(CalibrateLiveness(c.samples, c.outcomes, all, 1.5).status().kind(), ErrorKind::kInvalidInput);
}

TEST(ReadLivenessSamples, ReadsLabelAndSubjectAndNamesABadLine) {
  const auto dir = std::filesystem::temp_directory_path() / "fg-liveness-list";
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "list.tsv").string();
  std::ofstream(file) << "# comment\na.jpg\tlive\tsubject=0001\nb.jpg\tprint\tsubject=0002\nc.jpg\treplay\n";
  auto s = ReadLivenessSamples(file);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->size(), 3u);
  EXPECT_EQ((*s)[0].subject, "0001");
  EXPECT_EQ((*s)[1].label, "print");
  EXPECT_EQ((*s)[2].subject, "");
  EXPECT_EQ(DefaultCalibrationSubjects(*s), std::vector<std::string>({""}));  // "", 0001, 0002: first 1
  std::ofstream(file) << "a.jpg\n";
  auto bad = ReadLivenessSamples(file);
  EXPECT_EQ(bad.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(bad.status().message().find("line 1"), std::string::npos) << bad.status().message();
  EXPECT_EQ(ReadLivenessSamples((dir / "none.tsv").string()).status().kind(), ErrorKind::kNotFound);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace facegate::vision
