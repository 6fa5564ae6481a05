// A notify datagram's ancillary data (SCM_CREDENTIALS, SCM_RIGHTS) as recvmsg leaves it in the
// control buffer: walked with the lengths it states, which must never lead outside it.
#include <vector>

#include "core/notify_message.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A heap copy of exactly `size` bytes: aligned for a cmsghdr, as the supervisor's buffer is
  // (operator new aligns to 16), and AddressSanitizer sees any read past its end.
  std::vector<unsigned char> exact(data, data + size);
  const sup::core::NotifyControl out = sup::core::parse_notify_control(exact.data(), size);
  sup::fuzz::check(out.fds.size() <= size / sizeof(int), "no more fds than the buffer holds");
  return 0;
}
