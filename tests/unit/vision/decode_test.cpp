// DecodeImage refuses bad input with a message that names the problem, and
// turns every accepted photo into upright 8-bit RGB.
#include <facegate/vision.h>
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "vision/image_header.h"

namespace facegate::vision {
namespace {

std::string Encode(const cv::Mat& bgr_or_grey, const std::string& ext) {
  std::vector<uchar> buf;
  EXPECT_TRUE(cv::imencode(ext, bgr_or_grey, buf));
  return std::string(buf.begin(), buf.end());
}

// A 60x40 (w x h) picture: red block top-left, blue block bottom-right, grey elsewhere.
cv::Mat MarkedPicture() {
  cv::Mat bgr(40, 60, CV_8UC3, cv::Scalar(128, 128, 128));
  bgr(cv::Rect(0, 0, 20, 14)).setTo(cv::Scalar(0, 0, 255));    // red (BGR)
  bgr(cv::Rect(40, 26, 20, 14)).setTo(cv::Scalar(255, 0, 0));  // blue (BGR)
  return bgr;
}

// An APP1 EXIF segment (big-endian TIFF) holding only the orientation tag.
std::string ExifApp1(int orientation) {
  std::string tiff("MM\0\x2a\0\0\0\x08", 8);           // header, IFD0 at 8
  tiff += std::string("\0\x01", 2);                    // one entry
  tiff += std::string("\x01\x12\0\x03\0\0\0\x01", 8);  // tag 0x0112, SHORT, 1
  tiff += std::string{'\0', static_cast<char>(orientation), '\0', '\0'};
  tiff += std::string("\0\0\0\0", 4);  // no next IFD
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const size_t len = payload.size() + 2;
  return std::string("\xFF\xE1", 2) + static_cast<char>(len >> 8) + static_cast<char>(len & 0xFF) +
         payload;
}

std::string WithExif(const std::string& jpeg, int orientation) {
  return jpeg.substr(0, 2) + ExifApp1(orientation) + jpeg.substr(2);
}

bool IsRed(const cv::Vec3b& rgb) {
  return rgb[0] > 200 && rgb[1] < 60 && rgb[2] < 60;
}
bool IsBlue(const cv::Vec3b& rgb) {
  return rgb[2] > 200 && rgb[0] < 60 && rgb[1] < 60;
}

TEST(DecodeImage, JpegBecomesRgb) {
  auto img = DecodeImage(Encode(MarkedPicture(), ".jpg"));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->type(), CV_8UC3);
  EXPECT_EQ(img->size(), cv::Size(60, 40));
  EXPECT_TRUE(IsRed(img->at<cv::Vec3b>(5, 5)));  // channel order is RGB
  EXPECT_TRUE(IsBlue(img->at<cv::Vec3b>(35, 55)));
}

TEST(DecodeImage, EmptyInputIsRefused) {
  auto img = DecodeImage("");
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(img.status().message().find("empty"), std::string::npos);
}

TEST(DecodeImage, UnknownFormatIsRefused) {
  auto img = DecodeImage("GIF89a\x01\x00\x01\x00 this is not a photo");
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(img.status().message().find("not a JPEG, PNG, WebP or BMP"), std::string::npos);
}

TEST(DecodeImage, TooManyBytesIsRefused) {
  DecodeLimits limits;
  limits.max_bytes = 100;
  auto img = DecodeImage(Encode(MarkedPicture(), ".png"), limits);
  ASSERT_FALSE(img.ok());
  EXPECT_NE(img.status().message().find("above the"), std::string::npos);
  EXPECT_NE(img.status().message().find("smaller photo"), std::string::npos);
}

TEST(DecodeImage, TruncatedJpegIsRefused) {
  const std::string jpeg = Encode(MarkedPicture(), ".jpg");
  auto img = DecodeImage(jpeg.substr(0, jpeg.size() * 2 / 3));
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().message(), "could not decode: the file is truncated or corrupt");
}

TEST(DecodeImage, TruncatedPngIsRefused) {
  const std::string png = Encode(MarkedPicture(), ".png");
  auto img = DecodeImage(png.substr(0, png.size() - 20));
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().message(), "could not decode: the file is truncated or corrupt");
}

TEST(DecodeImage, CorruptJpegMarkersAreRefused) {
  auto img = DecodeImage(std::string("\xFF\xD8\xFF\xE0\x00\x10garbage garbage garbage", 30));
  ASSERT_FALSE(img.ok());
  EXPECT_NE(img.status().message().find("could not decode"), std::string::npos);
}

TEST(DecodeImage, CorruptPngDataIsRefused) {
  std::string png = Encode(MarkedPicture(), ".png");
  // Overwrite the compressed pixel data (keep signature, IHDR and IEND).
  for (size_t i = 40; i + 20 < png.size(); ++i) png[i] = static_cast<char>(i * 7);
  auto img = DecodeImage(png);
  ASSERT_FALSE(img.ok());
  EXPECT_NE(img.status().message().find("truncated or corrupt"), std::string::npos);
}

