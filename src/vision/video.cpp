// VideoReader (vision/video.h): sampled frames from OpenCV videoio, read only.
#include "vision/video.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <cmath>
#include <filesystem>
#include <system_error>

namespace facegate::vision {

namespace {

Status CheckRate(double sample_fps) {
  if (!std::isfinite(sample_fps) || sample_fps > 1000) {
    return Status::InvalidInput("the sampling rate must be a number of frames per second up to "
                                "1000 (0: every frame)");
  }
  return Status::Ok();
}

}  // namespace

VideoReader::VideoReader() = default;

VideoReader::~VideoReader() {
  if (!bgr_.empty()) bgr_.setTo(cv::Scalar::all(0));  // no frame outlives the reader
}

Result<std::unique_ptr<VideoReader>> VideoReader::OpenFile(const std::string& path,
                                                           double sample_fps) {
  FG_RETURN_IF_ERROR(CheckRate(sample_fps));
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound("cannot open video file " + path + ": no such file; check the path");
  }
  std::unique_ptr<VideoReader> r(new VideoReader());
  r->cap_ = std::make_unique<cv::VideoCapture>();
  if (!r->cap_->open(path, cv::CAP_FFMPEG)) {
    return Status::InvalidInput("cannot decode video " + path +
                                ": not a video format OpenCV (FFmpeg) reads; use MP4 (H.264), "
                                "AVI (MJPG) or MKV, or convert it with ffmpeg");
  }
  const double fps = r->cap_->get(cv::CAP_PROP_FPS);
  r->fps_ = std::isfinite(fps) && fps > 0 && fps < 1000 ? fps : 0;
  r->sample_fps_ = sample_fps;
  r->description_ = "file " + path;
  return r;
}

Result<std::unique_ptr<VideoReader>> VideoReader::OpenCamera(int index, double sample_fps) {
  FG_RETURN_IF_ERROR(CheckRate(sample_fps));
  const std::string dev = "/dev/video" + std::to_string(index);
  if (index < 0) return Status::InvalidInput("a camera index is 0 or more (0 is /dev/video0)");
  std::error_code ec;
  if (!std::filesystem::exists(dev, ec)) {
    return Status::NotFound("no camera " + std::to_string(index) + ": " + dev +
                            " does not exist on this machine; connect a camera, list them with "
                            "`ls /dev/video*`, or analyse a video file instead");
  }
  std::unique_ptr<VideoReader> r(new VideoReader());
  r->cap_ = std::make_unique<cv::VideoCapture>();
  if (!r->cap_->open(index, cv::CAP_V4L2)) {
    return Status::NotFound("camera " + std::to_string(index) + " (" + dev +
                            ") cannot be opened: it is busy or not a capture device; close "
                            "other programs using it or check permissions (group video)");
  }
  r->camera_ = true;
  const double fps = r->cap_->get(cv::CAP_PROP_FPS);
  r->fps_ = std::isfinite(fps) && fps > 0 && fps < 1000 ? fps : 0;
  r->sample_fps_ = sample_fps;
  r->description_ = "camera " + std::to_string(index);
  r->started_ = std::chrono::steady_clock::now();
  return r;
}

Result<bool> VideoReader::Next(cv::Mat* rgb, int64_t* t_ms) {
  const double step = sample_fps_ > 0 ? 1000.0 / sample_fps_ : 0;
  for (;;) {
    if (!cap_->grab()) {
      if (camera_) {
        return Status::Internal(description_ + " stopped delivering frames (unplugged?)");
      }
      return false;
    }
    double t = 0;
    if (camera_) {
      t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
              .count();
    } else if (fps_ > 0) {
      t = static_cast<double>(frames_read_) * 1000.0 / fps_;
    } else {
      t = cap_->get(cv::CAP_PROP_POS_MSEC);
    }
    ++frames_read_;
    position_ms_ = static_cast<int64_t>(std::llround(t + (fps_ > 0 ? 1000.0 / fps_ : 0)));
    // Sample a frame when its time reached the next sampling instant (half a frame early is
    // on time, so 25 fps sampled at 5 fps takes every 5th frame exactly).
    const double half_frame = fps_ > 0 ? 500.0 / fps_ : 0;
    if (step > 0 && t + half_frame < next_sample_ms_) continue;
    if (!cap_->retrieve(bgr_) || bgr_.empty()) {
      return Status::InvalidInput(description_ + ": frame " + std::to_string(frames_read_) +
                                  " cannot be decoded; the file may be damaged");
    }
    if (step > 0) {
      while (next_sample_ms_ <= t + half_frame) next_sample_ms_ += step;
    }
    if (bgr_.type() == CV_8UC1) {
      cv::cvtColor(bgr_, *rgb, cv::COLOR_GRAY2RGB);
    } else if (bgr_.type() == CV_8UC4) {
      cv::cvtColor(bgr_, *rgb, cv::COLOR_BGRA2RGB);
    } else if (bgr_.type() == CV_8UC3) {
      cv::cvtColor(bgr_, *rgb, cv::COLOR_BGR2RGB);
    } else {
      return Status::InvalidInput(description_ + ": frames are not 8-bit images");
    }
    *t_ms = static_cast<int64_t>(std::llround(t));
    return true;
  }
}

}  // namespace facegate::vision
