// WebP and BMP are accepted like JPEG and PNG (issue 18): the format is read from the file's
// magic bytes, never its name, and the size is checked from the header against the pixel limit
// before anything is decoded. The files are made at test time from a facedata photo by
// OpenCV's encoders (cv::imencode, cv::imwrite into a temporary folder); none is stored.
#include <facegate/vision.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "policy/gate.h"
#include "engine_suite.h"
#include "vision/image_header.h"

namespace fs = std::filesystem;

namespace facegate::vision {
namespace {

const std::string kPhoto = std::string(FACEGATE_FACEDATA) + "/lfw/Rafael_Ramirez/Rafael_Ramirez_0001.jpg";

// A private temporary folder, removed with the test.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("facegate-formats-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The facedata photo as OpenCV reads it (BGR), and written by cv::imwrite in the format of
// `ext` to `dir/name.ext`; returns the file's bytes.
cv::Mat PhotoBgr() { return cv::imread(kPhoto, cv::IMREAD_COLOR); }

std::string WriteAs(const TempDir& dir, const std::string& name, const std::string& ext) {
  const std::string path = dir / (name + ext);
  EXPECT_TRUE(cv::imwrite(path, PhotoBgr())) << "OpenCV could not write " << ext;
  return ReadBytes(path);
}

// The photo as a lossy WebP (one "VP8 " chunk) made by cv::imencode; OpenCV's default WebP
// (no quality given, or above 100) is lossless ("VP8L").
std::string LossyWebp(int quality = 95) {
  std::vector<uchar> buf;
  EXPECT_TRUE(cv::imencode(".webp", PhotoBgr(), buf, {cv::IMWRITE_WEBP_QUALITY, quality}));
  return std::string(buf.begin(), buf.end());
}

double MeanAbsDiff(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  const cv::Scalar m = cv::mean(d);
  return (m[0] + m[1] + m[2]) / 3;
}

cv::Mat PhotoRgb() {
  cv::Mat rgb;
  cv::cvtColor(PhotoBgr(), rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

void PutLe16(std::string& s, size_t at, uint32_t v) {
  s[at] = static_cast<char>(v & 0xFF);
  s[at + 1] = static_cast<char>((v >> 8) & 0xFF);
}
void PutLe32(std::string& s, size_t at, uint32_t v) {
  PutLe16(s, at, v & 0xFFFF);
  PutLe16(s, at + 2, v >> 16);
}

// Offset of a chunk's payload in a RIFF WebP, or npos.
size_t WebpChunk(const std::string& webp, const char* type) {
  size_t pos = 12;
  while (pos + 8 <= webp.size()) {
    const uint32_t len = static_cast<unsigned char>(webp[pos + 4]) |
                         (static_cast<unsigned char>(webp[pos + 5]) << 8) |
                         (static_cast<unsigned char>(webp[pos + 6]) << 16) |
                         (uint32_t(static_cast<unsigned char>(webp[pos + 7])) << 24);
    if (webp.compare(pos, 4, type) == 0) return pos + 8;
    pos += 8 + len + (len & 1);
  }
  return std::string::npos;
}

TEST(DecodeFormats, OpenCvHereReadsAndWritesWebpAndBmp) {
  EXPECT_TRUE(cv::haveImageWriter(".webp")) << "OpenCV was built without WebP; install libopencv-imgcodecs with libwebp";
  EXPECT_TRUE(cv::haveImageWriter(".bmp"));
}

TEST(DecodeFormats, WebpNamedJpgIsReadByItsMagicBytes) {
  TempDir dir;
  const std::string webp = LossyWebp();
  ASSERT_EQ(webp.compare(0, 4, "RIFF"), 0);
  WriteBytes(dir / "phone.jpg", webp);  // what a phone sends: WebP bytes, a .jpg name
  auto header = ReadImageHeader(webp);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->format, ImageFormat::kWebp);
  EXPECT_EQ(header->width, 250);
  EXPECT_EQ(header->height, 250);
  EXPECT_TRUE(header->complete);
  auto img = ReadImageFile(dir / "phone.jpg");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->type(), CV_8UC3);
  EXPECT_EQ(img->size(), cv::Size(250, 250));
  EXPECT_LT(MeanAbsDiff(*img, PhotoRgb()), 4.0) << "RGB order and pixels as the source (lossy WebP)";
}

TEST(DecodeFormats, LosslessWebpDecodesExactly) {
  std::vector<uchar> buf;
  ASSERT_TRUE(cv::imencode(".webp", PhotoBgr(), buf, {cv::IMWRITE_WEBP_QUALITY, 101}));  // > 100: lossless
  const std::string webp(buf.begin(), buf.end());
  auto header = ReadImageHeader(webp);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->width, 250);
  auto img = DecodeImage(webp);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(MeanAbsDiff(*img, PhotoRgb()), 0.0);
}

TEST(DecodeFormats, BmpDecodesExactly) {
  TempDir dir;
  const std::string bmp = WriteAs(dir, "photo", ".bmp");
  ASSERT_EQ(bmp.compare(0, 2, "BM"), 0);
  auto header = ReadImageHeader(bmp);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->format, ImageFormat::kBmp);
  EXPECT_EQ(header->width, 250);
  EXPECT_EQ(header->height, 250);
  EXPECT_TRUE(header->complete);
  auto img = ReadImageFile(dir / "photo.bmp");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->size(), cv::Size(250, 250));
  EXPECT_EQ(MeanAbsDiff(*img, PhotoRgb()), 0.0);
}

