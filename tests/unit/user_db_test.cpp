// The /etc/passwd and /etc/group parsers the static binary resolves -u/-g with.
#include "core/user_db.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sup::core {
namespace {

constexpr std::string_view kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "# a comment:x:5:5::/:/bin/sh\n"
    "\n"
    "   \t\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "+nisuser::::::\n"
    "-nisexcluded::::::\n"
    "broken:x:notanumber:1::/:/bin/sh\n"
    "short:x:7\n"
    ":x:8:8::/:/bin/sh\n"
    "huge:x:4294967295:1::/:/bin/sh\n"
    "negative:x:-3:1::/:/bin/sh\n"
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
    "www-data:x:999:999:a duplicate:/nowhere:/bin/false\n"
    "nohome:x:40:41\n"
    "  indented:x:42:42::/home/indented:/bin/sh\n"
    "crlf:x:43:43::/home/crlf:/bin/sh\r\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin";  // no trailing newline

TEST(Passwd, FindsAUserByName) {
  auto e = find_user(kPasswd, "daemon");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->name, "daemon");
  EXPECT_EQ(e->uid, 1u);
  EXPECT_EQ(e->gid, 1u);
  EXPECT_EQ(e->home, "/usr/sbin");
  EXPECT_EQ(e->shell, "/usr/sbin/nologin");
}

TEST(Passwd, FindsAUserById) {
  auto e = find_user(kPasswd, Id{33});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->name, "www-data");
  EXPECT_FALSE(find_user(kPasswd, Id{12345}));
}

TEST(Passwd, LastLineWithoutNewlineCounts) {
  auto e = find_user(kPasswd, "nobody");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->uid, 65534u);
  EXPECT_EQ(e->shell, "/usr/sbin/nologin");
  EXPECT_TRUE(find_user(kPasswd, Id{65534}));
}

TEST(Passwd, FirstOfDuplicateNamesWins) {
  auto e = find_user(kPasswd, "www-data");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->uid, 33u);
  EXPECT_EQ(e->home, "/var/www");
}

TEST(Passwd, CommentsBlankAndNisLinesAreNotUsers) {
  EXPECT_FALSE(find_user(kPasswd, "# a comment"));
  EXPECT_FALSE(find_user(kPasswd, Id{5}));
  EXPECT_FALSE(find_user(kPasswd, "+nisuser"));
  EXPECT_FALSE(find_user(kPasswd, "nisuser"));
  EXPECT_FALSE(find_user(kPasswd, "-nisexcluded"));
  EXPECT_FALSE(find_user(kPasswd, ""));
}

TEST(Passwd, MalformedLinesAreSkippedAndTheRestStillCounts) {
  EXPECT_FALSE(find_user(kPasswd, "broken"));    // uid not a number
  EXPECT_FALSE(find_user(kPasswd, "short"));     // no gid field
  EXPECT_FALSE(find_user(kPasswd, Id{8}));       // empty name
  EXPECT_FALSE(find_user(kPasswd, "huge"));      // (uid_t)-1 is no one's uid
  EXPECT_FALSE(find_user(kPasswd, "negative"));  // ids are never negative
  EXPECT_TRUE(find_user(kPasswd, "www-data"));   // lines after them still count
}

TEST(Passwd, MissingHomeAndShellAreEmpty) {
  auto e = find_user(kPasswd, "nohome");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->uid, 40u);
  EXPECT_EQ(e->gid, 41u);
  EXPECT_EQ(e->home, "");
  EXPECT_EQ(e->shell, "");
}

TEST(Passwd, LeadingBlanksAndCarriageReturnsAreIgnored) {
  auto indented = find_user(kPasswd, "indented");
  ASSERT_TRUE(indented);
  EXPECT_EQ(indented->uid, 42u);
  auto crlf = find_user(kPasswd, "crlf");
  ASSERT_TRUE(crlf);
  EXPECT_EQ(crlf->shell, "/bin/sh");
}

TEST(Passwd, NameMustMatchExactly) {
  EXPECT_FALSE(find_user(kPasswd, "roo"));
  EXPECT_FALSE(find_user(kPasswd, "root:x"));
  EXPECT_FALSE(find_user(kPasswd, "ROOT"));
}

