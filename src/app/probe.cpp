#include "app/probe.hpp"

#include "core/status.hpp"
#include "os/file.hpp"
#include "os/proc.hpp"
#include "util/log.hpp"

namespace sup::app {

int run_probe(core::ProbeKind kind, const std::string& status_file) {
  constexpr int kUnhealthy = 1;
  auto text = os::read_regular_file(status_file, core::kMaxStatusBytes);
  if (!text) {
    log::fatal(text.error().message);
    return kUnhealthy;
  }
  auto file = core::parse_status(*text);
  if (!file) {
    log::fatal(status_file + ": " + file.error().message);
    return kUnhealthy;
  }
  // A zombie is a supervisor that has already exited.
  const core::ProbeVerdict verdict =
      core::judge_probe(kind, file->status, os::live_start_time(file->status.supervisor.pid));
  if (verdict.exit_code != 0) log::fatal(verdict.message);
  return verdict.exit_code;
}

}  // namespace sup::app
