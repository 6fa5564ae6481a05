// SPEC 2: -u/-g run the app as another user and group (names or numeric ids), supplementary
// groups from the user database; root cannot be regained.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "harness.hpp"

namespace e2e {
namespace {

class Privileges : public E2ETest {
 protected:
  void SetUp() override {
    passwd* pw = getpwnam("nobody");
    group* gr = getgrnam("nogroup");
    if (pw == nullptr || gr == nullptr) GTEST_SKIP() << "no user nobody or group nogroup";
    if (geteuid() != 0) GTEST_SKIP() << "dropping privileges needs root";
    uid_ = pw->pw_uid;
    user_gid_ = pw->pw_gid;
    gid_ = gr->gr_gid;
    // A copy the unprivileged user can surely execute, wherever the build tree lives.
    app_ = tmp_ / "testapp";
    std::filesystem::copy_file(kTestapp, app_);
    chmod(app_.c_str(), 0755);
  }

  struct Ids {
    long uid = -1, gid = -1, euid = -1, egid = -1;
    std::vector<long> groups;
    std::string setuid0;
  };

  std::optional<Ids> run_id(std::vector<std::string> options, RunOptions run_options = {}) {
    options.push_back("--");
    options.push_back(app_);
    options.push_back("id");
    SupervisedRun run(options, std::move(run_options));
    auto line = run.expect_out(
        R"(^uid=(\d+) gid=(\d+) groups=([\d,]*) euid=(\d+) egid=(\d+) setuid0=(\w+)$)");
    EXPECT_EQ(run.wait_exit(), 0) << run.log();
    if (!line) return std::nullopt;
    Ids ids{line->num(1), line->num(2), line->num(4), line->num(5), {}, line->groups[6]};
    std::istringstream in(line->groups[3]);
    for (std::string g; std::getline(in, g, ',');) ids.groups.push_back(std::stol(g));
    return ids;
  }

  void expect_only_group(const Ids& ids, long gid) {
    for (long g : ids.groups) EXPECT_EQ(g, gid) << "unexpected supplementary group " << g;
  }

  uid_t uid_ = 0;
  gid_t gid_ = 0, user_gid_ = 0;
  std::string app_;
};

TEST_F(Privileges, UserAndGroupByName) {
  auto ids = run_id({"-u", "nobody", "-g", "nogroup"});
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->uid, uid_);
  EXPECT_EQ(ids->euid, uid_);
  EXPECT_EQ(ids->gid, gid_);
  EXPECT_EQ(ids->egid, gid_);
  expect_only_group(*ids, gid_);
  EXPECT_EQ(ids->setuid0, "failed") << "root could be regained";
}

TEST_F(Privileges, UserAndGroupByNumericId) {
  auto ids = run_id({"-u", std::to_string(uid_), "-g", std::to_string(gid_)});
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->uid, uid_);
  EXPECT_EQ(ids->gid, gid_);
  for (long g : ids->groups) EXPECT_NE(g, 0) << "root's group kept as a supplementary group";
  EXPECT_EQ(ids->setuid0, "failed");
}

TEST_F(Privileges, LongOptionsWork) {
  auto ids = run_id({"--user=nobody", "--group=nogroup"});
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->uid, uid_);
  EXPECT_EQ(ids->gid, gid_);
}

TEST_F(Privileges, UserAloneTakesItsPrimaryGroupAndDropsRootGroups) {
  auto ids = run_id({"-u", "nobody"});
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->uid, uid_);
  EXPECT_EQ(ids->gid, user_gid_);
  for (long g : ids->groups) EXPECT_NE(g, 0) << "root's group kept as a supplementary group";
  EXPECT_EQ(ids->setuid0, "failed");
}

// Every incarnation drops privileges, not only the first.
TEST_F(Privileges, EveryRestartRunsAsTheUser) {
  SupervisedRun run({"--restart=always", "-u", "nobody", "-g", "nogroup", "--", app_, "id"});
  for (int i = 0; i < 2; ++i) {
    auto line = run.expect_out(R"(^uid=(\d+) gid=(\d+) )");
    ASSERT_TRUE(line);
    EXPECT_EQ(line->num(1), uid_) << "incarnation " << i + 1;
    EXPECT_EQ(line->num(2), gid_) << "incarnation " << i + 1;
  }
  run.send(SIGTERM);
  EXPECT_TRUE(run.wait_exit());
}

TEST_F(Privileges, GroupAloneChangesOnlyTheGroup) {
  auto ids = run_id({"-g", "nogroup"});
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->uid, 0);
  EXPECT_EQ(ids->gid, gid_);
  EXPECT_EQ(ids->egid, gid_);
}

// The user database the supervisor reads (the files in the static build, NSS in the dynamic one),
// swapped for the test's own: /etc/passwd and /etc/group bind-mounted over in a mount namespace
// of the supervisor's, so that names, ids and member lists are known to the test, with the
// lines a real file may hold (comments, blank lines, a malformed entry, a duplicate name, no
// trailing newline).
TEST_F(Privileges, NamesComeFromTheUserDatabaseFiles) {
  write_file(tmp_ / "passwd",
             "# test users\n"
             "root:x:0:0:root:/root:/bin/sh\n"
             "\n"
             "broken:x:oops:1::/:/bin/sh\n"
             "suptest:x:4242:4343:a test user:/home/suptest:/bin/sh\n"
             "suptest:x:4999:4999:a duplicate, ignored:/:/bin/sh\n"
             "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin");
  write_file(tmp_ / "group",
             "root:x:0:\n"
             "suptest:x:4343:\n"
             "supextra:x:4444:someone,suptest\n"
             "# a comment, naming no member (glibc would count it: core/user_db.hpp)\n"
             "supother:x:4445:nobody\n"
             "supgroup:x:4447:");
  RunOptions options;
  options.wrapper = {"/usr/bin/unshare",
                     "--mount",
                     "--propagation",
                     "private",
                     "/bin/sh",
                     "-c",
                     "mount --bind \"$1\" /etc/passwd && mount --bind \"$2\" /etc/group && "
                     "shift 2 && exec \"$@\"",
                     "sh",
                     tmp_ / "passwd",
                     tmp_ / "group"};
  auto ids = run_id({"-u", "suptest"}, options);
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->uid, 4242);
  EXPECT_EQ(ids->gid, 4343);
  auto groups = ids->groups;
  std::sort(groups.begin(), groups.end());
  EXPECT_EQ(groups, (std::vector<long>{4343, 4444}));
  EXPECT_EQ(ids->setuid0, "failed");

  ids = run_id({"-u", "suptest", "-g", "supgroup"}, options);
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->uid, 4242);
  EXPECT_EQ(ids->gid, 4447);

  // A number without an entry is still a user: its number as its group, no others.
  ids = run_id({"-u", "4711"}, options);
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->uid, 4711);
  EXPECT_EQ(ids->gid, 4711);
  expect_only_group(*ids, 4711);

  SupervisedRun unknown({"-u", "broken", "--", app_, "id"}, options);
  EXPECT_EQ(unknown.wait_exit(), 125);
  EXPECT_TRUE(unknown.expect_err("^supervisor: user 'broken': no such user$"));
}

}  // namespace
}  // namespace e2e
