// A pid file (-P): written by the app, read by a root supervisor.
#include "core/proc_parse.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto pid = sup::core::parse_pidfile(sup::fuzz::text(data, size))) {
    sup::fuzz::check(*pid >= 1 && *pid <= (1 << 22), "a pid in the kernel's range");
  }
  return 0;
}
