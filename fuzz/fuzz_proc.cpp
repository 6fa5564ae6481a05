// /proc text the app can shape (its comm is in /proc/PID/stat; cgroup paths and mount points
// it may name): every parser on the same input.
#include "core/proc_parse.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = sup::fuzz::text(data, size);
  if (auto st = sup::core::parse_proc_stat(in)) {
    sup::fuzz::check(st->pid > 0, "a positive pid");
  }
  for (const auto& e : sup::core::parse_proc_cgroup(in)) {
    sup::fuzz::check(e.hierarchy >= 0, "a hierarchy id");
  }
  for (const std::string_view type : {"cgroup2", "cgroup"}) {
    for (const auto& m : sup::core::parse_mountinfo(in, type)) {
      sup::fuzz::check(m.fs_type == type, "only the type asked for");
      sup::fuzz::check(m.mount_point.size() <= in.size(), "unescaping never grows");
    }
  }
  sup::fuzz::check(sup::core::strip_deleted(in).size() <= in.size(), "strip_deleted shrinks");
  return 0;
}
