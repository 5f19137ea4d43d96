// FaceTracker: follows detection boxes from frame to frame so that one pass of one face through
// a device's view is processed once (landmarks, template), not on every frame. Positions only:
// no identity, no appearance, no template (REQ AN1); a track is a box and a number that means
// nothing outside this tracker.
#pragma once

#include <facegate/vision.h>

#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace facegate::vision {

// A greedy IoU tracker over Detection boxes. Each Update matches the frame's boxes to the live
// tracks, best pairs first: pairs with IoU >= min_iou by IoU, then, for a face that moved more
// than IoU allows, pairs whose centres lie under half the track's box width apart with similar
// size (width and height ratios in 0.67..1.5), nearest first. A box left unmatched starts a new
// track. Not thread-safe: one tracker per camera stream.
class FaceTracker {
 public:
  struct Options {
    float min_iou = 0.3f;      // IoU from which a box continues a track
    int64_t max_gap_ms = 1000;  // a track unseen longer than this ends; the face back is new
  };
  // One detection's track.
  struct Track {
    int64_t id = 0;       // 1, 2, ... in order of start; never reused by this tracker
    cv::Rect2f box;       // the detection's box
    bool is_new = false;  // first frame of this track: the one to process
  };

  // Default options. (Not `Options o = {}`: a nested struct's member initialisers cannot be used
  // as a default argument inside its own class.)
  FaceTracker();
  explicit FaceTracker(Options o);
  // The frame at t_ms (milliseconds, not decreasing between calls): one Track per detection,
  // in the detections' order.
  std::vector<Track> Update(const std::vector<Detection>& detections, int64_t t_ms);
  // How many tracks have started so far (passes of faces seen).
  int64_t tracks_started() const { return next_id_ - 1; }
  // Tracks alive after the last Update (seen within max_gap_ms).
  size_t live_tracks() const { return live_.size(); }

 private:
  struct Live {
    int64_t id;
    cv::Rect2f box;  // where it was last seen
    int64_t last_seen_ms;
  };
  Options options_;
  std::vector<Live> live_;
  int64_t next_id_ = 1;
};

}  // namespace facegate::vision