TEST(Passwd, LongLinesAndLargeFiles) {
  std::string text = "long:x:500:500:" + std::string(100000, 'g') + ":/home/long:/bin/sh\n";
  for (int i = 0; i < 5000; ++i) {
    text += "user" + std::to_string(i) + ":x:" + std::to_string(10000 + i) + ":100::/:/bin/sh\n";
  }
  auto long_entry = find_user(text, "long");
  ASSERT_TRUE(long_entry);
  EXPECT_EQ(long_entry->home, "/home/long");
  auto last = find_user(text, "user4999");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->uid, 14999u);
  EXPECT_TRUE(find_user(text, Id{14999}));
}

TEST(Passwd, EmptyOrAbsentDatabaseHasNoUsers) {
  EXPECT_FALSE(find_user("", "root"));
  EXPECT_FALSE(find_user("", Id{0}));
  EXPECT_FALSE(find_user("\n\n# nothing\n", "root"));
}

TEST(Passwd, LineParserChecksFields) {
  EXPECT_TRUE(parse_passwd_line("a:x:1:2"));
  EXPECT_FALSE(parse_passwd_line("a:x:1"));
  EXPECT_FALSE(parse_passwd_line("a:x:1:"));
  EXPECT_FALSE(parse_passwd_line("a:x:+1:2"));
  EXPECT_FALSE(parse_passwd_line("a:x:1 :2"));
  EXPECT_TRUE(parse_passwd_line("a:x:4294967294:4294967294"));
}

constexpr std::string_view kGroup =
    "root:x:0:\n"
    "# wheel:x:10:alice\n"
    "adm:x:4:syslog,alice\n"
    "broken:x:nope:alice\n"
    "tty:x:5\n"
    "staff:x:50: alice , bob ,\n"
    "alicesgroup:x:1000:\n"
    "users:x:100:bob,alice2\n"
    "adm:x:400:alice\n"  // a duplicate name: ignored by name, its gid still a group of alice
    "video:x:44:alice";

TEST(Group, FindsAGroupByName) {
  auto g = find_group(kGroup, "adm");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->gid, 4u);
  EXPECT_EQ(g->members, (std::vector<std::string>{"syslog", "alice"}));
  auto video = find_group(kGroup, "video");  // no trailing newline
  ASSERT_TRUE(video);
  EXPECT_EQ(video->gid, 44u);
}

TEST(Group, MissingMemberFieldIsNoMembers) {
  auto tty = find_group(kGroup, "tty");
  ASSERT_TRUE(tty);
  EXPECT_EQ(tty->gid, 5u);
  EXPECT_TRUE(tty->members.empty());
}

TEST(Group, MalformedAndCommentedGroupsAreSkipped) {
  EXPECT_FALSE(find_group(kGroup, "broken"));
  EXPECT_FALSE(find_group(kGroup, "# wheel"));
  EXPECT_FALSE(find_group(kGroup, "wheel"));
  EXPECT_FALSE(find_group(kGroup, "nosuch"));
}

TEST(Group, GroupListIsPrimaryThenMemberGroupsEachOnce) {
  EXPECT_EQ(group_list(kGroup, "alice", 1000), (std::vector<Id>{1000, 4, 50, 400, 44}));
  EXPECT_EQ(group_list(kGroup, "bob", 100), (std::vector<Id>{100, 50}));
  // Membership is by exact name: "alice2" is not alice, a comment is no group.
  EXPECT_EQ(group_list(kGroup, "alice2", 1001), (std::vector<Id>{1001, 100}));
  EXPECT_EQ(group_list(kGroup, "nobody", 65534), (std::vector<Id>{65534}));
  EXPECT_EQ(group_list("", "alice", 7), (std::vector<Id>{7}));
}

TEST(Group, PrimaryGroupListedAsMembershipIsNotRepeated) {
  EXPECT_EQ(group_list(kGroup, "alice", 44), (std::vector<Id>{44, 4, 50, 400}));
}

}  // namespace
}  // namespace sup::core
