// Writes the data/ files the tools fit (data/README.md): raw little-endian float32.
#pragma once

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace facegate::bench {

// Each value is first rounded as printf's `format` prints it ("%.8g", "%.6f") and read
// back with strtof, as when the tools wrote C++ literals: the same measurement gives the
// same files, bit for bit. False (and a message) when the file cannot be written.
inline bool WriteF32(const std::string& path, const std::vector<float>& v, const char* format) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  char text[48];
  for (float x : v) {
    std::snprintf(text, sizeof text, format, x);
    const uint32_t b = std::bit_cast<uint32_t>(std::strtof(text, nullptr));
    const char c[4] = {char(b & 0xff), char((b >> 8) & 0xff), char((b >> 16) & 0xff),
                       char(b >> 24)};
    out.write(c, 4);
  }
  out.close();
  if (!out) std::fprintf(stderr, "cannot write %s\n", path.c_str());
  return bool(out);
}

}  // namespace facegate::bench
