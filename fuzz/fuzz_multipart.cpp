// Fuzzes cpp-httplib's multipart/form-data parser (httplib::detail::
// MultipartFormDataParser of Debian's cpp-httplib 0.11.4, the code facegate's
// server runs; third_party/httplib_multipart_parser.h says why it is compiled from
// a copy). It is driven the way httplib::Server::read_content drives it: a fixed
// boundary, the body fed in chunks (as the socket delivers them), one part per
// header callback (at most CPPHTTPLIB_MULTIPART_FORM_DATA_FILE_MAX_COUNT), content
// appended to the current part, is_valid() at the end. A body the parser accepts
// then goes through facegate's own UTF-8 checks of the fields (src/server/server.cpp:
// names, file names and text fields must be UTF-8; RequireUtf8 in request.cpp).
//
// Input: byte 0 chooses the chunking (the largest chunk and the seed of the sizes),
// the rest is the request body.
//
// With FUZZ_MULTIPART_SAME_PARTS=1 in the environment it also checks that the parts
// do not depend on the chunking (parsing the body in one piece gives the same
// parts), leaving out the two known ways in which this parser version depends on it
// (docs/fuzzing.md); FUZZ_MULTIPART_SAME_PARTS=strict leaves nothing out and so
// reproduces them. Off by default: the test suite checks memory safety and the
// server's field checks, not a third-party parser's known behaviour.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "server/request.h"
#include "third_party/httplib_multipart_parser.h"

namespace {

const char kBoundary[] = "----fgFuzzBoundary";

struct Parsed {
  bool accepted = false;  // every chunk parsed and the closing boundary seen
  httplib::MultipartFormDataMap files;
  std::vector<const httplib::MultipartFormData*> order;  // the parts as they came
};

// The part sizes a socket might deliver: 1..max bytes, from a small PRNG seeded by
// the selector byte, so an input always parses the same way.
std::vector<size_t> Chunks(uint8_t selector, size_t n) {
  static const size_t kMax[8] = {1, 2, 3, 7, 16, 64, 512, SIZE_MAX};
  const size_t max = kMax[selector & 7];
  uint32_t state = 0x9E3779B9u ^ (uint32_t{selector} * 0x85EBCA6Bu);
  std::vector<size_t> sizes;
  for (size_t done = 0; done < n;) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    size_t len = max == SIZE_MAX ? n - done : 1 + state % max;
    if (len > n - done) len = n - done;
    sizes.push_back(len);
    done += len;
  }
  return sizes;
}

// As httplib::Server::read_content (httplib.h 0.11.4, lines 5350-5378).
Parsed Parse(const char* body, const std::vector<size_t>& chunks) {
  Parsed out;
  httplib::detail::MultipartFormDataParser parser;
  parser.set_boundary(std::string(kBoundary));
  httplib::MultipartFormDataMap::iterator cur;
  int file_count = 0;
  httplib::MultipartContentHeader header = [&](const httplib::MultipartFormData& file) {
    if (file_count++ == CPPHTTPLIB_MULTIPART_FORM_DATA_FILE_MAX_COUNT) return false;
    cur = out.files.emplace(file.name, file);
    out.order.push_back(&cur->second);
    return true;
  };
  httplib::ContentReceiver content = [&](const char* buf, size_t n) {
    FUZZ_CHECK(file_count > 0, "content comes after a part's headers");
    auto& c = cur->second.content;
    if (c.size() + n > c.max_size()) return false;
    c.append(buf, n);
    return true;
  };
  size_t pos = 0;
  for (size_t len : chunks) {
    if (!parser.parse(body + pos, len, content, header)) return out;
    pos += len;
  }
  out.accepted = parser.is_valid();
  return out;
}

// What facegate's server checks in every accepted multipart request.
facegate::Status CheckFields(const httplib::MultipartFormDataMap& files) {
  using facegate::server::RequireUtf8;
  for (const auto& [name, file] : files) {
    auto st = RequireUtf8(name, "a multipart field's name");
    if (!st.ok()) return st;
    st = RequireUtf8(file.filename, "the file name of multipart field \"" + name + "\"");
    if (!st.ok()) return st;
    if (file.filename.empty() && name != "image") {
      st = RequireUtf8(file.content, "multipart field \"" + name + "\"");
      if (!st.ok()) return st;
    }
  }
  return facegate::Status::Ok();
}

// The server keeps the parts only of an accepted body (400 otherwise). `chunked`
// may have parts after those of `whole`: known (docs/fuzzing.md), after the closing
// delimiter a later chunk that starts with CRLF opens a new part, while the
// epilogue in the delimiter's own chunk is dropped.
bool SameParts(const Parsed& chunked, const Parsed& whole, bool strict) {
  if (chunked.accepted != whole.accepted) return false;
  if (!whole.accepted) return true;
  if (chunked.order.size() < whole.order.size()) return false;
  if (strict && chunked.order.size() != whole.order.size()) return false;
  for (size_t k = 0; k < whole.order.size(); ++k) {
    const auto& a = *chunked.order[k];
    const auto& b = *whole.order[k];
    if (a.name != b.name || a.filename != b.filename || a.content_type != b.content_type ||
        a.content != b.content)
      return false;
  }
  return true;
}

// Known (docs/fuzzing.md): while looking for the first delimiter line the parser
// drops all it holds when the line is not complete yet, so a chunk that ends inside
// that line loses the body (is_valid() stays false). Such chunkings are left out of
// the FUZZ_MULTIPART_SAME_PARTS check so that it can find other differences.
bool SplitsFirstDelimiter(const char* body, size_t n, const std::vector<size_t>& chunks) {
  const std::string delimiter = std::string("--") + kBoundary + "\r\n";
  const size_t first = std::string_view(body, n).find(delimiter);
  if (first == std::string_view::npos) return false;
  size_t end = 0;
  for (size_t len : chunks) {
    end += len;
    if (end > first && end < first + delimiter.size()) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const char* body = reinterpret_cast<const char*>(data) + 1;
  const size_t n = size - 1;
  const std::vector<size_t> chunks = Chunks(data[0], n);

  const Parsed parsed = Parse(body, chunks);
  if (parsed.accepted) {
    FUZZ_CHECK(parsed.files.size() <= CPPHTTPLIB_MULTIPART_FORM_DATA_FILE_MAX_COUNT,
               "at most the part limit");
    size_t total = 0;
    for (const auto& [name, file] : parsed.files) total += file.content.size();
    FUZZ_CHECK(total <= n, "parts hold no more than the body");
    (void)CheckFields(parsed.files);
  }

  static const char* mode = std::getenv("FUZZ_MULTIPART_SAME_PARTS");
  static const bool strict = mode != nullptr && std::string_view(mode) == "strict";
  if (mode != nullptr && chunks.size() > 1 && (strict || !SplitsFirstDelimiter(body, n, chunks))) {
    FUZZ_CHECK(SameParts(parsed, Parse(body, {n}), strict), "parts do not depend on the chunking");
  }
  return 0;
}
