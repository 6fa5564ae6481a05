// /etc/passwd and /etc/group as the static binary reads them for -u and -g: files an image's
// author or a package wrote, read by a root supervisor.
#include <algorithm>
#include <set>
#include <string>

#include "core/user_db.hpp"
#include "fuzz.hpp"

namespace {

using sup::fuzz::check;

bool clean_name(const std::string& name) {
  return !name.empty() && name.find_first_of(":\n") == std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sup::core;
  const std::string_view text = sup::fuzz::text(data, size);
  // The names looked up: the first field of the first line, as a real lookup of an existing
  // user would ask, and one that is surely absent.
  const std::string_view first = text.substr(0, text.find_first_of(":\n"));

  for (std::string_view name : {first, std::string_view("no-such-user")}) {
    if (auto user = find_user(text, name)) {
      check(user->name == name && clean_name(user->name), "the user found has the name asked");
      check(user->uid <= kMaxId && user->gid <= kMaxId, "ids in range");
      auto by_uid = find_user(text, user->uid);
      check(by_uid.has_value() && by_uid->uid == user->uid, "a found uid is found again");
      const std::vector<Id> groups = group_list(text, user->name, user->gid);
      check(!groups.empty() && groups.front() == user->gid, "the primary group comes first");
      check(std::set<Id>(groups.begin(), groups.end()).size() == groups.size(),
            "each group once");
    }
    if (auto group = find_group(text, name)) {
      check(group->name == name && clean_name(group->name), "the group found has the name asked");
      check(group->gid <= kMaxId, "gid in range");
      for (const std::string& member : group->members) {
        check(member.find_first_of(",\n") == std::string::npos, "members are split at ','");
      }
    }
  }
  return 0;
}
