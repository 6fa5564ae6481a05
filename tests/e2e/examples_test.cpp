// Issue 4, item 6: the examples in the repository work as far as can be checked here. The
// systemd unit parses with `systemd-analyze verify` (which exits 0 even on unknown keys, so its
// stderr must be empty), and each example's supervisor command line is one the supervisor
// accepts; the Dockerfile and the pod run the supervisor as their entrypoint.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.hpp"

namespace e2e {
namespace {

namespace fs = std::filesystem;

// This file is tests/e2e/examples_test.cpp of the checkout (CMake compiles it by absolute path).
const std::string kExamples =
    (fs::path(__FILE__).parent_path().parent_path().parent_path() / "examples").string();

class Examples : public E2ETest {};

std::string example(const std::string& relative) {
  auto text = read_file(kExamples + "/" + relative);
  if (!text) ADD_FAILURE() << "missing " << kExamples << "/" << relative;
  return text.value_or("");
}

// Words of a JSON/YAML flow array such as ["a", "b"] (no escapes in these files).
std::vector<std::string> array_words(const std::string& text) {
  std::vector<std::string> words;
  for (size_t at = 0; (at = text.find('"', at)) != std::string::npos;) {
    size_t end = text.find('"', at + 1);
    if (end == std::string::npos) break;
    words.push_back(text.substr(at + 1, end - at - 1));
    at = end + 1;
  }
  return words;
}

// The first line starting with `prefix` (after spaces), without the prefix; "" if none.
std::string line_after(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, prefix.size(), prefix) == 0) {
      return line.substr(first + prefix.size());
    }
  }
  return "";
}

std::vector<std::string> split(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// The options between the supervisor and "--", run against `testapp exit 0`: the supervisor
// must accept them and exit 0. Paths the example writes (-P /run/nginx.pid) go to tmp.
void expect_options_accepted(const std::vector<std::string>& command, const TempDir& tmp) {
  ASSERT_GE(command.size(), 2u);
  EXPECT_EQ(fs::path(command[0]).filename(), "supervisor") << command[0];
  std::vector<std::string> options;
  size_t i = 1;
  for (; i < command.size() && command[i] != "--"; ++i) {
    std::string o = command[i];
    if (o.rfind("/run/", 0) == 0) o = tmp / fs::path(o).filename().string();
    options.push_back(o);
  }
  EXPECT_LT(i, command.size()) << "no \"--\" before the program";
  SupervisedRun run(supervise(options, {"exit", "0"}));
  EXPECT_EQ(run.wait_exit(), 0) << run.log();
  EXPECT_EQ(run.count(Stream::kErr, "invalid|unknown|unrecognized"), 0) << run.log();
}

TEST_F(Examples, SystemdUnitPassesSystemdAnalyzeVerify) {
  if (access("/usr/bin/systemd-analyze", X_OK) != 0) GTEST_SKIP() << "no systemd-analyze";
  std::string unit = example("systemd/nginx-supervisor.service");
  ASSERT_FALSE(unit.empty());
  // verify checks that the programs exist: the built supervisor and a program that does.
  auto replace = [&](const std::string& from, const std::string& to) {
    for (size_t at = 0; (at = unit.find(from, at)) != std::string::npos; at += to.size()) {
      unit.replace(at, from.size(), to);
    }
  };
  replace("/usr/local/bin/supervisor", kSupervisor);
  replace("/usr/sbin/nginx", kTestapp);
  std::string path = tmp_ / "nginx-supervisor.service";
  write_file(path, unit);
  std::string command = "cd '" + tmp_.path() + "' && /usr/bin/systemd-analyze verify --man=no '" +
                        path + "' 2>&1 >/dev/null";
  FILE* p = popen(command.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string errors;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) errors.append(buf, n);
  int status = pclose(p);
  EXPECT_EQ(errors, "") << "systemd-analyze verify complained";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

TEST_F(Examples, SystemdUnitIsTypeNotifyRunningTheSupervisor) {
  std::string unit = example("systemd/nginx-supervisor.service");
  EXPECT_EQ(line_after(unit, "Type="), "notify");
  auto exec = split(line_after(unit, "ExecStart="));
  ASSERT_FALSE(exec.empty());
  EXPECT_EQ(exec[0], "/usr/local/bin/supervisor");
  EXPECT_NE(std::find(exec.begin(), exec.end(), "--"), exec.end());
  EXPECT_EQ(exec.back(), "/usr/sbin/nginx");
  // Signals for the hot upgrade reach the supervisor alone, which forwards them.
  EXPECT_NE(unit.find("systemctl kill -s USR2"), std::string::npos);
}

TEST_F(Examples, SystemdUnitCommandLineIsAccepted) {
  auto exec = split(line_after(example("systemd/nginx-supervisor.service"), "ExecStart="));
  expect_options_accepted(exec, tmp_);
}

TEST_F(Examples, DockerfileRunsTheSupervisorAsEntrypoint) {
  std::string dockerfile = example("docker/Dockerfile");
  auto entrypoint = array_words(line_after(dockerfile, "ENTRYPOINT"));
  ASSERT_FALSE(entrypoint.empty()) << "no exec-form ENTRYPOINT";
  EXPECT_EQ(entrypoint[0], "/usr/local/bin/supervisor");
  EXPECT_EQ(entrypoint.back(), "--") << "CMD must be the program";
  EXPECT_NE(dockerfile.find("/usr/local/bin/supervisor\n"), std::string::npos)
      << "the image does not put the binary where ENTRYPOINT looks";
  EXPECT_FALSE(array_words(line_after(dockerfile, "CMD")).empty()) << "no exec-form CMD";
}

TEST_F(Examples, DockerEntrypointOptionsAreAccepted) {
  expect_options_accepted(array_words(line_after(example("docker/Dockerfile"), "ENTRYPOINT")),
                          tmp_);
}

TEST_F(Examples, KubernetesPodRunsTheSupervisorAsCommand) {
  std::string pod = example("kubernetes/pod.yaml");
  EXPECT_EQ(line_after(pod, "kind:"), " Pod");
  auto command = array_words(line_after(pod, "command:"));
  ASSERT_FALSE(command.empty()) << "no command: [...]";
  EXPECT_EQ(command[0], "/usr/local/bin/supervisor");
  EXPECT_EQ(command.back(), "--");
  EXPECT_FALSE(array_words(line_after(pod, "args:")).empty());
}

TEST_F(Examples, KubernetesCommandOptionsAreAccepted) {
  expect_options_accepted(array_words(line_after(example("kubernetes/pod.yaml"), "command:")),
                          tmp_);
}

TEST_F(Examples, ReadmeExplainsEachExample) {
  std::string readme = example("README.md");
  for (const char* file :
       {"systemd/nginx-supervisor.service", "docker/Dockerfile", "kubernetes/pod.yaml"}) {
    EXPECT_NE(readme.find(file), std::string::npos) << "README.md does not mention " << file;
  }
}

}  // namespace
}  // namespace e2e
