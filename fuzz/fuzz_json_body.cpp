// Fuzzes what the REST API reads from a client (src/server/request.cpp): the JSON
// body and its typed fields, base64 images, the UTF-8 check and the JSON writer
// that never throws. Besides memory errors and undefined behaviour it checks:
//  - SafeDump never throws, and writes valid UTF-8 that parses back;
//  - IsValidUtf8 agrees with nlohmann::json's own UTF-8 check (its serializer throws
//    type_error 316 on exactly the strings that are not UTF-8), and RequireUtf8
//    agrees with IsValidUtf8;
//  - a valid string round-trips through SafeDump and json::parse byte for byte;
//  - every string field of a parsed body is valid UTF-8 (the parser checks it);
//  - DecodeBase64 returns the bytes that libsodium encoded, in all four variants,
//    with and without a data: URL prefix.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "check.h"
#include "server/request.h"

using facegate::server::DecodeBase64;
using facegate::server::Int;
using facegate::server::IsValidUtf8;
using facegate::server::ParseJsonBody;
using facegate::server::RequireUtf8;
using facegate::server::SafeDump;
using facegate::server::Str;
using facegate::server::StrList;
using json = nlohmann::json;

namespace {

// Writes `j` both ways and checks what comes back.
void CheckSafeDump(const json& j) {
  std::string compact, pretty;
  try {
    compact = SafeDump(j);
    pretty = SafeDump(j, 2);
  } catch (...) {
    FUZZ_CHECK(false, "SafeDump threw");
  }
  FUZZ_CHECK(IsValidUtf8(compact) && IsValidUtf8(pretty), "SafeDump writes UTF-8");
  json back;
  try {
    back = json::parse(compact);
  } catch (...) {
    FUZZ_CHECK(false, "SafeDump's output is not JSON");
  }
  FUZZ_CHECK(back.type() == j.type(), "SafeDump keeps the type");
}

void CheckUtf8(const std::string& s) {
  const bool valid = IsValidUtf8(s);
  FUZZ_CHECK(RequireUtf8(s, "field").ok() == valid, "RequireUtf8 agrees with IsValidUtf8");

  // Independent check: nlohmann's strict serializer (Hoehrmann's UTF-8 DFA).
  bool dump_threw = false;
  std::string dumped;
  try {
    dumped = json(s).dump();
  } catch (const json::type_error&) {
    dump_threw = true;
  }
  FUZZ_CHECK(dump_threw == !valid, "IsValidUtf8 agrees with nlohmann::json::dump");

  CheckSafeDump(json(s));
  const std::string safe = SafeDump(json(s));
  const std::string back = json::parse(safe).get<std::string>();
  FUZZ_CHECK(IsValidUtf8(back), "SafeDump replaces what is not UTF-8");
  if (valid) {
    FUZZ_CHECK(back == s, "a UTF-8 string round-trips through SafeDump and json::parse");
    FUZZ_CHECK(safe == dumped, "SafeDump writes a UTF-8 string as dump() does");
  }
}

void CheckBase64(const std::string& in, const std::string& bytes) {
  // Whatever the input, DecodeBase64 answers without crashing.
  auto any = DecodeBase64(in);
  if (any.ok()) FUZZ_CHECK(any->size() <= in.size() * 3 / 4 + 3, "decoded size is bounded");

  for (int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                      sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
    std::string b64(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
    sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      bytes.size(), variant);
    b64.resize(b64.size() - 1);  // the terminating NUL
    auto plain = DecodeBase64(b64);
    FUZZ_CHECK(plain.ok() && *plain == bytes, "base64 round trip");
    auto url = DecodeBase64("data:image/jpeg;base64," + b64);
    FUZZ_CHECK(url.ok() && *url == bytes, "base64 round trip with a data: URL");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  static const std::string kHint = R"({"subject": "S1", "purpose": "office-entry"})";

  auto parsed = ParseJsonBody(body, kHint);
  if (!parsed.ok()) {
    // The message quotes the JSON parser, which can quote the bad bytes; the server
    // writes it with SafeDump.
    CheckSafeDump(json{{"error", parsed.status().message()}});
  } else {
    const json& j = *parsed;
    FUZZ_CHECK(j.is_object(), "ParseJsonBody returns objects only");
    CheckSafeDump(j);
    for (const char* name : {"subject", "purpose", "image_base64", "session", "option"}) {
      for (bool required : {false, true}) {
        auto s = Str(j, name, required, "the subject's id");
        if (s.ok()) {
          FUZZ_CHECK(IsValidUtf8(*s), "parsed strings are UTF-8");
          if (!s->empty()) FUZZ_CHECK(j.at(name).get<std::string>() == *s, "Str returns the field");
        } else {
          CheckSafeDump(json{{"error", s.status().message()}});
        }
      }
    }
    for (const char* name : {"notice_id", "k", "request", "retention_days"}) {
      auto i = Int(j, name, true);
      if (i.ok() && j.contains(name) && j[name].is_number_integer())
        FUZZ_CHECK(j[name].get<int64_t>() == *i, "Int returns the field");
    }
    for (const char* name : {"alternatives", "images_base64"}) {
      auto list = StrList(j, name);
      if (list.ok()) {
        for (const auto& s : *list) FUZZ_CHECK(IsValidUtf8(s), "parsed strings are UTF-8");
      }
    }
    auto image = Str(j, "image_base64", false);
    if (image.ok()) (void)DecodeBase64(*image);
    auto images = StrList(j, "images_base64");
    if (images.ok()) {
      for (const auto& s : *images) (void)DecodeBase64(s);
    }
  }

  // The raw bytes as a client string (a query parameter, a multipart field).
  CheckUtf8(body);
  CheckBase64(body, body.substr(0, 512));
  return 0;
}
