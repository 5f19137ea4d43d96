// Fuzzes facegate::ForEachTsvRow (src/common/tsv.cpp), the reader of the eval
// commands' pair / gallery / label lists, through its std::istream overload (the
// file overload opens the file and calls it). Besides memory errors it checks the
// rows against a naive reference split: one call per line that is neither blank
// (after a trailing CR is dropped) nor a '#' comment, "fuzz line N" with N the
// 1-based line number, the columns exactly the line split at every tab (a trailing
// tab gives an empty last column), and the first non-Ok status from the callback
// (here: a row whose first column is "STOP") ends the reading and is returned.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "check.h"
#include "common/tsv.h"

namespace {

struct Row {
  std::string where;
  std::vector<std::string> columns;
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  // Reference: what the reader should report.
  std::vector<Row> expected;
  bool expect_stop = false;
  std::vector<std::string> lines = Split(text, '\n');
  if (!text.empty() && text.back() == '\n') lines.pop_back();  // no line after the last '\n'
  for (size_t i = 0; i < lines.size() && !expect_stop; ++i) {
    std::string line = lines[i];
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    expected.push_back({"fuzz line " + std::to_string(i + 1), Split(line, '\t')});
    expect_stop = expected.back().columns[0] == "STOP";
  }

  std::vector<Row> got;
  std::istringstream in(text);
  facegate::Status st = facegate::ForEachTsvRow(
      in, "fuzz", [&](const std::string& where, const std::vector<std::string>& columns) {
        got.push_back({where, columns});
        if (!columns.empty() && columns[0] == "STOP") return facegate::Status::InvalidInput("stop");
        return facegate::Status::Ok();
      });

  FUZZ_CHECK(st.ok() != expect_stop, "the callback's status ends the reading");
  if (!st.ok()) FUZZ_CHECK(st.message() == "stop", "the callback's status is returned as is");
  FUZZ_CHECK(got.size() == expected.size(), "one row per record line");
  for (size_t i = 0; i < got.size(); ++i) {
    FUZZ_CHECK(got[i].where == expected[i].where, "where names the line");
    FUZZ_CHECK(got[i].columns == expected[i].columns, "columns split at every tab");
  }
  return 0;
}
