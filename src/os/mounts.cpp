#include "os/mounts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace sup::os {
namespace {

// From <linux/stat.h> and <linux/mount.h> of Linux 6.8; Debian 12's kernel headers (6.1)
// predate them. The layout is the kernel's ABI.
constexpr unsigned kStatxMntIdUnique = 0x4000;
constexpr long kSysStatmount = 457;
constexpr std::uint64_t kStatmountMntRoot = 0x8;
constexpr std::uint64_t kStatmountMntPoint = 0x10;
constexpr std::uint64_t kStatmountFsType = 0x20;

struct MntIdReq {
  std::uint32_t size;
  std::uint32_t spare;
  std::uint64_t mnt_id;
  std::uint64_t param;
};
constexpr std::uint32_t kMntIdReqSizeVer0 = 24;
static_assert(sizeof(MntIdReq) == kMntIdReqSizeVer0);

struct Statmount {
  std::uint32_t size;
  std::uint32_t mnt_opts;
  std::uint64_t mask;
  std::uint32_t sb_dev_major;
  std::uint32_t sb_dev_minor;
  std::uint64_t sb_magic;
  std::uint32_t sb_flags;
  std::uint32_t fs_type;  // offsets into str
  std::uint64_t mnt_id;
  std::uint64_t mnt_parent_id;
  std::uint32_t mnt_id_old;
  std::uint32_t mnt_parent_id_old;
  std::uint64_t mnt_attr;
  std::uint64_t mnt_propagation;
  std::uint64_t mnt_peer_group;
  std::uint64_t mnt_master;
  std::uint64_t propagate_from;
  std::uint32_t mnt_root;
  std::uint32_t mnt_point;
  std::uint64_t spare2[50];
  // The strings follow, at the offsets above.
};
static_assert(sizeof(Statmount) == 512);

}  // namespace

Result<core::MountEntry> mount_at(const std::string& path) {
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), 0, kStatxMntIdUnique, &stx) != 0) {
    return errno_error("statx " + path);
  }
  // Before 6.8 the kernel fills in only the old, reusable mount id (or none).
  if ((stx.stx_mask & kStatxMntIdUnique) == 0) return errno_error("statx " + path, ENOSYS);

  // Three short strings: a path of our own, the root of a cgroup and a type name. Small, so
  // that no fresh stack page is faulted in at every start; a longer root fails (EOVERFLOW) and
  // the caller reads mountinfo instead.
  alignas(Statmount) char buf[sizeof(Statmount) + 1536];
  auto* sm = reinterpret_cast<Statmount*>(buf);
  MntIdReq req{kMntIdReqSizeVer0, 0, stx.stx_mnt_id,
               kStatmountMntRoot | kStatmountMntPoint | kStatmountFsType};
  if (::syscall(kSysStatmount, &req, sm, sizeof buf, 0) != 0) {
    return errno_error("statmount " + path);
  }
  buf[sizeof buf - 1] = '\0';
  const std::uint64_t wanted = kStatmountMntRoot | kStatmountMntPoint | kStatmountFsType;
  if ((sm->mask & wanted) != wanted) return errno_error("statmount " + path, ENOSYS);
  const char* strings = buf + sizeof(Statmount);
  const std::size_t room = sizeof buf - sizeof(Statmount);
  if (sm->mnt_root >= room || sm->mnt_point >= room || sm->fs_type >= room) {
    return errno_error("statmount " + path, EOVERFLOW);
  }
  core::MountEntry m;
  m.root = strings + sm->mnt_root;
  m.mount_point = strings + sm->mnt_point;
  m.fs_type = strings + sm->fs_type;
  // statx follows path to whatever mount holds it; only its own mount point is a match.
  if (m.mount_point != path) return errno_error(path + ": not a mount point", EINVAL);
  return m;
}

}  // namespace sup::os
