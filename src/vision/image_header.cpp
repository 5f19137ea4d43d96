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

uint32_t Le16(const unsigned char* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8);
}
uint32_t Le24(const unsigned char* p) {
  return Le16(p) | (uint32_t{p[2]} << 16);
}
uint32_t Le32(const unsigned char* p) {
  return Le24(p) | (uint32_t{p[3]} << 24);
}

// The TIFF block of a WebP EXIF chunk; some writers keep JPEG's "Exif\0\0" in front of it.
int WebpExifOrientation(std::string_view exif) {
  if (exif.size() >= 6 && exif.substr(0, 6) == std::string_view("Exif\0\0", 6)) exif.remove_prefix(6);
  return ExifOrientation(exif);
}

// RIFF "WEBP" container: the simple forms hold one VP8 (lossy) or VP8L (lossless) chunk; the
// extended form starts with VP8X (canvas size, flags) and may carry EXIF and animation.
Result<ImageHeader> ReadWebpHeader(std::string_view bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  ImageHeader h;
  h.format = ImageFormat::kWebp;
  const uint64_t riff_end = uint64_t{Le32(b + 4)} + 8;  // the file's length by its RIFF header
  if (riff_end < 12 + 8) return Status::InvalidInput("could not decode: the WebP header is corrupt");
  int64_t canvas_w = 0, canvas_h = 0, frame_w = 0, frame_h = 0;
  bool extended = false;
  size_t pos = 12;
  while (pos + 8 <= n && pos + 8 <= riff_end) {
    const char* type = reinterpret_cast<const char*>(b + pos);
    const uint64_t len = Le32(b + pos + 4);
    const unsigned char* p = b + pos + 8;
    const size_t have = n - (pos + 8);  // payload bytes present (the chunk may be cut short)
    const bool first = pos == 12;
    if (first && std::memcmp(type, "VP8X", 4) != 0 && std::memcmp(type, "VP8 ", 4) != 0 &&
        std::memcmp(type, "VP8L", 4) != 0) {
      return Status::InvalidInput("could not decode: the WebP has no image chunk (VP8, VP8L or VP8X)");
    }
    if (std::memcmp(type, "VP8X", 4) == 0) {
      if (!first || len < 10) return Status::InvalidInput("could not decode: the WebP header (VP8X) is corrupt");
      if (have < 10) break;
      if (p[0] & 0x02) {
        return Status::InvalidInput("the WebP is animated; send a still photo (JPEG, PNG, WebP or BMP)");
      }
      extended = true;
      canvas_w = int64_t{Le24(p + 4)} + 1;
      canvas_h = int64_t{Le24(p + 7)} + 1;
    } else if (std::memcmp(type, "ANIM", 4) == 0 || std::memcmp(type, "ANMF", 4) == 0) {
      return Status::InvalidInput("the WebP is animated; send a still photo (JPEG, PNG, WebP or BMP)");
    } else if (std::memcmp(type, "VP8 ", 4) == 0 && frame_w == 0) {
      if (len < 10) return Status::InvalidInput("could not decode: the WebP image (VP8) header is corrupt");
      if (have < 10) break;
      // Frame tag (3 bytes, bit 0 clear on a key frame), start code 9D 01 2A, then 14-bit sizes.
      if ((p[0] & 1) != 0 || p[3] != 0x9D || p[4] != 0x01 || p[5] != 0x2A) {
        return Status::InvalidInput("could not decode: the WebP image (VP8) header is corrupt");
      }
      frame_w = Le16(p + 6) & 0x3FFF;
      frame_h = Le16(p + 8) & 0x3FFF;
    } else if (std::memcmp(type, "VP8L", 4) == 0 && frame_w == 0) {
      if (len < 5) return Status::InvalidInput("could not decode: the WebP image (VP8L) header is corrupt");
      if (have < 5) break;
      if (p[0] != 0x2F) return Status::InvalidInput("could not decode: the WebP image (VP8L) header is corrupt");
      const uint32_t bits = Le32(p + 1);
      frame_w = int64_t{bits & 0x3FFF} + 1;
      frame_h = int64_t{(bits >> 14) & 0x3FFF} + 1;
    } else if (std::memcmp(type, "EXIF", 4) == 0 && len <= have) {
      h.orientation = WebpExifOrientation(bytes.substr(pos + 8, len));
    }
    if (!extended) break;  // a simple WebP is its one image chunk
    pos += 8 + len + (len & 1);  // chunks are padded to an even size
  }
  h.complete = n >= riff_end;
  if (frame_w > 0 && canvas_w > 0 && (frame_w != canvas_w || frame_h != canvas_h)) {
    return Status::InvalidInput("could not decode: the WebP canvas (" + std::to_string(canvas_w) + "x" +
                                std::to_string(canvas_h) + ") and image (" + std::to_string(frame_w) +
                                "x" + std::to_string(frame_h) + ") sizes differ; the file is corrupt");
  }
  h.width = frame_w > 0 ? frame_w : canvas_w;
  h.height = frame_w > 0 ? frame_h : canvas_h;
  if (h.width > 0 && h.height > 0) {
    // Cut short before the image chunk: the canvas size still names an oversized image.
    if (frame_w == 0) h.complete = false;
    return h;
  }
  if (frame_w > 0 || canvas_w > 0) return Status::InvalidInput("could not decode: the WebP header has a zero size");
  return Status::InvalidInput(kTruncated);
}

