// --listen addresses (SPEC 10).
#include "core/listen_address.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto spec = sup::core::parse_listen(sup::fuzz::text(data, size));
  if (!spec) return 0;
  sup::fuzz::check(spec->port >= 0 && spec->port <= 65535, "a port in range");
  sup::fuzz::check(sup::core::valid_listen_name(spec->name), "a valid name");
  if (spec->kind == sup::core::ListenKind::kUnixPath) {
    sup::fuzz::check(spec->path.size() <= sup::core::kMaxUnixPathLength, "a path that fits");
  }
  return 0;
}
