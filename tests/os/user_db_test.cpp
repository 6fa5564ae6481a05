// The two user databases behind -u/-g: /etc/passwd and /etc/group read directly (the static
// binary) must agree with NSS (the dynamic one) on this machine's files, and the files one must
// cope with a root that has no such files. Test files of the test's own: e2e privileges_test.
#include "os/user_db.hpp"

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "os/privileges.hpp"

namespace sup::os {
namespace {

// Every user in the files that NSS finds through its "files" module (the first in
// nsswitch.conf here): both databases give the same ids and groups.
TEST(UserDb, FilesAgreeWithNssForEveryUserInEtcPasswd) {
  const FilesUserDb files;
  const NssUserDb nss;
  std::vector<std::string> names;
  setpwent();
  while (passwd* pw = getpwent()) names.emplace_back(pw->pw_name);
  endpwent();
  int compared = 0;
  for (const auto& name : names) {
    auto from_files = files.user_by_name(name);
    ASSERT_TRUE(from_files) << from_files.error().message;
    if (!*from_files) continue;  // from another NSS module
    auto from_nss = nss.user_by_name(name);
    ASSERT_TRUE(from_nss && *from_nss) << name;
    EXPECT_EQ((*from_files)->uid, (*from_nss)->uid) << name;
    EXPECT_EQ((*from_files)->gid, (*from_nss)->gid) << name;
    auto by_uid = files.user_by_uid((*from_files)->uid);
    ASSERT_TRUE(by_uid && *by_uid);
    auto groups_files = files.groups_of(name, (*from_files)->gid);
    auto groups_nss = nss.groups_of(name, (*from_nss)->gid);
    ASSERT_TRUE(groups_files && groups_nss);
    std::sort(groups_files->begin(), groups_files->end());
    std::sort(groups_nss->begin(), groups_nss->end());
    EXPECT_EQ(*groups_files, *groups_nss) << name;
    ++compared;
  }
  if (compared == 0) GTEST_SKIP() << "no user in /etc/passwd";
}

TEST(UserDb, FilesAndNssAgreeOnGroups) {
  const FilesUserDb files;
  const NssUserDb nss;
  group* root = getgrgid(0);
  if (root == nullptr) GTEST_SKIP() << "no group 0";
  auto a = files.group_by_name(root->gr_name);
  auto b = nss.group_by_name(root->gr_name);
  ASSERT_TRUE(a && *a && b && *b);
  EXPECT_EQ(**a, **b);
  EXPECT_EQ(**a, 0u);
  auto none = files.group_by_name("no-such-group-here");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  none = nss.group_by_name("no-such-group-here");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// A container image without /etc/passwd: no names, but numeric ids work.
TEST(UserDb, RootWithoutFilesKnowsNoNamesButNumbersWork) {
  const FilesUserDb empty("/nonexistent-root");
  auto user = empty.user_by_name("root");
  ASSERT_TRUE(user) << user.error().message;
  EXPECT_FALSE(*user);
  auto creds = resolve_credentials("4711", "4712", empty);
  ASSERT_TRUE(creds) << creds.error().message;
  EXPECT_EQ(creds->uid, 4711u);
  EXPECT_EQ(creds->gid, 4712u);
  // -g replaced the default primary group (the uid's number): 4711 is no group of the app's.
  EXPECT_EQ(creds->groups, std::vector<gid_t>{4712});
  auto named = resolve_credentials("nobody", "", empty);
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().message, "user 'nobody': no such user");
  auto group = resolve_credentials("", "nogroup", empty);
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().message, "group 'nogroup': no such group");
}

// -g replaces the primary group in the supplementary list too, as initgroups(3) with the new
// primary group (runuser -g): the passwd group is no longer one of the app's.
TEST(UserDb, GroupOptionReplacesThePrimaryGroupInTheList) {
  char tmpl[] = "/tmp/user-db-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  std::filesystem::create_directory(root + "/etc");
  std::ofstream(root + "/etc/passwd") << "alice:x:1000:1000::/home/alice:/bin/sh\n";
  std::ofstream(root + "/etc/group") << "alice:x:1000:\nwheel:x:10:alice\nwww:x:33:\n";
  const FilesUserDb db(root);
  auto plain = resolve_credentials("alice", "", db);
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->gid, 1000u);
  EXPECT_EQ(plain->groups, (std::vector<gid_t>{1000, 10}));
  auto regrouped = resolve_credentials("alice", "www", db);
  ASSERT_TRUE(regrouped) << regrouped.error().message;
  EXPECT_EQ(regrouped->gid, 33u);
  EXPECT_EQ(regrouped->groups, (std::vector<gid_t>{33, 10}));
  std::filesystem::remove_all(root);
}

TEST(UserDb, ResolveCredentialsIsTheSameWithEitherDatabase) {
  if (getpwnam("nobody") == nullptr || getgrnam("nogroup") == nullptr) {
    GTEST_SKIP() << "no user nobody or group nogroup";
  }
  for (auto [user, group] : {std::pair{"nobody", ""},
                             {"nobody", "nogroup"},
                             {"", "nogroup"},
                             {"0", ""},
                             {"root", "0"}}) {
    auto a = resolve_credentials(user, group, FilesUserDb());
    auto b = resolve_credentials(user, group, NssUserDb());
    ASSERT_TRUE(a && b) << user << ":" << group;
    EXPECT_EQ(a->uid, b->uid);
    EXPECT_EQ(a->gid, b->gid);
    std::sort(a->groups.begin(), a->groups.end());
    std::sort(b->groups.begin(), b->groups.end());
    EXPECT_EQ(a->groups, b->groups) << user << ":" << group;
  }
}

}  // namespace
}  // namespace sup::os
