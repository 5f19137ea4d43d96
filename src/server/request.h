// Reading what a client sent: JSON bodies, typed fields, base64 images and UTF-8
// checks. Pure functions over bytes (no sockets), so each is unit tested and fuzzed
// (fuzz/) on its own; every error names the field and says what to send instead.
#pragma once

#include <facegate/status.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace facegate::server {

// A JSON object from a request body; `hint` is an example body for the error message.
Result<nlohmann::json> ParseJsonBody(const std::string& body, const std::string& hint);

// Field `name` of `j` as a string ("" when absent and not required).
Result<std::string> Str(const nlohmann::json& j, const char* name, bool required,
                        const std::string& what = "");
// Field `name` of `j` as an integer (0 when absent and not required).
Result<int64_t> Int(const nlohmann::json& j, const char* name, bool required,
                    const std::string& what = "");
// Field `name` of `j` as an array of strings (empty when absent).
Result<std::vector<std::string>> StrList(const nlohmann::json& j, const char* name);

// Decodes standard or URL-safe base64, padded or not, with or without a data: URL prefix.
Result<std::string> DecodeBase64(std::string in);

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s);
// kInvalidInput naming `where` (e.g. "multipart field \"subject\"") when `s` is not UTF-8.
Status RequireUtf8(std::string_view s, const std::string& where);

// JSON text that never throws: invalid UTF-8 in a string becomes U+FFFD.
std::string SafeDump(const nlohmann::json& j, int indent = -1);

}  // namespace facegate::server
