// The face engine: decode, detect, landmarks, align, embed. Pure and
// stateless apart from its loaded networks; knows nothing of consent. Every
// call that touches a face takes a Grant (REQ C1).
#pragma once

#include <facegate/grant.h>
#include <facegate/status.h>
#include <facegate/template.h>

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace facegate::vision {

// Guards against decompression bombs and oversized uploads.
struct DecodeLimits {
  int64_t max_bytes = 64LL << 20;    // encoded size
  int64_t max_pixels = 50'000'000;   // width * height, checked from the header before decoding
};

// Decodes JPEG, PNG, WebP or BMP bytes (told apart by their magic bytes, not a file
// name) to 8-bit RGB (grey and RGBA converted), applying EXIF orientation. Not face
// processing, so no grant. kInvalidInput names the problem: empty, truncated, not an
// image, animated WebP, too many pixels (read from the header, before any decoding).
Result<cv::Mat> DecodeImage(std::string_view bytes, const DecodeLimits& limits = {});
// Images this process was asked to decode (DecodeImage calls):
// lets tests show that a refused frame was never decoded (REQ D1, D7).
uint64_t DecodedImageCount();  // every DecodeImage call, refused or not
// Reads a file and decodes it; kNotFound if it does not exist.
Result<cv::Mat> ReadImageFile(const std::string& path, const DecodeLimits& limits = {});

// A detected face: box in image pixels and detector score in [0,1].
struct Detection {
  cv::Rect2f box;
  float score = 0;
};

// A face with its 68 landmarks (iBUG 300-W order) in image pixels.
struct Face {
  Detection detection;
  std::array<cv::Point2f, 68> landmarks{};
};

// How the recognition chip is cut from the image.
enum class AlignMode {
  kFaceApiCrop,  // face-api's unrotated square around eyes and mouth
  kSimilarity,   // dlib-style chip: rotation + scale from landmarks
};

// Milliseconds spent per stage of the last call (for responses and benches).
struct StageTimings {
  double decode_ms = 0, detect_ms = 0, landmarks_ms = 0, align_ms = 0, embed_ms = 0;
};

// The net that makes templates. Templates of different recognizers (or alignments) are not
// comparable; Engine::model_version names both.
enum class Recognizer {
  kFeatureNet,  // faceplugin's 512-D net on a five-point chip, projected to 128-D (default;
                // docs/vision.md: the open-set target of docs/identification.md needs it)
  kFaceApi,     // face-api's 128-D net (a dlib ResNet port) on the chip `align` chooses
};

// Which face detector finds the faces. Either gives boxes the landmark net reads alike.
enum class Detector {
  kRfbThenSsd,  // faceplugin's RFB-320 first (~8 ms); face-api's SSD and its framed retries only
                // where it finds nothing (default; docs/vision.md: issue 18's speed target)
  kSsd,         // face-api's SSD and its framed retries alone (golden tests against face-api)
};

struct EngineConfig {
  std::string model_dir;   // where `facegate models install` put the files
  std::string lock_file;   // models.lock with the sha256 of every file
  float min_detection_score = 0.5f;
  Recognizer recognizer = Recognizer::kFeatureNet;
  AlignMode align = AlignMode::kSimilarity;  // face-api's chip; used by Recognizer::kFaceApi only
  int threads = 0;  // 0: OpenCV's default
  Detector detector = Detector::kRfbThenSsd;  // Detect's detector; the analysis paths use the SSD
};

// ---- Analysis (REQ SC3, AN1-AN4) -----------------------------------------------------------
// What an analysis run yields per face: attributes only. No member can hold a
// template, a crop or a landmark set, so nothing that identifies a person
// leaves Engine::Analyze (REQ AN1; tests/unit/vision/attributes_test.cpp).

inline constexpr int kExpressionCount = 7;
// Expression classes in the order of FaceAttributes::expression (face-api's FACE_EXPRESSION_LABELS).
inline constexpr std::array<const char*, kExpressionCount> kExpressionLabels = {
    "neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"};

struct FaceAttributes {
  cv::Rect2f box;               // detection box in image pixels (where, not who)
  float detection_score = 0;    // detector score in [0,1]
  float age = 0;                // estimated age in years
  float p_female = 0;           // probability the face is female; male is 1 - p_female
  std::array<float, kExpressionCount> expression{};  // probabilities, kExpressionLabels order, sum 1
};

// How Analyze turns a face into attributes. The defaults are the measured best on UTKFace
// (docs/attributes.md: flip averaging, age MAE 5.07 -> 4.82, gender 92.0% -> 93.5%);
// FaceApi() reproduces face-api's pipeline exactly (golden tests).
struct AnalysisOptions {
  float box_margin = 0.2f;   // the landmark box grows by this share of its size (face-api: 0.2)
  bool flip_average = true;  // average the nets over the face and its mirror image
  static AnalysisOptions FaceApi() { return {0.2f, false}; }
};

struct EyeState;  // defined in the eye-state section at the end
struct LivenessResult;      // defined in the liveness section at the end
struct LivenessThresholds;  // idem
struct LivenessScores;      // idem
struct FaceQuality;         // defined in the quality section at the end
struct FrameAnalysis;       // likewise: attributes and eye state of one face of a video frame
struct CollectionArea;      // defined in the collection-area section at the end (REQ D2)

class Engine {
 public:
  // Loads and checksums the models (kIntegrity names a file whose checksum differs).
  static Result<std::unique_ptr<Engine>> Load(const EngineConfig& config);
  virtual ~Engine();

  // Detects faces and their landmarks, largest first.
  Result<std::vector<Face>> Detect(const Grant& grant, const cv::Mat& rgb,
                                   StageTimings* timings = nullptr);
  // Faces whose box centre lies inside `area`, largest first, boxes only; faces outside it are
  // dropped here, before any landmark (REQ D2), and only counted in *dropped (when given).
  // kInvalidInput when the area fails CollectionArea::Check. Timings: detect_ms.
  Result<std::vector<Detection>> DetectInArea(const Grant& grant, const cv::Mat& rgb,
                                              const CollectionArea& area, StageTimings* timings = nullptr,
                                              int* dropped = nullptr);
  // The 68 landmarks of one detected face (a Face ready for Extract, Quality, Liveness): with
  // DetectInArea, the same landmarks Detect gives, paid only for the faces a caller keeps.
  // Timings: landmarks_ms.
  Result<Face> Landmark(const Grant& grant, const cv::Mat& rgb, const Detection& detection,
                        StageTimings* timings = nullptr);
  // Extracts the template of one detected face.
  Result<Template> Extract(const Grant& grant, const cv::Mat& rgb, const Face& face,
                           StageTimings* timings = nullptr);
  // Attributes of every face in the photo, largest first; never a template, crop or
  // landmark set (REQ AN1): landmarks are used inside to place the attribute crop and
  // dropped. Timings: detect_ms, landmarks_ms, align_ms (crops), embed_ms (attribute nets).
  Result<std::vector<FaceAttributes>> Analyze(const AnalysisGrant& grant, const cv::Mat& rgb,
                                              StageTimings* timings = nullptr);
  Result<std::vector<FaceAttributes>> Analyze(const AnalysisGrant& grant, const cv::Mat& rgb,
                                              const AnalysisOptions& options,
                                              StageTimings* timings = nullptr);
  // Eye openness and mouth opening of every face, largest first (vision/eyes.cpp); ratios and
  // scores only, never the landmarks they come from (REQ AN1). A sensitive inference (REQ AN3):
  // it takes the drowsiness InferenceGrant, never an AnalysisGrant. See EyeState below.
  // With `turns` = kAnyQuarterTurn, a photo with no face surely upright is looked at in its
  // other quarter turns (a head lying down); a fixed camera's frames need kUpright only.
  enum class Turns { kAnyQuarterTurn, kUpright };
  Result<std::vector<EyeState>> EyeStates(const InferenceGrant& grant, const cv::Mat& rgb,
                                          Turns turns = Turns::kAnyQuarterTurn);
  // Is this detected face a live person or a photo/screen held up? Runs faceplugin's
  // fr_liveness net on its crop of the face with context (vision/liveness.cpp). A face
  // operation: it takes a Grant (REQ C1), never an AnalysisGrant. See LivenessResult below.
  Result<LivenessResult> Liveness(const Grant& grant, const cv::Mat& rgb, const Face& face,
                                  const LivenessThresholds& thresholds);
  // The scores of every liveness net the engine holds, the shipped one and human-models' two,
  // for measuring them side by side (`facegate eval liveness --net`).
  Result<LivenessScores> ScoreLiveness(const Grant& grant, const cv::Mat& rgb, const Face& face);
  // Quality of one detected face (size, blur, exposure, pose, occlusion; see FaceQuality
  // below): part of enrolment and verification, so it needs their Grant (REQ C1).
  Result<FaceQuality> Quality(const Grant& grant, const cv::Mat& rgb, const Face& face);
  // Attributes and eye state of every face, largest first, from one detection and one
  // landmark run per face: what a frame of the analysis scenario needs (bench/bench_analysis).
  // The same values as Analyze and EyeStates called apart; still no landmark leaves (REQ AN1).
  Result<std::vector<FrameAnalysis>> AnalyzeFrame(const AnalysisGrant& grant, const InferenceGrant& drowsiness,
                                                  const cv::Mat& rgb,
                                                  const AnalysisOptions& options,
                                                  StageTimings* timings = nullptr);
  // Model identity recorded with every template and decision.
  const std::string& model_version() const;
  const EngineConfig& config() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facegate::vision

// ---- Eye state (analysis scenario: driver drowsiness; REQ AN1, AN3) ------------------------
// Engine::EyeStates gives per face each eye's P(open) from faceplugin's eye net and its lid
// opening from MediaPipe's iris net, on crops placed by the 68 landmarks, and the eye and mouth
// aspect ratios (docs/drowsiness.md); the landmarks themselves stay inside the engine.

namespace facegate::vision {

// The state of both eyes, judged from their P(open) and lid openings (vision::ClassifyEyes).
enum class EyeOpenness {
  kOpen,       // both eyes open
  kClosed,     // both eyes closed
  kOneClosed,  // one eye surely closed, the other surely open (a wink)
  kUnsure,     // eyes too small, or one far wider than the other (head turned)
};
const char* ToString(EyeOpenness openness);

// One face's eyes and mouth. Ratios and scores only: no member can hold a landmark set (AN1).
struct EyeState {
  cv::Rect2f box;              // detection box in image pixels (where, not who)
  float detection_score = 0;   // detector score in [0,1]
  float left_ear = 0;          // eye aspect ratio of the eye on the image's left (iBUG 36-41)
  float right_ear = 0;         // eye aspect ratio of the eye on the image's right (iBUG 42-47)
  float mar = 0;               // mouth aspect ratio of the inner lips (iBUG 60-67); yawns
  // P(open) of each eye from the eye net, 0..1: what `state` is judged on. Not the EARs:
  // face-api's landmarks keep an open-eye shape on closed eyes (docs/drowsiness.md).
  float left_open = 0;
  float right_open = 0;
  // Lid opening of each eye from MediaPipe's iris net: mean lid gap over eye width (about 0.3
  // open, under 0.15 shut); judged with P(open) (vision::ClassifyEyes).
  float left_lid = 0;
  float right_lid = 0;
  EyeOpenness state = EyeOpenness::kUnsure;
};

// One face of Engine::AnalyzeFrame: its attributes and its eyes (both box-and-numbers only, AN1).
struct FrameAnalysis {
  FaceAttributes attributes;
  EyeState eyes;
};

}  // namespace facegate::vision

// ---- Liveness / anti-spoofing (verification and enrolment; docs/liveness.md) ---------------
// Engine::Liveness scores one detected face with faceplugin's fr_liveness net, the best of the
// nets measured on real prints and phone replays, and judges it REAL, SPOOF or UNSURE.

namespace facegate::vision {

enum class LivenessVerdict {
  kReal,    // score at or above real_from
  kSpoof,   // score below spoof_below
  kUnsure,  // in between: ask for another capture or the alternative
};
const char* ToString(LivenessVerdict v);  // "real", "spoof", "unsure"

// Where the verdict changes, on the score (0..1). The defaults were calibrated on NUAA
// subjects 0001-0004 of facedata/liveness for 5% BPCER and measured on the others
// (docs/liveness.md, `facegate eval liveness`).
extern const float kDefaultLivenessSpoofBelow;  // vision/liveness.cpp, next to the measurement
extern const float kDefaultLivenessRealFrom;
struct LivenessThresholds {
  float spoof_below = kDefaultLivenessSpoofBelow;  // score under this: SPOOF
  float real_from = kDefaultLivenessRealFrom;      // score at least this: REAL
  // kInvalidInput unless 0 <= spoof_below <= real_from <= 1.
  Status Check() const;
};

// One face's liveness: the verdict and the score it came from.
struct LivenessResult {
  LivenessVerdict verdict = LivenessVerdict::kUnsure;
  float score = 0;  // fr_liveness: probability that a live face is presented (softmax class 0)
};

// Every liveness net's score of one face (0..1, higher is more live), for measurement.
struct LivenessScores {
  float fr_liveness = 0;  // the shipped net (LivenessResult::score)
  float antispoof = 0;    // human-models' anti-spoof net: P(real) (human's face.real)
  float liveness = 0;     // human-models' liveness net: P(live) (human's face.live)
};

}  // namespace facegate::vision

// ---- Face quality (enrolment refuses a poor photo; verification reports it) ----------------
// Each measure has its value in its own unit, a score and a level; the limits were chosen by
// measurement on ../shared/facedata and degraded copies of it (docs/quality.md).

namespace facegate::vision {

enum class QualityLevel {
  kGood,        // no effect on recognition measured
  kAcceptable,  // recognition measurably worse, still usable
  kPoor,        // retake the photo: enrolment refuses it
};
const char* ToString(QualityLevel level);

// One measure: `value` in its unit, `score` in [0,1] (1 at or past the good limit, 0.5 at the
// poor limit, below 0.5 poor) and the level the limits give.
struct QualityMeasure {
  float value = 0;
  float score = 1;
  QualityLevel level = QualityLevel::kGood;
};

// The limits of each measure: good at or past `good`, poor past `poor`.
struct QualityLimits {
  float size_good_px = 24, size_poor_px = 12;            // eye centre to eye centre, image px
  float sharpness_good = 0.02f, sharpness_poor = 0.007f;  // Laplacian / intensity variance on the chip
  float dark_good = 60, dark_poor = 30;                   // mean face luminance, 0..255
  float bright_good = 195, bright_poor = 215;
  float contrast_good = 18, contrast_poor = 10;           // face luminance standard deviation
  float yaw_good_deg = 20, yaw_poor_deg = 45;
  float pitch_good_deg = 20, pitch_poor_deg = 30;
  float roll_good_deg = 20, roll_poor_deg = 35;
  float occlusion_good = 0.85f, occlusion_poor = 1.0f;   // see FaceQuality::occlusion
};

// The quality of one face. The advice names what to fix for every measure that is not good,
// poor ones first ("the face is 18 px between the eyes; move closer so it is at least 20 px").
struct FaceQuality {
  QualityMeasure size;        // distance between the eye centres in image pixels
  QualityMeasure sharpness;   // blur: variance of the Laplacian of the aligned grey chip over
                              // its intensity variance (contrast-free); low = blurred
  QualityMeasure brightness;  // mean luminance of the face on the aligned chip, 0..255
  QualityMeasure contrast;    // standard deviation of that luminance
  QualityMeasure yaw;         // head turn left/right in degrees (signed; + = towards image right)
  QualityMeasure pitch;       // head tilt up/down in degrees (signed; + = chin up)
  QualityMeasure roll;        // in-plane tilt in degrees (signed; + = clockwise in the image)
  // Occlusion from landmark regions of the chip: the larger of the eyes' darkness against the
  // cheeks (sunglasses) and the lower face's colour distance from the cheeks (mask, scarf),
  // each in units of its poor limit (>= 1: poor).
  QualityMeasure occlusion;
  QualityLevel overall = QualityLevel::kGood;  // the worst level of the measures
  std::vector<std::string> advice;             // one line per measure that is not good
};

}  // namespace facegate::vision

// ---- Collection area (devices; REQ D2) -----------------------------------------------------
// Where a device may process faces: Engine::DetectInArea drops every face whose box centre lies
// outside the area before any landmark, template or output is made (vision/area.cpp).

namespace facegate::vision {

// Where a device may process faces (REQ D2): a polygon in normalised frame coordinates (x right,
// y down, 0..1), so one area fits any resolution of the device's camera. Empty = the whole frame.
struct CollectionArea {
  std::vector<cv::Point2f> polygon;  // vertices in order around the area (either direction)
  // kInvalidInput unless empty or >= 3 points, each within [0,1], non-zero area and not
  // self-intersecting; the message names the bad point or the crossing edges.
  Status Check() const;
  // True when the box's centre lies inside the area (boundary counts inside); `frame` is the
  // size of the image the box is in pixels of. Always true for the empty (whole-frame) area.
  bool Contains(const cv::Rect2f& box, cv::Size frame) const;
  // [[x,y],...] -> a checked area; kInvalidInput names what is wrong with the text.
  static Result<CollectionArea> FromJson(const std::string& json_array);
  // [[x,y],...] with each coordinate at the fewest digits that read back as the same float.
  std::string ToJson() const;
};

}  // namespace facegate::vision