TEST(DecodeFormats, GreyBmpBecomesRgb) {
  cv::Mat grey;
  cv::cvtColor(PhotoBgr(), grey, cv::COLOR_BGR2GRAY);
  std::vector<uchar> buf;
  ASSERT_TRUE(cv::imencode(".bmp", grey, buf));  // 8-bit palette BMP
  auto img = DecodeImage(std::string(buf.begin(), buf.end()));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->type(), CV_8UC3);
}

TEST(DecodeFormats, WebpClaimingHugeDimensionsIsRefusedBeforeDecoding) {
  std::string webp = LossyWebp();
  const size_t vp8 = WebpChunk(webp, "VP8 ");
  ASSERT_NE(vp8, std::string::npos) << "a lossy WebP is a simple VP8 file";
  PutLe16(webp, vp8 + 6, 16383);  // 14-bit width and height, the most VP8 can say
  PutLe16(webp, vp8 + 8, 16383);
  auto img = DecodeImage(webp);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(img.status().message(),
            "image is 16383x16383 = 268 MP, above the 50 MP limit; send a smaller photo");
}

TEST(DecodeFormats, ExtendedWebpClaimingHugeCanvasIsRefusedFromItsFirstChunk) {
  // RIFF + VP8X of a 20000x20000 canvas and nothing else: named oversized, not truncated.
  std::string webp = std::string("RIFF", 4) + std::string(4, '\0') + "WEBP" + "VP8X" +
                     std::string("\x0a\0\0\0", 4) + std::string(10, '\0');
  PutLe32(webp, 4, static_cast<uint32_t>(webp.size() - 8));
  const uint32_t side = 20000 - 1;
  for (size_t at : {24, 27}) {
    webp[at] = static_cast<char>(side & 0xFF);
    webp[at + 1] = static_cast<char>((side >> 8) & 0xFF);
    webp[at + 2] = static_cast<char>(side >> 16);
  }
  auto img = DecodeImage(webp);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().message(),
            "image is 20000x20000 = 400 MP, above the 50 MP limit; send a smaller photo");
}

TEST(DecodeFormats, BmpClaimingHugeDimensionsIsRefusedBeforeDecoding) {
  TempDir dir;
  std::string bmp = WriteAs(dir, "photo", ".bmp");
  PutLe32(bmp, 18, 20000);                          // width
  PutLe32(bmp, 22, static_cast<uint32_t>(-20000));  // height, top-down
  auto img = DecodeImage(bmp);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().message(),
            "image is 20000x20000 = 400 MP, above the 50 MP limit; send a smaller photo");
}

