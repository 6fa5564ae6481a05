#include "os/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "util/unique_fd.hpp"

namespace sup::os {

bool for_each_entry(int dir_fd,
                    const std::function<void(const char* name, unsigned char type)>& visit) {
  alignas(dirent64) char buf[4096];
  for (;;) {
    const ssize_t n = ::getdents64(dir_fd, buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) return false;
    for (ssize_t at = 0; at < n;) {
      const auto* e = reinterpret_cast<const dirent64*>(buf + at);
      at += e->d_reclen;
      const std::string_view name = e->d_name;
      if (name != "." && name != "..") visit(e->d_name, e->d_type);
    }
  }
}

Result<void> replace_file(const std::string& path, std::string_view text, mode_t mode,
                          const std::string& what) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) return errno_error(what);
  const ssize_t n = ::write(fd.get(), text.data(), text.size());
  if (n != static_cast<ssize_t>(text.size())) {
    // A short write to a regular file means the disk is full; write(2) sets no errno then.
    auto error = errno_error(what, n < 0 ? errno : ENOSPC);
    ::unlink(tmp.c_str());
    return error;
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto error = errno_error(what);
    ::unlink(tmp.c_str());
    return error;
  }
  return {};
}

namespace {

// Reads the regular file open as fd, of at most max bytes.
Result<std::string> read_bounded(int fd, std::size_t max, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_error(what);
  if (!S_ISREG(st.st_mode)) return logic_error(what + ": not a regular file");
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(what);
    if (n == 0) return text;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max) {
      return logic_error(what + ": larger than " + std::to_string(max) + " bytes");
    }
  }
}

}  // namespace

Result<std::string> read_regular_file(const std::string& path, std::size_t max) {
  // O_NONBLOCK: opening a FIFO with no writer would block.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) return errno_error("cannot read " + path);
  return read_bounded(fd.get(), max, "cannot read " + path);
}

Result<std::optional<std::string>> read_replaceable(const std::string& path, std::size_t max,
                                                    const std::string& what) {
  // lstat before any open: opening a device can act on it (a tape rewinds on close).
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return errno_error(what);
  }
  if (S_ISLNK(st.st_mode)) return std::optional<std::string>();
  if (!S_ISREG(st.st_mode)) return logic_error(what + ": exists and is not a regular file");
  if (st.st_size > static_cast<off_t>(max)) {
    return logic_error(what + ": exists and is larger than " + std::to_string(max) + " bytes");
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW));
  if (!fd) return errno_error(what);
  auto text = read_bounded(fd.get(), max, what);
  if (!text) return std::move(text).error();
  return std::optional<std::string>(std::move(*text));
}

}  // namespace sup::os
