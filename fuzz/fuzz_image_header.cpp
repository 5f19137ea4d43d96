// Fuzzes facegate::vision::ReadImageHeader (JPEG markers, PNG chunks) and
// ExifOrientation (TIFF IFD) from src/vision/image_header.cpp: no memory error or
// undefined behaviour on any bytes, and what they report stays in range.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.h"
#include "vision/image_header.h"

using facegate::vision::ExifOrientation;
using facegate::vision::ReadImageHeader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  auto header = ReadImageHeader(bytes);
  if (header.ok()) {
    FUZZ_CHECK(header->width > 0 && header->height > 0, "a header that parses has a size");
    FUZZ_CHECK(header->width <= INT64_C(0xFFFFFFFF) && header->height <= INT64_C(0xFFFFFFFF),
               "sizes come from 16- or 32-bit fields");
    FUZZ_CHECK(header->orientation >= 1 && header->orientation <= 8, "EXIF orientation 1..8");
  } else {
    FUZZ_CHECK(!header.status().message().empty(), "a refusal says what is wrong");
  }

  // The input as a bare TIFF/EXIF block too (what follows "Exif\0\0" in APP1 or a
  // PNG eXIf chunk), so the IFD walk is reached without a JPEG or PNG around it.
  const int o = ExifOrientation(bytes);
  FUZZ_CHECK(o >= 1 && o <= 8, "ExifOrientation returns 1..8");
  return 0;
}
