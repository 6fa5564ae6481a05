// --status-file and --probe (SPEC 11): what the supervisor is doing, as one JSON object that a
// health probe (a Kubernetes exec probe, a Docker HEALTHCHECK) reads. Pure: the shell supplies
// its identity and the wall clock, writes the file and reads /proc.
//
// The file, one line:
//   {"supervisor_pid":4700,"supervisor_start_time":81234,"program":"/usr/sbin/nginx",
//    "state":"running","main_pid":4711,"ready":true,"restarts":0,"last_exit":null,
//    "since":1764517200}
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/lifecycle.hpp"
#include "util/result.hpp"

namespace sup::core {

// A probe reads no more of a status file than this: a real one is a few hundred bytes.
inline constexpr std::size_t kMaxStatusBytes = 64 * 1024;

enum class Phase { kStarting, kRunning, kBackoff, kHotRestart, kStopping, kGivenUp };

// "starting", "running", "backoff", "hot-restart", "stopping", "given-up".
const char* phase_name(Phase phase);

// Who wrote a status file. A PID alone may have been recycled by the time a probe reads it;
// with the process's start time (/proc/PID/stat field 22, clock ticks after boot) it may not.
struct SupervisorId {
  int pid = 0;
  std::uint64_t start_time = 0;
  bool operator==(const SupervisorId&) const = default;
};

struct Status {
  SupervisorId supervisor;
  std::string program;
  Phase phase = Phase::kStarting;
  std::optional<int> main_pid;  // nullopt: no main process known (backoff, between heirs)
  bool ready = false;
  int restarts = 0;
  std::optional<int> last_exit;  // the shell's way (code, or 128 + signal); nullopt: none yet
  bool operator==(const Status&) const = default;
};

// The status of a supervisor in this lifecycle state. The phase is "starting" until the
// serving generation is ready, "running" from then on (also while its successor is sought);
// ready is false in every other phase, and during a hot restart until the new generation is
// ready: the supervisor tells systemd RELOADING=1 then, too.
Status derive_status(const SupervisorId& self, const Settings& settings, const Machine& machine);

// The file's text: one JSON object and a newline. since: Unix seconds of the last change.
std::string format_status(const Status& status, std::int64_t since);

struct StatusFile {
  Status status;
  std::int64_t since = 0;
  bool operator==(const StatusFile&) const = default;
};

// Reads a status file, which anyone may have written: anything but a JSON object with
// supervisor_pid, supervisor_start_time, state and ready of the right types is an Error whose
// message says what is wrong. Unknown keys are ignored; the other known keys are optional.
Result<StatusFile> parse_status(std::string_view text);

struct ProbeVerdict {
  int exit_code = 0;    // 0: healthy, 1: not
  std::string message;  // why not, for "supervisor: <message>"; empty when healthy
};

// What --probe answers for a file's status. live_start_time: the start time of the live
// process that now has the file's supervisor_pid, nullopt if there is none.
ProbeVerdict judge_probe(ProbeKind kind, const Status& status,
                         std::optional<std::uint64_t> live_start_time);

}  // namespace sup::core
