#include "store/fs_util.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <cstring>

namespace facegate::store {

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status MakeDirs(const std::string& dir, unsigned mode) {
  if (dir.empty() || dir == "/" || dir == ".") return Status::Ok();
  struct stat st {};
  if (stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return Status::Internal("'" + dir + "' exists but is not a directory: move it away");
  }
  FG_RETURN_IF_ERROR(MakeDirs(ParentDir(dir), mode));
  if (mkdir(dir.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
    return Status::Internal("cannot create directory '" + dir + "': " + std::strerror(errno) +
                            " (check the permissions of its parent)");
  }
  return Status::Ok();
}

}  // namespace facegate::store
