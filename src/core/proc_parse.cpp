#include "core/proc_parse.hpp"

#include <algorithm>
#include <array>

#include "util/strings.hpp"

namespace sup::core {

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  ProcStat st;
  const auto open = text.find(" (");
  const auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  auto pid = parse_int(text.substr(0, open), 1, 1 << 30);
  if (!pid) return std::nullopt;
  st.pid = static_cast<int>(*pid);
  // Fields after comm, numbered from 3 (state) as in proc(5).
  std::string_view rest = text.substr(close + 1);
  std::vector<std::string_view> fields;
  for (auto f : split(trim(rest), ' ')) fields.push_back(f);
  if (fields.size() < 20) return std::nullopt;
  if (fields[0].size() != 1) return std::nullopt;
  st.state = fields[0][0];
  auto ppid = parse_int(fields[1], 0, 1 << 30);
  auto pgrp = parse_int(fields[2], 0, 1 << 30);
  auto session = parse_int(fields[3], 0, 1 << 30);
  auto flags = parse_int(fields[6], 0, UINT32_MAX);  // field 9: flags, an unsigned int
  auto start = parse_int(fields[19], 0, INT64_MAX);  // field 22: starttime
  if (!ppid || !pgrp || !session || !flags || !start) return std::nullopt;
  st.ppid = static_cast<int>(*ppid);
  st.pgrp = static_cast<int>(*pgrp);
  st.session = static_cast<int>(*session);
  st.flags = static_cast<std::uint64_t>(*flags);
  st.start_time = static_cast<std::uint64_t>(*start);
  return st;
}

std::vector<CgroupEntry> parse_proc_cgroup(std::string_view text) {
  std::vector<CgroupEntry> out;
  for (auto line : split(text, '\n')) {
    if (line.empty()) continue;
    const auto c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    const auto c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    auto id = parse_int(line.substr(0, c1), 0, 1 << 20);
    if (!id) continue;
    CgroupEntry e;
    e.hierarchy = static_cast<int>(*id);
    const auto ctrl = line.substr(c1 + 1, c2 - c1 - 1);
    if (!ctrl.empty()) {
      for (auto c : split(ctrl, ',')) e.controllers.emplace_back(c);
    }
    e.path = line.substr(c2 + 1);
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<std::string_view> proc_cgroup_v2_path(std::string_view text) {
  constexpr std::string_view kV2 = "0::";
  for (std::size_t at = 0; at < text.size();) {
    const auto nl = std::min(text.find('\n', at), text.size());
    const auto line = text.substr(at, nl - at);
    if (starts_with(line, kV2)) return line.substr(kV2.size());
    at = nl + 1;
  }
  return std::nullopt;
}

namespace {
// mountinfo escapes space, tab, newline and backslash as \ooo octal.
std::string unescape_octal(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const auto a = s[i + 1], b = s[i + 2], c = s[i + 3];
      if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' && c <= '7') {
        out += static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}
}  // namespace

std::vector<MountEntry> parse_mountinfo(std::string_view text, std::string_view fs_type) {
  std::vector<MountEntry> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    // The type is checked before anything else is taken apart: a start-up reads the whole
    // table for one or two cgroup mounts among dozens.
    const auto sep = line.find(" - ");
    if (sep == std::string_view::npos) continue;
    std::array<std::string_view, 3> right;  // type, source, super options
    if (split_first(line.substr(sep + 3), ' ', right) < right.size() || right[0] != fs_type) {
      continue;
    }
    std::array<std::string_view, 5> left;  // id, parent, major:minor, root, mount point
    if (split_first(line.substr(0, sep), ' ', left) < left.size()) continue;
    MountEntry m;
    m.root = unescape_octal(left[3]);
    m.mount_point = unescape_octal(left[4]);
    m.fs_type = right[0];
    m.super_options = right[2];
    out.push_back(std::move(m));
  }
  return out;
}

std::string_view strip_deleted(std::string_view exe) {
  constexpr std::string_view kDeleted = " (deleted)";
  if (exe.size() >= kDeleted.size() && exe.substr(exe.size() - kDeleted.size()) == kDeleted) {
    exe.remove_suffix(kDeleted.size());
  }
  return exe;
}

std::optional<std::string> shebang_interpreter(std::string_view head) {
  head = head.substr(0, kShebangHead);
  if (!head.starts_with("#!")) return std::nullopt;
  head.remove_prefix(2);
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!head.empty() && blank(head.front())) head.remove_prefix(1);
  std::size_t end = 0;
  while (end < head.size() && !blank(head[end]) && head[end] != '\n' && head[end] != '\0') ++end;
  if (end == 0) return std::nullopt;
  return std::string(head.substr(0, end));
}

std::optional<int> parse_pidfile(std::string_view text) {
  auto pid = parse_int(trim(text), 1, (1 << 22));  // PID_MAX_LIMIT
  if (!pid) return std::nullopt;
  return static_cast<int>(*pid);
}

}  // namespace sup::core