TEST(DecodeFormats, TruncatedWebpAndBmpAreRefusedAsTruncated) {
  TempDir dir;
  // Lossless WebP (imwrite's default), lossy WebP, BMP: two thirds of each file.
  const std::vector<std::pair<std::string, std::string>> files = {
      {"lossless webp", WriteAs(dir, "photo", ".webp")}, {"lossy webp", LossyWebp()},
      {"bmp", WriteAs(dir, "photo", ".bmp")}};
  for (const auto& [what, bytes] : files) {
    auto img = DecodeImage(bytes.substr(0, bytes.size() * 2 / 3));
    ASSERT_FALSE(img.ok()) << what;
    EXPECT_EQ(img.status().message(), "could not decode: the file is truncated or corrupt") << what;
  }
}

TEST(DecodeFormats, CorruptWebpAndBmpHeadersAreRefusedWithWhatIsWrong) {
  TempDir dir;
  std::string webp = LossyWebp();
  const size_t vp8 = WebpChunk(webp, "VP8 ");
  ASSERT_NE(vp8, std::string::npos);
  webp[vp8 + 3] = 0;  // the VP8 start code 9D 01 2A
  auto w = DecodeImage(webp);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(w.status().message().find("WebP image (VP8) header is corrupt"), std::string::npos)
      << w.status().message();

  std::string bmp = WriteAs(dir, "photo", ".bmp");
  PutLe16(bmp, 28, 7);  // bits per pixel
  auto b = DecodeImage(bmp);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("7 bits per pixel"), std::string::npos) << b.status().message();
}

TEST(DecodeFormats, CorruptWebpImageDataGivesAClearError) {
  std::string webp = LossyWebp();
  const size_t vp8 = WebpChunk(webp, "VP8 ");
  ASSERT_NE(vp8, std::string::npos);
  // Keep the headers, cut the compressed data short inside the chunk and fix the RIFF length.
  std::string cut = webp.substr(0, vp8 + 40);
  PutLe32(cut, 4, static_cast<uint32_t>(cut.size() - 8));
  PutLe32(cut, vp8 - 4, 40);
  auto img = DecodeImage(cut);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().message(), "could not decode: the file is truncated or corrupt");
}

TEST(DecodeFormats, AnimatedWebpIsRefused) {
  std::string webp = std::string("RIFF", 4) + std::string(4, '\0') + "WEBP" + "VP8X" +
                     std::string("\x0a\0\0\0", 4) + std::string(10, '\0');
  PutLe32(webp, 4, static_cast<uint32_t>(webp.size() - 8));
  webp[20] = 0x02;  // animation flag
  auto img = DecodeImage(webp);
  ASSERT_FALSE(img.ok());
  EXPECT_NE(img.status().message().find("animated; send a still photo"), std::string::npos);
}

// The engine side: a WebP named .jpg verifies as the JPEG it was made from does.
class DecodeFormatsEngine : public EngineSuite {};

TEST_F(DecodeFormatsEngine, WebpNamedJpgGivesTheSameFaceAsTheJpeg) {
  TempDir dir;
  std::vector<uchar> buf;
  ASSERT_TRUE(cv::imencode(".webp", PhotoBgr(), buf, {cv::IMWRITE_WEBP_QUALITY, 95}));
  WriteBytes(dir / "phone.jpg", std::string(buf.begin(), buf.end()));
  const Grant grant = policy::Gate::AuthorizeResearch("decode formats test");
  auto jpeg = ReadImageFile(kPhoto);
  auto webp = ReadImageFile(dir / "phone.jpg");
  ASSERT_TRUE(jpeg.ok() && webp.ok()) << webp.status().ToString();
  auto a = engine_->Detect(grant, *jpeg);
  auto b = engine_->Detect(grant, *webp);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_FALSE(a->empty());
  ASSERT_FALSE(b->empty());
  auto ta = engine_->Extract(grant, *jpeg, a->front());
  auto tb = engine_->Extract(grant, *webp, b->front());
  ASSERT_TRUE(ta.ok() && tb.ok());
  double d2 = 0;
  for (int i = 0; i < kTemplateDim; ++i) {
    const double d = ta->values()[i] - tb->values()[i];
    d2 += d * d;
  }
  // Same person threshold 1.173 (unit vectors, distance 0..2); re-encoding moves it far less.
  EXPECT_LT(std::sqrt(d2), 0.3);
}

}  // namespace
}  // namespace facegate::vision
