// /proc parsers on strings: stat, cgroup, mountinfo, exe " (deleted)", pid files.
#include "core/proc_parse.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sup::core {
namespace {

// A stat line with the given pid, comm, state, ppid, pgrp, session and starttime; the other
// fields are filled like a real kernel line (52 fields in all).
std::string stat_line(const std::string& pid, const std::string& comm, char state, int ppid,
                      int pgrp, int session, std::uint64_t start) {
  std::string s = pid + " (" + comm + ") " + state + " " + std::to_string(ppid) + " " +
                  std::to_string(pgrp) + " " + std::to_string(session);
  // fields 7..21: tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  // priority nice num_threads itrealvalue
  s += " 34816 4711 4194560 1234 0 5 0 17 9 0 0 20 0 3 0";
  s += " " + std::to_string(start);  // field 22
  // fields 23..52
  s += " 12345678 456 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0"
       " 0 0 0";
  return s;
}

// A verbatim /proc/self/stat from a Linux 6.x box.
constexpr const char* kRealStat =
    "4711 (nginx) S 1 4711 4711 0 -1 4194624 1009 0 0 0 0 0 0 0 20 0 1 0 1234567 11153408 "
    "1024 18446744073709551615 94251406925824 94251407962241 140724620486800 0 0 0 0 "
    "1073745920 402745863 0 0 0 17 0 0 0 0 0 0 94251408165328 94251408226384 "
    "94251439525888 140724620490617 140724620490651 140724620490651 140724620492773 0\n";

TEST(ParseProcStat, RealLine) {
  const auto st = parse_proc_stat(kRealStat);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->pid, 4711);
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->ppid, 1);
  EXPECT_EQ(st->pgrp, 4711);
  EXPECT_EQ(st->session, 4711);
  EXPECT_EQ(st->start_time, 1234567u);
  // flags 4194624 = 0x400140: PF_RANDOMIZE, PF_SUPERPRIV and PF_FORKNOEXEC (not exec'd).
  EXPECT_EQ(st->flags, 4194624u);
  EXPECT_NE(st->flags & kPfForkNoExec, 0u);
}

TEST(ParseProcStat, FlagsOfAnExecdProcessLackForkNoExec) {
  const auto st = parse_proc_stat(stat_line("9", "app", 'S', 1, 9, 9, 5));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->flags, 4194560u);  // 0x400100
  EXPECT_EQ(st->flags & kPfForkNoExec, 0u);
}

TEST(ParseProcStat, UnparsableFlagsRefuseTheLine) {
  std::string line = stat_line("9", "app", 'S', 1, 9, 9, 5);
  line.replace(line.find("4194560"), 7, "x");
  EXPECT_FALSE(parse_proc_stat(line).has_value());
}

struct CommCase {
  std::string comm;
};

class ParseProcStatComm : public ::testing::TestWithParam<CommCase> {};

TEST_P(ParseProcStatComm, FieldsAfterTheLastParen) {
  const std::string comm = GetParam().comm;
  const std::string line = stat_line("321", comm, 'Z', 100, 321, 77, 987654321);
  SCOPED_TRACE(line);
  const auto st = parse_proc_stat(line);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->pid, 321);
  EXPECT_EQ(st->state, 'Z');
  EXPECT_EQ(st->ppid, 100);
  EXPECT_EQ(st->pgrp, 321);
  EXPECT_EQ(st->session, 77);
  EXPECT_EQ(st->start_time, 987654321u);
}

INSTANTIATE_TEST_SUITE_P(All, ParseProcStatComm,
                         ::testing::Values(CommCase{"nginx"}, CommCase{"my app"},
                                           CommCase{"a) S 1 2 3 (b"}, CommCase{")"},
                                           CommCase{"(("}, CommCase{") ) )"},
                                           CommCase{"x (y) z"}, CommCase{""},
                                           CommCase{"tmux: server"},
                                           CommCase{"5 (6) R 7 8 9"}));

