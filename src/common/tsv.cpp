#include "common/tsv.h"

#include <fstream>
#include <sstream>

namespace facegate {

Status ForEachTsvRow(const std::string& file, const std::string& what,
                     const std::function<Status(const std::string& where,
                                                const std::vector<std::string>& columns)>& row) {
  std::ifstream in(file);
  if (!in) return Status::NotFound("cannot open " + what + " " + file + ": check the path");
  return ForEachTsvRow(in, file, row);
}

Status ForEachTsvRow(std::istream& in, const std::string& name,
                     const std::function<Status(const std::string& where,
                                                const std::vector<std::string>& columns)>& row) {
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, '\t');) cols.push_back(c);
    if (line.back() == '\t') cols.emplace_back();  // a trailing empty column counts
    Status st = row(name + " line " + std::to_string(n), cols);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace facegate
