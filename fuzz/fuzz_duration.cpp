// Durations in seconds on the command line ("10", "0.5").
#include "fuzz.hpp"
#include "util/strings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto ms = sup::parse_seconds_ms(sup::fuzz::text(data, size))) {
    sup::fuzz::check(*ms >= 0, "a non-negative duration");
  }
  return 0;
}
