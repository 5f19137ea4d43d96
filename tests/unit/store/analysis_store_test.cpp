// Analysis windows (REQ AN2; migration 19) and sensitive inferences (REQ AN3; migration 18) on
// every backend (SQLite in test_store, PostgreSQL in test_store_pg).
#include <facegate/store.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "store_backends.h"
#include "../../support/requirement.h"

namespace facegate::store {
namespace {

using namespace facegate::store::testing;

using AnalysisStore = BackendTest;

AnalysisWindowRecord Window(UnixTime start, int k) {
  AnalysisWindowRecord w;
  w.purpose = "shop-count";
  w.start = start;
  w.end = start + 3600;
  w.k = k;
  w.images = 3;
  return w;
}

TEST_P(AnalysisStore, AN2_AWindowTalliesRequestsAndIsReleasedOnceWithItsTalliesDeleted) {
  MustAddPurpose(*store_, "shop-count", Scenario::kAnalysis);
  const UnixTime h = kNow - kNow % 3600;
  ASSERT_TRUE(store_->AddToAnalysisWindow(Window(h, 2), {{"gender:male", 2}, {"total", 3}}, {"aa", "bb"}).ok());
  ASSERT_TRUE(store_->AddToAnalysisWindow(Window(h, 4), {{"gender:male", 1}, {"gender:female", 1}}, {"cc"}).ok());
  auto tallies = store_->AnalysisTallies("shop-count", h);
  ASSERT_TRUE(tallies.ok()) << tallies.status().ToString();
  EXPECT_EQ(*tallies, (std::vector<std::pair<std::string, int64_t>>{
                          {"gender:female", 1}, {"gender:male", 3}, {"total", 3}}));
  EXPECT_EQ(store_->AnalysisSeen("shop-count", h)->size(), 3u);
  EXPECT_TRUE(store_->AnalysisSeen("shop-count", h + 3600)->empty());
  auto open = store_->ListAnalysisWindows("shop-count", h - 1, h + 1);
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].k, 4) << "the largest k asked for in the window";
  EXPECT_EQ((*open)[0].requests, 2);
  EXPECT_EQ((*open)[0].images, 6);
  EXPECT_FALSE((*open)[0].released_at.has_value());
  EXPECT_TRUE(store_->EndedAnalysisWindows("", h + 3599)->empty());
  auto ended = store_->EndedAnalysisWindows("shop-count", h + 3600);
  ASSERT_TRUE(ended.ok());
  ASSERT_EQ(ended->size(), 1u);

  AnalysisWindowRecord w = (*ended)[0];
  w.released_at = h + 3601;
  w.faces = -1;
  w.suppressed = {"gender:female", "gender:male"};
  auto mine = store_->ReleaseAnalysisWindow(w);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  REQUIREMENT("AN2");
  EXPECT_TRUE(*mine);
  EXPECT_FALSE(*store_->ReleaseAnalysisWindow(w)) << "released twice";
  EXPECT_TRUE(store_->AnalysisTallies("shop-count", h)->empty());
  EXPECT_EQ(store_->AddToAnalysisWindow(Window(h, 2), {{"total", 1}}, {}).kind(), ErrorKind::kConflict);
  auto done = store_->ListAnalysisWindows("shop-count", h - 1, h + 1);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ((*done)[0].released_at, h + 3601);
  EXPECT_EQ((*done)[0].faces, -1);
  EXPECT_EQ((*done)[0].suppressed, (std::vector<std::string>{"gender:female", "gender:male"}));
  EXPECT_TRUE(store_->EndedAnalysisWindows("", h + 7200)->empty());
  // The hashes outlive the release until the repeat horizon.
  EXPECT_EQ(store_->AnalysisSeen("shop-count", h)->size(), 3u);
  EXPECT_EQ(*store_->ForgetAnalysisPictures(h + 1), 3);
  EXPECT_TRUE(store_->AnalysisSeen("shop-count", 0)->empty());
}

TEST_P(AnalysisStore, AN3_AnInferenceSwitchIsKeptAsHistoryWithOneInForce) {
  MustAddPurpose(*store_, "car-driver", Scenario::kAnalysis);
  InferenceRecord r;
  r.purpose = "car-driver";
  r.inference = "drowsiness";
  r.declared_use = "driving_safety";
  r.justification = "warn the driver at the first signs";
  r.enabled_at = kNow;
  r.enabled_by = "admin";
  ASSERT_TRUE(store_->EnableInference(r).ok());
  r.enabled_at = kNow + 10;
  r.justification = "warn the coach driver at the first signs";
  ASSERT_TRUE(store_->EnableInference(r).ok());
  auto in_force = store_->InferenceInForce("car-driver", "drowsiness");
  ASSERT_TRUE(in_force.ok()) << in_force.status().ToString();
  REQUIREMENT("AN3");
  ASSERT_TRUE(in_force->has_value());
  EXPECT_EQ((*in_force)->enabled_at, kNow + 10);
  ASSERT_EQ(store_->ListInferences("car-driver")->size(), 2u);
  EXPECT_TRUE(*store_->DisableInference("car-driver", "drowsiness", kNow + 20, "admin"));
  EXPECT_FALSE(*store_->DisableInference("car-driver", "drowsiness", kNow + 30, "admin"));
  EXPECT_FALSE(store_->InferenceInForce("car-driver", "drowsiness")->has_value());
  auto history = store_->ListInferences("");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].disabled_at, kNow + 10);
  EXPECT_EQ((*history)[1].disabled_at, kNow + 20);
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalysisStore, ::testing::ValuesIn(TestBackends()), BackendName());

}  // namespace
}  // namespace facegate::store
