// The command line (SPEC 2): the input is argv without argv[0], NUL-separated.
#include <string>
#include <vector>

#include "core/config.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = sup::fuzz::text(data, size);
  std::vector<std::string_view> args;
  std::size_t at = 0;
  while (at <= in.size() && args.size() < 64) {
    const auto nul = in.find('\0', at);
    args.push_back(in.substr(at, nul == std::string_view::npos ? std::string_view::npos : nul - at));
    if (nul == std::string_view::npos) break;
    at = nul + 1;
  }
  auto cfg = sup::core::parse_cli(args);
  if (!cfg) {
    sup::fuzz::check(!cfg.error().message.empty(), "an error names what is wrong");
    return 0;
  }
  sup::fuzz::check(cfg->stop_timeout_ms >= 0, "a non-negative stop timeout");
  return 0;
}
