// Signal names and numbers (-s, --stop-signal, …), and the names printed for them.
#include <string>

#include "core/signal_names.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto sig = sup::core::parse_signal(sup::fuzz::text(data, size));
  if (!sig) return 0;
  sup::fuzz::check(*sig >= 1 && *sig <= 64, "a signal number");
  // 32 and 33 (NPTL's) have no name: "signal 32", whose number parses back.
  const std::string name = sup::core::signal_name(*sig);
  const std::string_view printed =
      name.rfind("signal ", 0) == 0 ? std::string_view(name).substr(7) : std::string_view(name);
  auto again = sup::core::parse_signal(printed);
  sup::fuzz::check(again && *again == *sig, "a signal's name parses back to it");
  return 0;
}
