// --status-file (SPEC 11): rewritten whenever what it says changes, which only a lifecycle
// step can do, so never periodically; removed when the supervisor exits.
#include <unistd.h>

#include <ctime>
#include <string>

#include "app/supervisor.hpp"
#include "os/file.hpp"
#include "os/proc.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace sup::app {

Result<void> Supervisor::set_up_status_file() {
  const std::string& path = settings_.cfg.status_file;
  if (path.empty()) return {};
  auto stat = os::read_stat(::getpid());
  if (!stat) return logic_error("status file " + path + ": cannot read /proc/self/stat");
  self_ = {::getpid(), stat->start_time};
  // Two supervisors taking turns at one file would make every probe answer for the wrong one;
  // a file left by one that is gone (its pid dead or reused) is simply replaced.
  // Only a status file may be replaced: a mistyped path must not destroy what is there.
  auto existing = os::read_replaceable(path, core::kMaxStatusBytes, "status file " + path);
  if (!existing) return std::move(existing).error();
  if (*existing && !trim(**existing).empty()) {
    auto file = core::parse_status(**existing);
    if (!file) return logic_error("status file " + path + ": exists and is not a status file");
    const core::SupervisorId other = file->status.supervisor;
    if (other.pid != self_.pid && os::live_start_time(other.pid) == other.start_time) {
      return logic_error("status file " + path + ": already in use by running supervisor pid " +
                         std::to_string(other.pid));
    }
  }
  return write_status(core::derive_status(self_, settings_, machine_));
}

Result<void> Supervisor::write_status(core::Status status) {
  const std::string& path = settings_.cfg.status_file;
  status_ = std::move(status);
  return os::replace_file(path, core::format_status(*status_, std::time(nullptr)), 0644,
                          "status file " + path);
}

void Supervisor::update_status_file() {
  // Done: the destructor removes the file.
  if (!status_ || std::holds_alternative<core::state::Done>(machine_.state)) return;
  core::Status status = core::derive_status(self_, settings_, machine_);
  if (status == *status_) return;
  if (auto r = write_status(std::move(status)); !r) {
    ::unlink(settings_.cfg.status_file.c_str());
    log::error(r.error().message + " (removed: the next change writes it again)");
  }
}

void Supervisor::remove_status_file() {
  if (!status_) return;
  const std::string& path = settings_.cfg.status_file;
  // Only if it is still ours: another supervisor may have been given the path since.
  auto text = os::read_regular_file(path, core::kMaxStatusBytes);
  if (!text) return;
  auto file = core::parse_status(*text);
  if (file && file->status.supervisor == self_) ::unlink(path.c_str());
}

}  // namespace sup::app
