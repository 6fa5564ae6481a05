#include "os/mount_table.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "os/cgroup_backends.hpp"

// Linux 6.8; glibc 2.36's headers predate them. The numbers are the same on every architecture
// (the common table, as for every syscall since 5.x).
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif

namespace sup::os {
namespace {

// include/uapi/linux/mount.h, as of 6.8: the first version of each, which later kernels accept.
struct MntIdReq {
  std::uint32_t size;
  std::uint32_t spare;
  std::uint64_t mnt_id;
  std::uint64_t param;
};
static_assert(sizeof(MntIdReq) == 24);  // MNT_ID_REQ_SIZE_VER0

struct StatMount {
  std::uint32_t size;
  std::uint32_t spare1;
  std::uint64_t mask;
  std::uint32_t sb_dev_major;
  std::uint32_t sb_dev_minor;
  std::uint64_t sb_magic;
  std::uint32_t sb_flags;
  std::uint32_t fs_type;
  std::uint64_t mnt_id;
  std::uint64_t mnt_parent_id;
  std::uint32_t mnt_id_old;
  std::uint32_t mnt_parent_id_old;
  std::uint64_t mnt_attr;
  std::uint64_t mnt_propagation;
  std::uint64_t mnt_peer_group;
  std::uint64_t mnt_master;
  std::uint64_t propagate_from;
  std::uint32_t mnt_root;   // offset into str[]
  std::uint32_t mnt_point;  // offset into str[]
  std::uint64_t spare2[50];
};
static_assert(offsetof(StatMount, sb_magic) == 24);
static_assert(offsetof(StatMount, mnt_root) == 104);
static_assert(sizeof(StatMount) == 512);  // the strings follow

constexpr std::uint64_t kStatMountSbBasic = 0x1;
constexpr std::uint64_t kStatMountMntRoot = 0x8;
constexpr std::uint64_t kStatMountMntPoint = 0x10;
constexpr std::uint64_t kListMountRoot = ~std::uint64_t{0};  // LSMT_ROOT: the whole namespace

// Room for the fixed part and both paths, small enough not to grow the stack by a page of its
// own (each new page is a fault at start-up). Longer paths (EOVERFLOW) send us to mountinfo.
struct StatMountBuffer {
  StatMount head;
  std::array<char, 1024> strings;
};

// 0, or -1 with errno set: EOPNOTSUPP where the kernel filled in less than asked for.
long statmount(std::uint64_t id, std::uint64_t mask, StatMountBuffer& buf) {
  MntIdReq req{sizeof(MntIdReq), 0, id, mask};
  const long r = ::syscall(SYS_statmount, &req, &buf, sizeof buf, 0);
  if (r == 0 && (buf.head.mask & mask) != mask) {
    errno = EOPNOTSUPP;
    return -1;
  }
  return r;
}

std::string string_at(const StatMountBuffer& buf, std::uint32_t offset) {
  if (offset >= buf.strings.size()) return {};
  const char* s = buf.strings.data() + offset;
  return std::string(s, ::strnlen(s, buf.strings.size() - offset));
}

}  // namespace

Result<std::vector<core::MountEntry>> cgroup2_mounts_listed() {
  std::vector<core::MountEntry> out;
  StatMountBuffer buf;
  std::array<std::uint64_t, 64> ids{};
  std::uint64_t after = 0;  // listmount's param: the ids it gave last time end here
  for (;;) {
    MntIdReq req{sizeof(MntIdReq), 0, kListMountRoot, after};
    const long n = ::syscall(SYS_listmount, &req, ids.data(), ids.size(), 0);
    if (n < 0) return errno_error("listmount");
    for (long i = 0; i < n; ++i) {
      // The type from the superblock first (no path is made for it); paths only for cgroup2.
      if (statmount(ids[i], kStatMountSbBasic, buf) != 0) {
        if (errno == ENOENT) continue;  // unmounted since the listing
        return errno_error("statmount");
      }
      if (buf.head.sb_magic != CGROUP2_SUPER_MAGIC) continue;
      if (statmount(ids[i], kStatMountMntRoot | kStatMountMntPoint, buf) != 0) {
        if (errno == ENOENT) continue;
        return errno_error("statmount");
      }
      core::MountEntry m;
      m.root = string_at(buf, buf.head.mnt_root);
      m.mount_point = string_at(buf, buf.head.mnt_point);
      m.fs_type = "cgroup2";
      out.push_back(std::move(m));
    }
    if (static_cast<std::size_t>(n) < ids.size()) return out;
    after = ids.back();
  }
}

Result<std::vector<core::MountEntry>> cgroup2_mounts_from_mountinfo() {
  auto text = cgroup_detail::read_text_at(AT_FDCWD, "/proc/self/mountinfo");
  if (!text) return std::move(text).error();
  return core::parse_mountinfo(*text, "cgroup2");
}

Result<std::vector<core::MountEntry>> cgroup2_mounts() {
  if (auto listed = cgroup2_mounts_listed()) return listed;
  return cgroup2_mounts_from_mountinfo();
}

}  // namespace sup::os
