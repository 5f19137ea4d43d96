#include "store/fs_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace facegate::store {

Status WritePrivateFile(const std::string& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return Status::Internal("cannot write " + path + ": " + std::strerror(errno) +
                            " (check the directory, its permissions and free space)");
  Status st = Status::Ok();
  if (::fchmod(fd, 0600) != 0) st = Status::Internal("cannot make " + path + " private: " + std::strerror(errno));
  size_t done = 0;
  while (st.ok() && done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) st = Status::Internal("cannot write " + path + ": " + std::strerror(errno) + " (check free space)");
    else done += static_cast<size_t>(n);
  }
  if (st.ok() && ::fsync(fd) != 0) st = Status::Internal("cannot write " + path + ": " + std::strerror(errno));
  if (::close(fd) != 0 && st.ok()) st = Status::Internal("cannot write " + path + ": " + std::strerror(errno));
  return st;
}

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
