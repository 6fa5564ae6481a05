// SPEC 2: every option appears in --help, the README and the man page. --help is the source
// of truth here: every "--name" it lists must be in the other two.
#include <gtest/gtest.h>

#include <fstream>
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
  // Every "--name": two dashes, then lowercase letters and dashes. (No <regex>: g++ 12 gives
  // false -Wmaybe-uninitialized errors inside it under the sanitizers.)
  for (auto pos = help.find("--"); pos != std::string::npos; pos = help.find("--", pos + 2)) {
    auto end = pos + 2;
    while (end < help.size() && (help[end] == '-' || (help[end] >= 'a' && help[end] <= 'z'))) ++end;
    if (end > pos + 3 && help[pos + 2] != '-') names.insert(help.substr(pos, end - pos));
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
  std::string man = read(std::string(SOURCE_DIR) + "/man/supervisor.8");
  ASSERT_FALSE(man.empty());
  // troff: "\-" is a dash, "\fB" "\fI" "\fR" switch fonts.
  std::string plain;
  for (std::size_t i = 0; i < man.size(); ++i) {
    if (man.compare(i, 2, "\\-") == 0) {
      plain += '-';
      ++i;
    } else if (man.compare(i, 2, "\\f") == 0 && i + 2 < man.size()) {
      i += 2;
    } else {
      plain += man[i];
    }
  }
  man = plain;
  for (const auto& name : long_options_in_help()) {
    EXPECT_TRUE(mentions(man, name)) << name << " is not in man/supervisor.8";
  }
}

}  // namespace
}  // namespace sup::core
