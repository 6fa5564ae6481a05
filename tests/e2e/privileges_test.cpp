// SPEC 2: -u/-g run the app as another user and group (names or numeric ids), supplementary
// groups from the user database; root cannot be regained.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>

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

  std::optional<Ids> run_id(std::vector<std::string> options) {
    options.push_back("--");
    options.push_back(app_);
    options.push_back("id");
    SupervisedRun run(options);
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

}  // namespace
}  // namespace e2e
