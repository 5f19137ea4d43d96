// Reads the tab-separated lists the eval commands take (pairs, galleries, labelled
// photos): one record per line, '#' comments and blank lines skipped, CR-LF accepted.
#pragma once

#include <facegate/status.h>

#include <functional>
#include <istream>
#include <string>
#include <vector>

namespace facegate {

// Calls `row(where, columns)` for each record of `file`; `where` is "FILE line N" for
// the caller's error message. NotFound names the file when it cannot be opened; the
// first non-Ok status from `row` stops the reading and is returned as is.
Status ForEachTsvRow(const std::string& file, const std::string& what,
                     const std::function<Status(const std::string& where,
                                                const std::vector<std::string>& columns)>& row);

// The same over an open stream; `where` is "NAME line N". The file version calls it;
// fuzz/fuzz_tsv.cpp fuzzes it.
Status ForEachTsvRow(std::istream& in, const std::string& name,
                     const std::function<Status(const std::string& where,
                                                const std::vector<std::string>& columns)>& row);

}  // namespace facegate
