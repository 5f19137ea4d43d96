#include "vision/image_header.h"

#include <cstring>
#include <opencv2/core.hpp>

namespace facegate::vision {
namespace {

uint32_t Be16(const unsigned char* p) {
  return (uint32_t{p[0]} << 8) | p[1];
}
uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

const char kTruncated[] = "could not decode: the file is truncated or corrupt";

bool IsSofMarker(unsigned char m) {
  // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC).
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

Result<ImageHeader> ReadJpegHeader(std::string_view bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  ImageHeader h;
  h.format = ImageFormat::kJpeg;
  bool have_size = false;
  size_t pos = 2;
  size_t scan_start = 0;
  // A file cut short after its size is known still reports the size, so an
  // oversized image is named as such; `complete` stays false.
  auto cut_short = [&]() -> Result<ImageHeader> {
    if (have_size && h.width > 0 && h.height > 0) return h;
    return Status::InvalidInput(kTruncated);
  };
  while (scan_start == 0) {
    if (pos >= n) return cut_short();
    if (b[pos] != 0xFF) {
      return Status::InvalidInput("could not decode: the JPEG markers are corrupt");
    }
    while (pos < n && b[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= n) return cut_short();
    const unsigned char marker = b[pos++];
    if (marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (marker == 0xD9) {
      return Status::InvalidInput("could not decode: the JPEG ends before any image data");
    }
    if (pos + 2 > n) return cut_short();
    const size_t len = Be16(b + pos);
    if (len < 2) return Status::InvalidInput("could not decode: the JPEG markers are corrupt");
    if (pos + len > n) return cut_short();
    const unsigned char* seg = b + pos + 2;
    const size_t seg_len = len - 2;
    if (IsSofMarker(marker)) {
      if (seg_len < 5) return Status::InvalidInput("could not decode: the JPEG header is corrupt");
      h.height = Be16(seg + 1);
      h.width = Be16(seg + 3);
      have_size = true;
    } else if (marker == 0xE1 && seg_len > 6 && std::memcmp(seg, "Exif\0\0", 6) == 0) {
      h.orientation =
          ExifOrientation(std::string_view(reinterpret_cast<const char*>(seg) + 6, seg_len - 6));
    } else if (marker == 0xDA) {
      scan_start = pos + len;
    }
    pos += len;
  }
  if (!have_size || h.width == 0 || h.height == 0) {
    return Status::InvalidInput("could not decode: the JPEG header has no image size");
  }
  // Entropy-coded data never holds FF D9 (FF is stuffed as FF 00), so an EOI after
  // the first scan marks the end of the image; without it the file was cut short.
  h.complete = bytes.find("\xFF\xD9", scan_start) != std::string_view::npos;
  return h;
}

Result<ImageHeader> ReadPngHeader(std::string_view bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  ImageHeader h;
  h.format = ImageFormat::kPng;
  if (n < 8 + 8 + 13) return Status::InvalidInput(kTruncated);
  if (Be32(b + 8) != 13 || std::memcmp(b + 12, "IHDR", 4) != 0) {
    return Status::InvalidInput("could not decode: the PNG header (IHDR) is corrupt");
  }
  h.width = Be32(b + 16);
  h.height = Be32(b + 20);
  if (h.width == 0 || h.height == 0) {
    return Status::InvalidInput("could not decode: the PNG header has a zero size");
  }
  size_t pos = 8;
  while (pos + 12 <= n) {
    const size_t len = Be32(b + pos);
    const char* type = reinterpret_cast<const char*>(b + pos + 4);
    if (len > n || pos + 12 + len > n) break;  // cut short
    if (std::memcmp(type, "eXIf", 4) == 0) {
      h.orientation = ExifOrientation(bytes.substr(pos + 8, len));
    } else if (std::memcmp(type, "IEND", 4) == 0) {
      h.complete = true;
      break;
    }
    pos += 12 + len;
  }
  return h;
}

}  // namespace

int ExifOrientation(std::string_view tiff) {
  const auto* t = reinterpret_cast<const unsigned char*>(tiff.data());
  const size_t n = tiff.size();
  if (n < 8) return 1;
  bool little;
  if (t[0] == 'I' && t[1] == 'I') {
    little = true;
  } else if (t[0] == 'M' && t[1] == 'M') {
    little = false;
  } else {
    return 1;
  }
  auto u16 = [&](size_t o) -> uint32_t {
    return little ? (uint32_t{t[o]} | (uint32_t{t[o + 1]} << 8)) : Be16(t + o);
  };
  auto u32 = [&](size_t o) -> uint32_t {
    return little ? (uint32_t{t[o]} | (uint32_t{t[o + 1]} << 8) | (uint32_t{t[o + 2]} << 16) |
                     (uint32_t{t[o + 3]} << 24))
                  : Be32(t + o);
  };
  if (u16(2) != 42) return 1;
  const size_t ifd = u32(4);
  if (ifd + 2 > n) return 1;
  const size_t count = u16(ifd);
  for (size_t i = 0; i < count; ++i) {
    const size_t e = ifd + 2 + 12 * i;
    if (e + 12 > n) return 1;
    if (u16(e) == 0x0112 && u16(e + 2) == 3 /* SHORT */) {
      const uint32_t v = u16(e + 8);
      return (v >= 1 && v <= 8) ? static_cast<int>(v) : 1;
    }
  }
  return 1;
}

Result<ImageHeader> ReadImageHeader(std::string_view bytes) {
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
      static_cast<unsigned char>(bytes[1]) == 0xD8 &&
      static_cast<unsigned char>(bytes[2]) == 0xFF) {
    return ReadJpegHeader(bytes);
  }
  if (bytes.size() >= 8 && bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) {
    return ReadPngHeader(bytes);
  }
  return Status::InvalidInput("not a JPEG or PNG image; send a photo in one of those formats");
}

cv::Mat ApplyOrientation(const cv::Mat& image, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(image, out, 1);
      return out;  // mirrored left-right
    case 3:
      cv::flip(image, out, -1);
      return out;  // rotated 180
    case 4:
      cv::flip(image, out, 0);
      return out;  // mirrored top-bottom
    case 5:
      cv::transpose(image, out);
      return out;  // mirrored along the main diagonal
    case 6:        // rotate 90 clockwise to view
      cv::transpose(image, out);
      cv::flip(out, out, 1);
      return out;
    case 7:  // mirrored along the anti-diagonal
      cv::transpose(image, out);
      cv::flip(out, out, -1);
      return out;
    case 8:  // rotate 90 counter-clockwise to view
      cv::transpose(image, out);
      cv::flip(out, out, 0);
      return out;
    default:
      return image;
  }
}

}  // namespace facegate::vision
