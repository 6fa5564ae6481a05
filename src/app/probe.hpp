// --probe (SPEC 11): a health probe answered from the file a running supervisor keeps with
// --status-file. It starts nothing and writes nothing, so a Kubernetes exec probe or a Docker
// HEALTHCHECK can run it as often as it likes.
#pragma once

#include <string>

#include "core/config.hpp"

namespace sup::app {

// 0 if the supervisor that wrote status_file is alive (its PID and start time match) and, for
// kReady, its app is ready (kAlive: it has not given up); else 1, with one line on stderr
// saying why. A missing, unreadable or malformed file is 1.
int run_probe(core::ProbeKind kind, const std::string& status_file);

}  // namespace sup::app
