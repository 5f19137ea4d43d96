// The eval commands' list reader: comments, blank lines and CR-LF are skipped,
// empty columns are kept, errors name the file and line, the caller's error stops it.
#include "common/tsv.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace facegate {
namespace {

std::string Write(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("facegate-tsv-" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

TEST(Tsv, RowsSkipCommentsBlankLinesAndCarriageReturns) {
  const std::string f = Write("rows", "# header\r\na\tb\r\n\n\tx\ny\t\n");
  std::vector<std::pair<std::string, std::vector<std::string>>> rows;
  Status st = ForEachTsvRow(f, "list", [&](const std::string& where, const std::vector<std::string>& c) {
    rows.push_back({where, c});
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].first, f + " line 2");
  EXPECT_EQ(rows[0].second, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(rows[1].first, f + " line 4");
  EXPECT_EQ(rows[1].second, (std::vector<std::string>{"", "x"}));
  EXPECT_EQ(rows[2].second, (std::vector<std::string>{"y", ""}));
  std::filesystem::remove(f);
}

TEST(Tsv, MissingFileIsNotFoundNamingItAndTheRowErrorStopsTheReading) {
  Status missing = ForEachTsvRow("/nonexistent/pairs.tsv", "pairs file",
                                 [](const std::string&, const std::vector<std::string>&) {
                                   return Status::Ok();
                                 });
  EXPECT_EQ(missing.kind(), ErrorKind::kNotFound);
  EXPECT_NE(missing.message().find("cannot open pairs file /nonexistent/pairs.tsv"), std::string::npos);

  const std::string f = Write("stop", "a\n!\nb\n");
  int seen = 0;
  Status st = ForEachTsvRow(f, "list", [&](const std::string& where, const std::vector<std::string>& c) {
    ++seen;
    return c[0] == "!" ? Status::InvalidInput(where + ": bad") : Status::Ok();
  });
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(st.kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(st.message(), f + " line 2: bad");
  std::filesystem::remove(f);
}

}  // namespace
}  // namespace facegate
