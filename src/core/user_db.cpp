#include "core/user_db.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace sup::core {
namespace {

// The entry lines of a file, with comments, blank and NIS compat lines left out.
template <class Fn>
void for_each_entry_line(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    line.remove_prefix(first);
    if (line.front() == '#' || line.front() == '+' || line.front() == '-') continue;
    if (fn(line)) return;
  }
}

std::optional<Id> parse_id(std::string_view text) {
  auto id = parse_int(text, 0, kMaxId);
  if (!id) return std::nullopt;
  return static_cast<Id>(*id);
}

// The first entry named `name` that parses. Only lines of that name are parsed: a big file costs
// no allocation per line.
template <class Parse>
auto find_named(std::string_view text, std::string_view name, Parse&& parse)
    -> decltype(parse(text)) {
  decltype(parse(text)) found;
  for_each_entry_line(text, [&](std::string_view line) {
    if (line.substr(0, line.find(':')) != name) return false;
    found = parse(line);
    return found.has_value();
  });
  return found;
}

}  // namespace

std::optional<PasswdEntry> parse_passwd_line(std::string_view line) {
  const auto fields = split(line, ':');
  if (fields.size() < 4 || fields[0].empty()) return std::nullopt;
  const auto uid = parse_id(fields[2]);
  const auto gid = parse_id(fields[3]);
  if (!uid || !gid) return std::nullopt;
  PasswdEntry entry{std::string(fields[0]), *uid, *gid, {}, {}};
  if (fields.size() > 5) entry.home = fields[5];
  if (fields.size() > 6) entry.shell = fields[6];
  return entry;
}

std::optional<GroupEntry> parse_group_line(std::string_view line) {
  const auto fields = split(line, ':');
  if (fields.size() < 3 || fields[0].empty()) return std::nullopt;
  const auto gid = parse_id(fields[2]);
  if (!gid) return std::nullopt;
  GroupEntry entry{std::string(fields[0]), *gid, {}};
  if (fields.size() > 3) {
    for (std::string_view member : split(fields[3], ',')) {
      member = trim(member);
      if (!member.empty()) entry.members.emplace_back(member);
    }
  }
  return entry;
}

std::optional<PasswdEntry> find_user(std::string_view passwd_text, std::string_view name) {
  return find_named(passwd_text, name, parse_passwd_line);
}

std::optional<PasswdEntry> find_user(std::string_view passwd_text, Id uid) {
  std::optional<PasswdEntry> found;
  for_each_entry_line(passwd_text, [&](std::string_view line) {
    auto entry = parse_passwd_line(line);
    if (entry && entry->uid == uid) found = std::move(entry);
    return found.has_value();
  });
  return found;
}

std::optional<GroupEntry> find_group(std::string_view group_text, std::string_view name) {
  return find_named(group_text, name, parse_group_line);
}

std::vector<Id> group_list(std::string_view group_text, std::string_view user, Id primary) {
  std::vector<Id> groups{primary};
  for_each_entry_line(group_text, [&](std::string_view line) {
    auto entry = parse_group_line(line);
    if (entry && std::find(groups.begin(), groups.end(), entry->gid) == groups.end() &&
        std::find(entry->members.begin(), entry->members.end(), user) != entry->members.end()) {
      groups.push_back(entry->gid);
    }
    return false;
  });
  return groups;
}

}  // namespace sup::core