TEST(ParseProcStat, EveryState) {
  for (char state : std::string("RSDZTtXIPWK")) {
    const auto st = parse_proc_stat(stat_line("9", "app", state, 1, 9, 9, 5));
    ASSERT_TRUE(st.has_value()) << state;
    EXPECT_EQ(st->state, state);
  }
}

TEST(ParseProcStat, LargeValues) {
  const auto st = parse_proc_stat(stat_line("4194303", "app", 'S', 4194302, 4194301, 4194300,
                                            18'000'000'000'000ULL));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->pid, 4194303);
  EXPECT_EQ(st->ppid, 4194302);
  EXPECT_EQ(st->pgrp, 4194301);
  EXPECT_EQ(st->session, 4194300);
  EXPECT_EQ(st->start_time, 18'000'000'000'000ULL);
}

TEST(ParseProcStat, PpidZeroForKernelRootedProcesses) {
  const auto st = parse_proc_stat(stat_line("1", "init", 'S', 0, 1, 1, 3));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->ppid, 0);
}

TEST(ParseProcStat, Malformed) {
  const std::string good = stat_line("321", "app", 'S', 1, 321, 321, 42);
  ASSERT_TRUE(parse_proc_stat(good).has_value());
  const std::vector<std::string> bad = {
      "",
      "\n",
      "321",
      "321 (app)",
      "321 (app) S",
      "321 (app) S 1 2 3",                                 // truncated before starttime
      good.substr(0, good.find(" 42 ")),                   // cut just before field 22
      "321 app) S 1 321 321 " + good.substr(good.find(") S ") + 14),  // no " ("
      "321 (app S 1 321 321 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42",    // no ')'
      stat_line("abc", "app", 'S', 1, 321, 321, 42),       // pid not a number
      stat_line("-5", "app", 'S', 1, 321, 321, 42),        // negative pid
      stat_line("0", "app", 'S', 1, 321, 321, 42),         // pid 0
      "321 (app) SS 1 321 321" + good.substr(good.find(") S 1 321 321") + 13),  // 2-char state
      "321 (app) S x 321 321" + good.substr(good.find(") S 1 321 321") + 13),   // bad ppid
      "321 (app) S 1 y 321" + good.substr(good.find(") S 1 321 321") + 13),     // bad pgrp
      "321 (app) S 1 321 z" + good.substr(good.find(") S 1 321 321") + 13),     // bad session
      "garbage",
      ") (",
  };
  for (const auto& line : bad) {
    EXPECT_FALSE(parse_proc_stat(line).has_value()) << "'" << line << "'";
  }
}

TEST(ParseProcStat, BadStartTime) {
  std::string line = stat_line("321", "app", 'S', 1, 321, 321, 42);
  const auto pos = line.find(" 42 ");
  ASSERT_NE(pos, std::string::npos);
  line.replace(pos, 4, " 4x2 ");
  EXPECT_FALSE(parse_proc_stat(line).has_value()) << line;
}

// ---------------------------------------------------------------------------------------------
// /proc/PID/cgroup

TEST(ParseProcCgroup, V2) {
  const auto entries = parse_proc_cgroup("0::/a/b\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].hierarchy, 0);
  EXPECT_TRUE(entries[0].controllers.empty());
  EXPECT_EQ(entries[0].path, "/a/b");
}

TEST(ParseProcCgroup, V2Root) {
  const auto entries = parse_proc_cgroup("0::/");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].path, "/");
}

