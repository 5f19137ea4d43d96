#include "server/request.h"

#include <sodium.h>

namespace facegate::server {

using json = nlohmann::json;

Result<json> ParseJsonBody(const std::string& body, const std::string& hint) {
  if (body.empty())
    return Status::InvalidInput("the request body is empty; send a JSON object " + hint);
  try {
    json j = json::parse(body);
    if (!j.is_object())
      return Status::InvalidInput(std::string("the request body must be a JSON object, not ") +
                                  j.type_name() + "; send " + hint);
    return j;
  } catch (const json::parse_error& e) {
    return Status::InvalidInput("the request body is not valid JSON (error at byte " +
                                std::to_string(e.byte) + "): " + e.what() +
                                "; fix the JSON and send it again");
  } catch (const json::out_of_range& e) {  // a number past a double's range, e.g. 1e400 (fuzz/)
    return Status::InvalidInput(std::string("the request body has a number out of range: ") +
                                e.what() + "; fix the JSON and send it again");
  }
}

Result<std::string> Str(const json& j, const char* name, bool required,
                        const std::string& what) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required)
      return Status::InvalidInput(std::string("field \"") + name + "\" is required" +
                                  (what.empty() ? "" : ": " + what));
    return std::string();
  }
  if (!it->is_string())
    return Status::InvalidInput(std::string("field \"") + name + "\" must be a string, not " +
                                it->type_name());
  return it->get<std::string>();
}

Result<int64_t> Int(const json& j, const char* name, bool required, const std::string& what) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required)
      return Status::InvalidInput(std::string("field \"") + name + "\" is required" +
                                  (what.empty() ? "" : ": " + what));
    return int64_t{0};
  }
  if (!it->is_number_integer())
    return Status::InvalidInput(std::string("field \"") + name + "\" must be an integer, not " +
                                it->type_name());
  return it->get<int64_t>();
}

Result<std::vector<std::string>> StrList(const json& j, const char* name) {
  std::vector<std::string> out;
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array())
    return Status::InvalidInput(std::string("field \"") + name + "\" must be an array of strings");
  for (const json& x : *it) {
    if (!x.is_string())
      return Status::InvalidInput(std::string("field \"") + name +
                                  "\" must be an array of strings");
    out.push_back(x.get<std::string>());
  }
  return out;
}

Result<std::string> DecodeBase64(std::string in) {
  if (in.rfind("data:", 0) == 0) {
    auto comma = in.find(',');
    if (comma != std::string::npos) in = in.substr(comma + 1);
  }
  std::string out(in.size() * 3 / 4 + 3, '\0');
  for (int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                      sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
    size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), in.data(),
                          in.size(), " \r\n\t", &len, &end, variant) == 0 &&
        end == in.data() + in.size()) {
      out.resize(len);
      return out;
    }
  }
  return Status::InvalidInput(
      "field \"image_base64\" is not valid base64; encode the JPEG, PNG, WebP or BMP file "
      "bytes with base64 (e.g. `base64 -w0 photo.jpg`)");
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;  // a continuation byte first, or 0xF8..0xFF
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

Status RequireUtf8(std::string_view s, const std::string& where) {
  if (IsValidUtf8(s)) return Status::Ok();
  return Status::InvalidInput(where + " is not valid UTF-8 text; send it UTF-8 encoded "
                              "(percent-encode the UTF-8 bytes in a URL)");
}

std::string SafeDump(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

}  // namespace facegate::server
