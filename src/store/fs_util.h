// Small filesystem helpers for the store's files (database, master key).
#pragma once

#include <facegate/status.h>

#include <string>

namespace facegate::store {

// Creates `dir` and any missing parents; directories it creates get `mode`
// (existing ones are left as they are). kInternal names the path and errno.
Status MakeDirs(const std::string& dir, unsigned mode);

// The directory part of `path` ("" when it has none).
std::string ParentDir(const std::string& path);

}  // namespace facegate::store