TEST(ParseProcCgroup, V1AndHybrid) {
  const char* text =
      "12:cpu,cpuacct:/system.slice/nginx.service\n"
      "11:memory:/system.slice/nginx.service\n"
      "5:net_cls,net_prio:/\n"
      "1:name=systemd:/system.slice/nginx.service\n"
      "0::/system.slice/nginx.service\n";
  const auto e = parse_proc_cgroup(text);
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].hierarchy, 12);
  EXPECT_EQ(e[0].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(e[0].path, "/system.slice/nginx.service");
  EXPECT_EQ(e[1].hierarchy, 11);
  EXPECT_EQ(e[1].controllers, (std::vector<std::string>{"memory"}));
  EXPECT_EQ(e[2].controllers, (std::vector<std::string>{"net_cls", "net_prio"}));
  EXPECT_EQ(e[2].path, "/");
  EXPECT_EQ(e[3].hierarchy, 1);
  EXPECT_EQ(e[3].controllers, (std::vector<std::string>{"name=systemd"}));
  EXPECT_EQ(e[3].path, "/system.slice/nginx.service");
  EXPECT_EQ(e[4].hierarchy, 0);
  EXPECT_TRUE(e[4].controllers.empty());
  EXPECT_EQ(e[4].path, "/system.slice/nginx.service");
}

TEST(ParseProcCgroup, PathMayContainColonsAndSpaces) {
  const auto e = parse_proc_cgroup("0::/a:b/c d\n4:pids:/x:y\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].path, "/a:b/c d");
  EXPECT_EQ(e[1].controllers, (std::vector<std::string>{"pids"}));
  EXPECT_EQ(e[1].path, "/x:y");
}

TEST(ParseProcCgroup, SkipsMalformedAndEmptyLines) {
  const auto e = parse_proc_cgroup("\n\ngarbage\nx::/bad\n3:cpu\n0::/ok\n\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].path, "/ok");
  EXPECT_TRUE(parse_proc_cgroup("").empty());
}

TEST(ProcCgroupV2Path, TheZeroLineOnly) {
  const char* hybrid =
      "12:cpu,cpuacct:/system.slice/nginx.service\n"
      "1:name=systemd:/system.slice/nginx.service\n"
      "0::/system.slice/a:b c\n";
  EXPECT_EQ(proc_cgroup_v2_path(hybrid), "/system.slice/a:b c");
  EXPECT_EQ(proc_cgroup_v2_path("0::/"), "/");
  EXPECT_EQ(proc_cgroup_v2_path("0::/x\n1:name=systemd:/y\n"), "/x");
  EXPECT_EQ(proc_cgroup_v2_path("10::/not-v2\n4:pids:/p\n"), std::nullopt);
  EXPECT_EQ(proc_cgroup_v2_path(""), std::nullopt);
  // Where parse_proc_cgroup finds a v2 line, this finds the same path.
  for (const char* text : {hybrid, "0::/a/b\n", "\n\ngarbage\nx::/bad\n3:cpu\n0::/ok\n\n"}) {
    std::optional<std::string> parsed;
    for (const auto& e : parse_proc_cgroup(text)) {
      if (e.hierarchy == 0 && e.controllers.empty()) parsed = e.path;
    }
    EXPECT_EQ(proc_cgroup_v2_path(text), parsed) << text;
  }
}

// ---------------------------------------------------------------------------------------------
// /proc/PID/mountinfo

TEST(ParseMountinfo, RealHybridSystem) {
  const char* text =
      "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro\n"
      "25 22 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
      "30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
      "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - "
      "cgroup2 cgroup2 rw,nsdelegate\n"
      "32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - "
      "cgroup cgroup rw,xattr,name=systemd\n"
      "35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - "
      "cgroup cgroup rw,cpu,cpuacct\n"
      "36 30 0:32 /docker/abc /sys/fs/cgroup/memory rw,nosuid shared:16 - cgroup cgroup "
      "rw,memory\n";
  const auto v2 = parse_mountinfo(text, "cgroup2");
  ASSERT_EQ(v2.size(), 1u);
  EXPECT_EQ(v2[0].root, "/");
  EXPECT_EQ(v2[0].mount_point, "/sys/fs/cgroup/unified");
  EXPECT_EQ(v2[0].fs_type, "cgroup2");
  EXPECT_EQ(v2[0].super_options, "rw,nsdelegate");
  const auto v1 = parse_mountinfo(text, "cgroup");
  ASSERT_EQ(v1.size(), 3u);
  EXPECT_EQ(v1[0].fs_type, "cgroup");
  EXPECT_EQ(v1[0].super_options, "rw,xattr,name=systemd");
  EXPECT_EQ(v1[1].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(v1[1].super_options, "rw,cpu,cpuacct");
  EXPECT_EQ(v1[2].root, "/docker/abc");
  EXPECT_EQ(v1[2].mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(v1[2].super_options, "rw,memory");
  const auto root = parse_mountinfo(text, "ext4");
  ASSERT_EQ(root.size(), 1u);
  EXPECT_EQ(root[0].mount_point, "/");
  EXPECT_EQ(root[0].super_options, "rw,errors=remount-ro");
}

TEST(ParseMountinfo, OnlyTheWholeTypeMatches) {
  const char* text =
      "40 30 0:40 / /a rw - cgroup2x cgroup2 rw\n"
      "41 30 0:41 / /b rw - cgroup cgroup2 rw\n"
      "42 30 0:42 / /c rw - fuse.cgroup2 x rw\n"
      "43 30 0:43 / /d rw - cgroup2 cgroup2 rw\n";
  const auto m = parse_mountinfo(text, "cgroup2");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].mount_point, "/d");
  EXPECT_TRUE(parse_mountinfo(text, "").empty());
}

TEST(ParseMountinfo, OptionalFieldsAnyCount) {
  // Zero, one and several optional fields before the " - " separator.
  const char* text =
      "40 30 0:40 / /a rw - cgroup2 cgroup2 rw\n"
      "41 30 0:41 / /b rw shared:3 - cgroup2 cgroup2 rw\n"
      "42 30 0:42 / /c rw shared:3 master:4 propagate_from:5 unbindable - cgroup2 none rw\n";
  const auto m = parse_mountinfo(text, "cgroup2");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].mount_point, "/a");
  EXPECT_EQ(m[1].mount_point, "/b");
  EXPECT_EQ(m[2].mount_point, "/c");
  for (const auto& e : m) {
    EXPECT_EQ(e.fs_type, "cgroup2");
    EXPECT_EQ(e.super_options, "rw");
  }
}

