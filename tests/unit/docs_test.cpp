// SPEC 2: every option appears in --help, the README and the man page. --help is the source
// of truth here: every "--name" it lists must be in the other two.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "core/config.hpp"

namespace sup::core {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::set<std::string> long_options_in_help() {
  std::set<std::string> names;
  // The options part only: the examples at the end pass options of the app (x0d --no-fork).
  const std::string all = usage_text();
  const std::string help = all.substr(0, all.find("\nexit status:"));
  const std::regex option(R"(--[a-z][a-z-]+)");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), option);
       it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

// Whether text names the option itself, not merely a longer one that starts with it
// (--restart in --restart-on-crash).
bool mentions(const std::string& text, const std::string& name) {
  for (auto pos = text.find(name); pos != std::string::npos; pos = text.find(name, pos + 1)) {
    const auto end = pos + name.size();
    if (end == text.size() || (text[end] != '-' && (text[end] < 'a' || text[end] > 'z'))) {
      return true;
    }
  }
  return false;
}

TEST(Docs, HelpListsOptions) { EXPECT_GE(long_options_in_help().size(), 25u); }

TEST(Docs, EveryOptionOfHelpIsInTheReadme) {
  const std::string readme = read(std::string(SOURCE_DIR) + "/README.md");
  ASSERT_FALSE(readme.empty());
  for (const auto& name : long_options_in_help()) {
    EXPECT_TRUE(mentions(readme, name)) << name << " is not in README.md";
  }
}

TEST(Docs, EveryOptionOfHelpIsInTheManPage) {
  std::string man = read(std::string(SOURCE_DIR) + "/man/supervisor.1");
  ASSERT_FALSE(man.empty());
  man = std::regex_replace(man, std::regex(R"(\\-)"), "-");
  man = std::regex_replace(man, std::regex(R"(\\f[BIR])"), "");
  for (const auto& name : long_options_in_help()) {
    EXPECT_TRUE(mentions(man, name)) << name << " is not in man/supervisor.1";
  }
}

}  // namespace
}  // namespace sup::core
