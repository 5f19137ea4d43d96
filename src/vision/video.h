// Frames of a video file or a camera through OpenCV videoio (FFmpeg for files, V4L2 for
// cameras), sampled at a fixed rate of video time. Reading only: nothing is written anywhere,
// and a frame lives until the caller asks for the next one (REQ AN1, AN3). Not face
// processing, so no grant: what the frames go to takes one.
#pragma once

#include <facegate/status.h>

#include <opencv2/core.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace cv {
class VideoCapture;
}

namespace facegate::vision {

class VideoReader {
 public:
  // A video file (kNotFound if missing; kInvalidInput if OpenCV cannot decode it).
  static Result<std::unique_ptr<VideoReader>> OpenFile(const std::string& path, double sample_fps);
  // A camera by index (kNotFound naming /dev/videoN when there is none or it cannot be opened).
  static Result<std::unique_ptr<VideoReader>> OpenCamera(int index, double sample_fps);
  ~VideoReader();

  // The next sampled frame as 8-bit RGB and its time in ms from the start (video time for a
  // file, wall-clock time for a camera). False at the end of the file. Frames between samples
  // are skipped without decoding. sample_fps <= 0 samples every frame.
  Result<bool> Next(cv::Mat* rgb, int64_t* t_ms);

  double stream_fps() const { return fps_; }         // the container's rate; 0 when unknown
  double sample_fps() const { return sample_fps_; }
  int64_t frames_read() const { return frames_read_; }  // frames seen, sampled or not
  // Video time read so far: the last frame's time plus one frame interval (0 before any frame).
  int64_t position_ms() const { return position_ms_; }
  const std::string& description() const { return description_; }  // "file x.mp4" / "camera 0"

 private:
  VideoReader();
  std::unique_ptr<cv::VideoCapture> cap_;
  bool camera_ = false;
  double fps_ = 0, sample_fps_ = 0;
  int64_t frames_read_ = 0, position_ms_ = 0;
  double next_sample_ms_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::string description_;
  cv::Mat bgr_;
};

}  // namespace facegate::vision