TEST(DecodeImage, PngClaimingTooManyPixelsIsRefusedBeforeDecoding) {
  // Signature + IHDR of a 20000x20000 RGB image and nothing else.
  std::string png("\x89PNG\r\n\x1a\n", 8);
  png += std::string("\0\0\0\x0dIHDR", 8);
  png += std::string("\0\0\x4e\x20\0\0\x4e\x20\x08\x02\0\0\0", 13);
  png += std::string("\0\0\0\0", 4);  // CRC (never reached)
  auto img = DecodeImage(png);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().message(),
            "image is 20000x20000 = 400 MP, above the 50 MP limit; send a smaller photo");
}

TEST(DecodeImage, JpegClaimingTooManyPixelsIsRefusedBeforeDecoding) {
  // SOI + SOF0 of a 20000x20000 3-component image, then the file ends.
  std::string jpeg("\xFF\xD8\xFF\xC0\x00\x11\x08\x4e\x20\x4e\x20\x03", 12);
  jpeg += std::string("\x01\x22\x00\x02\x11\x01\x03\x11\x01", 9);
  auto img = DecodeImage(jpeg);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().message(),
            "image is 20000x20000 = 400 MP, above the 50 MP limit; send a smaller photo");
}

TEST(DecodeImage, GreyPngBecomesRgb) {
  cv::Mat grey(10, 12, CV_8UC1, cv::Scalar(77));
  auto img = DecodeImage(Encode(grey, ".png"));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->type(), CV_8UC3);
  EXPECT_EQ(img->at<cv::Vec3b>(3, 3), cv::Vec3b(77, 77, 77));
}

TEST(DecodeImage, RgbaPngBecomesRgb) {
  cv::Mat bgra(10, 12, CV_8UC4, cv::Scalar(10, 20, 30, 128));
  auto img = DecodeImage(Encode(bgra, ".png"));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->type(), CV_8UC3);
  EXPECT_EQ(img->at<cv::Vec3b>(3, 3), cv::Vec3b(30, 20, 10));
}

TEST(DecodeImage, SixteenBitPngBecomesEightBit) {
  cv::Mat deep(10, 12, CV_16UC3, cv::Scalar(0x1000, 0x8000, 0xFF00));
  auto img = DecodeImage(Encode(deep, ".png"));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->type(), CV_8UC3);
  EXPECT_EQ(img->at<cv::Vec3b>(3, 3), cv::Vec3b(0xFF, 0x80, 0x10));
}

TEST(DecodeImage, ExifOrientationSixIsRotatedClockwise) {
  const std::string jpeg = WithExif(Encode(MarkedPicture(), ".jpg"), 6);
  ASSERT_EQ(ReadImageHeader(jpeg)->orientation, 6);
  auto img = DecodeImage(jpeg);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  // Stored 60x40 landscape; viewed rotated 90 degrees clockwise: 40x60 portrait.
  EXPECT_EQ(img->size(), cv::Size(40, 60));
  // The stored top-left (red) is now top-right; the stored bottom-right (blue) bottom-left.
  EXPECT_TRUE(IsRed(img->at<cv::Vec3b>(5, 35)));
  EXPECT_TRUE(IsBlue(img->at<cv::Vec3b>(55, 5)));
}

TEST(DecodeImage, ExifOrientationThreeIsRotatedHalfTurn) {
  auto img = DecodeImage(WithExif(Encode(MarkedPicture(), ".jpg"), 3));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->size(), cv::Size(60, 40));
  EXPECT_TRUE(IsRed(img->at<cv::Vec3b>(35, 55)));
  EXPECT_TRUE(IsBlue(img->at<cv::Vec3b>(5, 5)));
}

TEST(DecodeImage, ExifOrientationEightIsRotatedCounterClockwise) {
  auto img = DecodeImage(WithExif(Encode(MarkedPicture(), ".jpg"), 8));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->size(), cv::Size(40, 60));
  EXPECT_TRUE(IsRed(img->at<cv::Vec3b>(55, 5)));  // top-left went to bottom-left
}

TEST(ReadImageFile, MissingFileIsNotFound) {
  auto img = ReadImageFile("/nonexistent/photo.jpg");
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().kind(), ErrorKind::kNotFound);
}

TEST(ReadImageFile, ReadsAnLfwPhoto) {
  auto img =
      ReadImageFile(std::string(FACEGATE_FACEDATA) + "/lfw/Rafael_Ramirez/Rafael_Ramirez_0001.jpg");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->size(), cv::Size(250, 250));
}

}  // namespace
}  // namespace facegate::vision
