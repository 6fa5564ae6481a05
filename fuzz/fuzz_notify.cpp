// sd_notify datagrams from the app (SPEC 7): parsed, then formatted upward, then parsed again.
#include "core/notify_message.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto msg = sup::core::parse_notify(sup::fuzz::text(data, size));
  if (!msg) return 0;
  const std::string up = sup::core::format_notify(*msg);
  sup::fuzz::check(up.find('\0') == std::string::npos, "no NUL goes up to systemd");
  if (msg->status) {
    const std::string s = sup::core::sanitize_status(*msg->status);
    sup::fuzz::check(s.size() <= 1024 && s.find('\n') == std::string::npos, "one STATUS line");
  }
  if (!up.empty()) {
    auto again = sup::core::parse_notify(up);
    sup::fuzz::check(again.has_value(), "what goes up parses");
  }
  return 0;
}
