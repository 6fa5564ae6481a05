// A --status-file (SPEC 11): read by --probe, possibly as root, from a path anyone may write.
#include "core/status.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto file = sup::core::parse_status(sup::fuzz::text(data, size));
  if (!file) return 0;
  // What was read is written again as it was, but for bytes of the program that are not UTF-8.
  auto again = sup::core::parse_status(sup::core::format_status(file->status, file->since));
  sup::fuzz::check(again.has_value(), "a status written from a parsed one parses");
  sup::core::Status expected = file->status;
  expected.program = again->status.program;
  sup::fuzz::check(again->status == expected && again->since == file->since,
                   "a parsed status survives being written and read again");
  return 0;
}