// BMP: 14-byte file header ("BM", size, pixel offset), then a DIB header: the 12-byte core
// header (16-bit sizes) or an info header of 40 bytes or more (32-bit signed sizes; a negative
// height means top-down rows).
Result<ImageHeader> ReadBmpHeader(std::string_view bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  ImageHeader h;
  h.format = ImageFormat::kBmp;
  if (n < 18) return Status::InvalidInput(kTruncated);
  const uint64_t offset = Le32(b + 10);
  const uint32_t dib = Le32(b + 14);
  uint32_t bpp = 0, compression = 0;
  if (dib == 12) {
    if (n < 26) return Status::InvalidInput(kTruncated);
    h.width = Le16(b + 18);
    h.height = Le16(b + 20);
    bpp = Le16(b + 24);
  } else if (dib >= 40 && dib <= 124) {
    if (n < 14 + 40) return Status::InvalidInput(kTruncated);
    h.width = static_cast<int32_t>(Le32(b + 18));
    const int64_t height = static_cast<int32_t>(Le32(b + 22));
    h.height = height < 0 ? -height : height;  // negative: rows stored top-down
    bpp = Le16(b + 28);
    compression = Le32(b + 30);
  } else {
    return Status::InvalidInput("could not decode: the BMP header (DIB size " + std::to_string(dib) +
                                ") is corrupt or of an unsupported kind; send a JPEG, PNG or WebP");
  }
  if (h.width <= 0 || h.height <= 0) {
    return Status::InvalidInput("could not decode: the BMP header has a zero or negative size");
  }
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) {
    return Status::InvalidInput("could not decode: the BMP header has " + std::to_string(bpp) +
                                " bits per pixel (1, 4, 8, 16, 24 or 32 expected)");
  }
  if (offset < 14 + uint64_t{dib} || offset > n) {
    h.complete = false;  // the pixels start past the end of the file: cut short or corrupt
    return h;
  }
  if (compression == 0 || compression == 3 || compression == 6) {
    // Uncompressed rows (plain or with bit masks), each padded to 4 bytes: all must be present.
    const uint64_t stride = ((uint64_t(h.width) * bpp + 31) / 32) * 4;
    h.complete = uint64_t(h.height) <= (n - offset) / stride;
  } else {
    h.complete = true;  // run-length coded: the decoder finds a cut-short stream
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
  if (bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WEBP") {
    return ReadWebpHeader(bytes);
  }
  if (bytes.size() >= 2 && bytes.substr(0, 2) == "BM") return ReadBmpHeader(bytes);
  return Status::InvalidInput(
      "not a JPEG, PNG, WebP or BMP image; send a photo in one of those formats");
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
