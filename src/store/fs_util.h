// Small filesystem helpers for the store's files (database, master key).
#pragma once

#include <facegate/status.h>

#include <string>

namespace facegate::store {

// Creates `dir` and any missing parents; directories it creates get `mode`
// (existing ones are left as they are). kInternal names the path and errno.
Status MakeDirs(const std::string& dir, unsigned mode);

// Writes `data` to `path` as a file only its owner may read (mode 0600 from the moment it
// exists, whatever the umask; an existing file is truncated and set to 0600; a symlink is
// refused). For everything that holds personal data: exports, reports, backups, packages.
Status WritePrivateFile(const std::string& path, const std::string& data);

// The directory part of `path` ("" when it has none).
std::string ParentDir(const std::string& path);

}  // namespace facegate::store
