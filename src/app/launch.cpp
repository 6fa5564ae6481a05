#include "app/launch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "util/strings.hpp"

namespace sup::app {
namespace {

Result<std::string> check_executable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_error(path);
  if (S_ISDIR(st.st_mode)) return errno_error(path, EISDIR);
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
    return errno_error(path, EACCES);
  }
  return path;
}

}  // namespace

Result<std::string> resolve_program(const std::string& program, const char* path_env) {
  if (program.find('/') != std::string::npos) {
    std::string path = program;
    if (path.front() != '/') {
      char cwd[4096];
      if (::getcwd(cwd, sizeof cwd) == nullptr) return errno_error("getcwd");
      path = std::string(cwd) + "/" + path;
    }
    return check_executable(path);
  }
  const std::string search = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::optional<Error> first_denied;
  for (auto dir : split(search, ':')) {
    const std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + program;
    auto found = check_executable(candidate);
    if (found) return found;
    // Like execvp: keep looking after EACCES, but report it if nothing better turns up.
    if (found.error().code != ENOENT && found.error().code != ENOTDIR && !first_denied) {
      first_denied = std::move(found).error();
    }
  }
  if (first_denied) return std::move(*first_denied);
  return Error{ENOENT, program + ": not found in PATH"};
}

Result<UniqueFd> daemonize() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("pipe2");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  const pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork");
  if (pid == 0) {
    read_end.reset();
    if (::setsid() < 0) return errno_error("setsid");
    return write_end;
  }
  write_end.reset();
  char byte = 0;
  ssize_t n;
  do {
    n = ::read(read_end.get(), &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n == 1) _exit(0);
  // The supervisor ended before the app started; pass its status on.
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  _exit(125);
}

void report_started(UniqueFd& ready_fd) {
  if (!ready_fd) return;
  [[maybe_unused]] auto n = ::write(ready_fd.get(), "1", 1);
  ready_fd.reset();
}

}  // namespace sup::app
