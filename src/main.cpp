// argv → Config → Supervisor::run() → exit status. The only place that decides to exit.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "app/launch.hpp"
#include "app/probe.hpp"
#include "app/supervisor.hpp"
#include "core/config.hpp"
#include "core/exit_status.hpp"
#include "os/pidfile.hpp"
#include "os/privileges.hpp"
#include "os/signals.hpp"
#include "os/user_db.hpp"
#include "util/log.hpp"

namespace {

int run_main(int argc, char** argv) {
  using namespace sup;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = core::parse_cli(args);
  if (!parsed) {
    log::fatal(parsed.error().message);
    return core::kExitFailure;
  }
  core::Config cfg = std::move(*parsed);
  if (cfg.action == core::Config::Action::kHelp) {
    const std::string text = core::usage_text();
    return ::write(STDOUT_FILENO, text.data(), text.size()) < 0 ? core::kExitFailure : 0;
  }
  if (cfg.action == core::Config::Action::kVersion) {
    const std::string text = "supervisor " SUPERVISOR_VERSION "\n";
    return ::write(STDOUT_FILENO, text.data(), text.size()) < 0 ? core::kExitFailure : 0;
  }
  log::set_verbosity(cfg.quiet >= 2 ? -1 : cfg.quiet == 1 ? 0 : 1 + cfg.verbose);
  if (cfg.action == core::Config::Action::kProbe) return app::run_probe(cfg.probe, cfg.status_file);
  os::ignore_sigpipe();

  auto program = app::resolve_program(cfg.program, std::getenv("PATH"));
  if (!program) {
    const int code = program.error().code;
    log::fatal(program.error().message);
    return code == ENOENT || code == ENOTDIR ? core::kExitNotFound : core::kExitNotExecutable;
  }
#ifdef SUPERVISOR_STATIC
  // Static glibc cannot load NSS modules: the files themselves, as gosu and su-exec read them.
  const os::FilesUserDb user_db;
#else
  const os::NssUserDb user_db;
#endif
  auto creds = os::resolve_credentials(cfg.user, cfg.group, user_db);
  if (!creds) {
    log::fatal(creds.error().message);
    return core::kExitFailure;
  }
  if (!cfg.pidfile.empty()) {
    if (auto r = os::check_pidfile_free(cfg.pidfile); !r) {
      log::fatal(r.error().message);
      return core::kExitFailure;
    }
  }

  // A bare name found in PATH is passed on as its resolved path: daemons that re-execute
  // themselves for an upgrade (nginx) run argv[0] again without searching PATH.
  if (cfg.program.find('/') == std::string::npos) cfg.args[0] = *program;

  UniqueFd ready_fd;
  if (cfg.fork) {
    auto fd = app::daemonize();  // only the background supervisor returns
    if (!fd) {
      log::fatal(fd.error().message);
      return core::kExitFailure;
    }
    ready_fd = std::move(*fd);
  }
  app::Supervisor supervisor(std::move(cfg), std::move(*program), std::move(*creds));
  return supervisor.run(std::move(ready_fd));
}

}  // namespace

// std::terminate's default handler, replaced: libstdc++'s (vterminate.cc) demangles the
// exception's type name and prints it with stdio, which links in the demangler, about 75 kB
// of code, a tenth of the static binary. terminate is reached only by a bug (an exception
// through a noexcept function; main() catches the rest): one line, then abort() as before.
namespace __gnu_cxx {
void __verbose_terminate_handler() {
  constexpr std::string_view kMessage = "supervisor: internal error: terminate called\n";
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, kMessage.data(), kMessage.size());
  std::abort();
}
}  // namespace __gnu_cxx

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    sup::log::fatal(std::string("internal error: ") + e.what());
    return sup::core::kExitFailure;
  }
}
