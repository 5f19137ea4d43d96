// Unambiguous byte encodings shared by the audit chain and the vault's
// associated data: fixed-width little-endian integers and length-prefixed fields.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace facegate::store {

// Appends `v` as 8 little-endian bytes.
inline void AppendU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Appends the 8-byte little-endian length of `field`, then its bytes, so no two
// different field lists encode to the same bytes.
inline void AppendField(std::string& out, std::string_view field) {
  AppendU64(out, field.size());
  out.append(field.data(), field.size());
}

}  // namespace facegate::store
