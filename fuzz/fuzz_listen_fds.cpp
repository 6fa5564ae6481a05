// LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES (socket activation): NUL-separated in the input.
#include <array>

#include "core/notify_message.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = sup::fuzz::text(data, size);
  std::array<std::optional<std::string_view>, 3> vars;
  std::size_t at = 0;
  for (auto& v : vars) {
    if (at > in.size()) break;
    const auto nul = in.find('\0', at);
    v = in.substr(at, nul == std::string_view::npos ? std::string_view::npos : nul - at);
    at = nul == std::string_view::npos ? in.size() + 1 : nul + 1;
  }
  auto env = sup::core::parse_listen_fds_env(vars[0], vars[1], vars[2], 4242);
  if (env) {
    sup::fuzz::check(env->count > 0 && env->count <= sup::core::kMaxListenFds, "a sane count");
    sup::fuzz::check(env->names.size() == static_cast<std::size_t>(env->count), "a name per fd");
  }
  return 0;
}