TEST(ParseMountinfo, OctalEscapes) {
  const char* text =
      "50 22 0:50 /my\\040root /mnt/with\\040space\\011tab rw - cgroup2 cgroup2 rw\n"
      "51 22 0:51 / /mnt/back\\134slash\\012nl rw - tmpfs tmpfs rw\n"
      "52 22 0:52 / /mnt/end\\040 rw - tmpfs tmpfs rw\n";
  const auto v2 = parse_mountinfo(text, "cgroup2");
  ASSERT_EQ(v2.size(), 1u);
  EXPECT_EQ(v2[0].root, "/my root");
  EXPECT_EQ(v2[0].mount_point, "/mnt/with space\ttab");
  const auto tmp = parse_mountinfo(text, "tmpfs");
  ASSERT_EQ(tmp.size(), 2u);
  EXPECT_EQ(tmp[0].mount_point, "/mnt/back\\slash\nnl");
  EXPECT_EQ(tmp[1].mount_point, "/mnt/end ");
}

TEST(ParseMountinfo, NotAnEscape) {
  const auto m = parse_mountinfo("53 22 0:53 / /mnt/a\\9b\\04 rw - tmpfs tmpfs rw\n", "tmpfs");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].mount_point, "/mnt/a\\9b\\04");
}

TEST(ParseMountinfo, SkipsMalformedLines) {
  const char* text =
      "\n"
      "garbage\n"
      "60 22 0:60 / /no-separator rw cgroup2 cgroup2 rw\n"
      "61 22 0:61 / - cgroup2 cgroup2 rw\n"          // too few fields before " - "
      "62 22 0:62 / /short rw - cgroup2\n"            // too few fields after " - "
      "63 22 0:63 / /ok rw - cgroup2 cgroup2 rw\n";
  const auto m = parse_mountinfo(text, "cgroup2");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].mount_point, "/ok");
  EXPECT_TRUE(parse_mountinfo("", "cgroup2").empty());
}

