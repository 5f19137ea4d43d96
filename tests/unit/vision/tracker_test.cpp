// FaceTracker: one pass of one face is one track, new on its first frame only; separate faces
// are separate tracks; a face gone longer than the gap comes back as a new track; faces that
// cross keep their ids while IoU tells them apart; a face that moves fast is still followed.
#include "vision/tracker.h"

#include <gtest/gtest.h>

#include <vector>

namespace facegate::vision {
namespace {

Detection Box(float x, float y, float side = 100) { return {cv::Rect2f(x, y, side, side), 0.9f}; }

constexpr int64_t kFrameMs = 33;  // 30 fps

TEST(TrackerTest, ABoxMovingAcross30FramesIsOneTrackNewOnlyOnItsFirstFrame) {
  FaceTracker tracker;
  int64_t id = 0;
  for (int f = 0; f < 30; ++f) {
    const auto tracks = tracker.Update({Box(10.f + 15 * f, 200)}, f * kFrameMs);
    ASSERT_EQ(tracks.size(), 1u);
    EXPECT_EQ(tracks[0].is_new, f == 0) << "frame " << f;
    if (f == 0) id = tracks[0].id;
    EXPECT_EQ(tracks[0].id, id) << "frame " << f;
    EXPECT_EQ(tracks[0].box, Box(10.f + 15 * f, 200).box);
  }
  EXPECT_EQ(tracker.tracks_started(), 1);
}

TEST(TrackerTest, TwoFacesAreTwoTracksReturnedInTheDetectionsOrder) {
  FaceTracker tracker;
  auto first = tracker.Update({Box(50, 50), Box(400, 50)}, 0);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_TRUE(first[0].is_new);
  EXPECT_TRUE(first[1].is_new);
  EXPECT_NE(first[0].id, first[1].id);
  // Next frame, listed the other way round: each box keeps its own track.
  auto second = tracker.Update({Box(405, 52), Box(55, 48)}, kFrameMs);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].id, first[1].id);
  EXPECT_EQ(second[1].id, first[0].id);
  EXPECT_FALSE(second[0].is_new);
  EXPECT_FALSE(second[1].is_new);
  EXPECT_EQ(tracker.tracks_started(), 2);
}

TEST(TrackerTest, AFaceGoneLongerThanTheGapIsANewTrackWhenItComesBack) {
  FaceTracker tracker({0.3f, 1000});
  const auto a = tracker.Update({Box(100, 100)}, 0);
  tracker.Update({}, 500);
  // Back within the gap (1000 ms after last seen): the same track.
  const auto b = tracker.Update({Box(102, 100)}, 1000);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].id, a[0].id);
  EXPECT_FALSE(b[0].is_new);
  // Gone from 1000 ms to 2001 ms: longer than the gap, so a new pass.
  tracker.Update({}, 1500);
  const auto c = tracker.Update({Box(102, 100)}, 2001);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_NE(c[0].id, a[0].id);
  EXPECT_TRUE(c[0].is_new);
  EXPECT_EQ(tracker.tracks_started(), 2);
  EXPECT_EQ(tracker.live_tracks(), 1u);
}

TEST(TrackerTest, CrossingFacesKeepTheirIdsWhereIouAllows) {
  // A moves right along y=100, B moves left along y=160: they overlap as they pass, but each
  // box overlaps its own last box (IoU 0.82) more than the other face's (at most 0.25). The
  // detector lists them in either order.
  FaceTracker tracker;
  int64_t id_a = 0, id_b = 0;
  for (int f = 0; f <= 40; ++f) {
    const float xa = 0.f + 10 * f, xb = 400.f - 10 * f;
    const bool swap = f % 2 == 1;
    const std::vector<Detection> dets = swap ? std::vector{Box(xb, 160), Box(xa, 100)}
                                             : std::vector{Box(xa, 100), Box(xb, 160)};
    const auto tracks = tracker.Update(dets, f * kFrameMs);
    ASSERT_EQ(tracks.size(), 2u);
    const FaceTracker::Track& a = tracks[swap ? 1 : 0];
    const FaceTracker::Track& b = tracks[swap ? 0 : 1];
    if (f == 0) {
      id_a = a.id;
      id_b = b.id;
    }
    EXPECT_EQ(a.id, id_a) << "frame " << f;
    EXPECT_EQ(b.id, id_b) << "frame " << f;
  }
  EXPECT_EQ(tracker.tracks_started(), 2);
}

TEST(TrackerTest, AFaceThatMovedMoreThanIouAllowsIsFollowedByItsCentre) {
  // Steps of 40 px on a 100 px box: IoU 0.43, under min_iou 0.5, centre 40 < 50 px away.
  FaceTracker tracker({0.5f, 1000});
  const auto a = tracker.Update({Box(0, 0)}, 0);
  const auto b = tracker.Update({Box(40, 0)}, kFrameMs);
  EXPECT_EQ(b[0].id, a[0].id);
  EXPECT_FALSE(b[0].is_new);
  // A step of 60 px (centre 60 >= 50 px away) is another face.
  const auto c = tracker.Update({Box(100, 0)}, 2 * kFrameMs);
  EXPECT_TRUE(c[0].is_new);
  EXPECT_EQ(tracker.tracks_started(), 2);
}

TEST(TrackerTest, ABoxOfAVeryDifferentSizeAtTheSameCentreIsAnotherFace) {
  FaceTracker tracker;
  const auto a = tracker.Update({Box(100, 100, 60)}, 0);  // centre (130, 130)
  // Same centre, 1.4 times the side: IoU 0.51, the same face.
  const auto b = tracker.Update({Box(88, 88, 84)}, kFrameMs);
  EXPECT_EQ(b[0].id, a[0].id);
  // Same centre, 3 times the side: IoU 0.11 and size ratio 2.1 past 1.5, another face.
  const auto c = tracker.Update({Box(4, 4, 252)}, 2 * kFrameMs);
  EXPECT_TRUE(c[0].is_new);
  EXPECT_NE(c[0].id, a[0].id);
}

TEST(TrackerTest, OneTrackIsNeverGivenToTwoBoxesOfOneFrame) {
  FaceTracker tracker;
  const auto a = tracker.Update({Box(100, 100)}, 0);
  // Two boxes both overlapping the track: the better one continues it, the other is new.
  const auto b = tracker.Update({Box(130, 100), Box(105, 100)}, kFrameMs);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].id, a[0].id);
  EXPECT_FALSE(b[1].is_new);
  EXPECT_TRUE(b[0].is_new);
  EXPECT_NE(b[0].id, b[1].id);
}

}  // namespace
}  // namespace facegate::vision