TEST(ParseMountinfo, LastLineWithoutNewline) {
  const auto m = parse_mountinfo("70 22 0:70 / /x rw - cgroup cgroup rw,pids", "cgroup");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].super_options, "rw,pids");
}

// ---------------------------------------------------------------------------------------------
// strip_deleted

TEST(StripDeleted, Table) {
  const std::pair<std::string, std::string> cases[] = {
      {"/usr/sbin/nginx (deleted)", "/usr/sbin/nginx"},
      {"/usr/sbin/nginx", "/usr/sbin/nginx"},
      {"/opt/my app/bin (deleted)", "/opt/my app/bin"},
      {"/x (deleted) (deleted)", "/x (deleted)"},  // only one suffix is the kernel's
      {"/x(deleted)", "/x(deleted)"},
      {"/x (deleted) ", "/x (deleted) "},
      {"/x (DELETED)", "/x (DELETED)"},
      {" (deleted)", ""},
      {"", ""},
      {"(deleted)", "(deleted)"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(strip_deleted(in), out) << "'" << in << "'";
}

// ---------------------------------------------------------------------------------------------
// shebang_interpreter

TEST(ShebangInterpreter, NamesTheInterpreterAsTheKernelReadsIt) {
  const std::pair<std::string, std::string> cases[] = {
      {"#!/bin/sh\necho hi\n", "/bin/sh"},
      {"#! /bin/sh -e\n", "/bin/sh"},
      {"#!\t/usr/bin/env python3\n", "/usr/bin/env"},
      {"#!/bin/sh", "/bin/sh"},
      {std::string("#!/bin/sh\0junk", 14), "/bin/sh"},
      {"#!interp\n", "interp"},  // relative: the kernel takes it as given
  };
  for (const auto& [head, interpreter] : cases) {
    EXPECT_EQ(shebang_interpreter(head), interpreter) << "'" << head << "'";
  }
}

TEST(ShebangInterpreter, NoneForFilesThatAreNoScripts) {
  for (const std::string head : {"", "#", "#!", "#!   \n", "#!\n/bin/sh", " #!/bin/sh",
                                 "\x7f"
                                 "ELF\x02\x01\x01",
                                 "# !/bin/sh"}) {
    EXPECT_EQ(shebang_interpreter(head), std::nullopt) << "'" << head << "'";
  }
}

// Only the first kShebangHead bytes count, as only they are read.
TEST(ShebangInterpreter, ReadsNoFurtherThanTheKernelDoes) {
  const std::string name(300, 'x');
  EXPECT_EQ(shebang_interpreter("#!/" + name), "/" + name.substr(0, kShebangHead - 3));
}

// ---------------------------------------------------------------------------------------------
// parse_pidfile

TEST(ParsePidfile, Valid) {
  const std::pair<std::string, int> cases[] = {
      {"4711", 4711},      {"4711\n", 4711},    {"  4711  \n", 4711}, {"\t4711\r\n", 4711},
      {"\n\n4711\n\n", 4711}, {"1", 1},         {"2", 2},             {"4194303", 4194303},
  };
  for (const auto& [text, pid] : cases) {
    const auto got = parse_pidfile(text);
    ASSERT_TRUE(got.has_value()) << "'" << text << "'";
    EXPECT_EQ(*got, pid) << "'" << text << "'";
  }
}

TEST(ParsePidfile, Invalid) {
  const std::string cases[] = {
      "",         "\n",        "   ",       "0",          "0\n",     "-1",
      "-4711",    "+4711",     "abc",       "4711abc",    "47 11",   "4711\n4712\n",
      "0x1267",   "4711.0",    "99999999999", "4194305",  "2147483648",
      "18446744073709551616",  "pid=4711",
  };
  for (const auto& text : cases) {
    EXPECT_FALSE(parse_pidfile(text).has_value()) << "'" << text << "'";
  }
}

}  // namespace
}  // namespace sup::core
