// Signal names and numbers, checked against the real <signal.h> constants.
#include "core/signal_names.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <csignal>
#include <string>

namespace sup::core {
namespace {

struct Std {
  const char* name;
  int number;
};

// Every standard Linux signal, with the value from the system headers.
const Std kStandard[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"BUS", SIGBUS},     {"FPE", SIGFPE},
    {"KILL", SIGKILL},   {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},     {"TERM", SIGTERM},   {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD},   {"CONT", SIGCONT},     {"STOP", SIGSTOP},   {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},     {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"WINCH", SIGWINCH},
    {"IO", SIGIO},       {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(ParseSignal, EveryStandardNameMatchesSignalH) {
  for (const auto& s : kStandard) {
    const std::string name = s.name;
    for (const std::string& text :
         {name, "SIG" + name, lower(name), lower("SIG" + name), "Sig" + lower(name)}) {
      const auto got = parse_signal(text);
      ASSERT_TRUE(got.has_value()) << text;
      EXPECT_EQ(*got, s.number) << text;
    }
  }
}

TEST(ParseSignal, Aliases) {
  EXPECT_EQ(parse_signal("IOT"), SIGIOT);
  EXPECT_EQ(parse_signal("SIGIOT"), SIGABRT);
  EXPECT_EQ(parse_signal("POLL"), SIGPOLL);
  EXPECT_EQ(parse_signal("sigpoll"), SIGIO);
  EXPECT_EQ(parse_signal("CLD"), SIGCHLD);
  EXPECT_EQ(parse_signal("SIGCLD"), SIGCHLD);
}

TEST(ParseSignal, Numbers) {
  for (const auto& s : kStandard) {
    EXPECT_EQ(parse_signal(std::to_string(s.number)), s.number) << s.name;
  }
  for (int n = 1; n <= 64; ++n) EXPECT_EQ(parse_signal(std::to_string(n)), n) << n;
  EXPECT_EQ(parse_signal("15"), SIGTERM);
  EXPECT_EQ(parse_signal("9"), SIGKILL);
}

TEST(ParseSignal, Realtime) {
  EXPECT_EQ(parse_signal("RTMIN"), SIGRTMIN);
  EXPECT_EQ(parse_signal("SIGRTMIN"), SIGRTMIN);
  EXPECT_EQ(parse_signal("rtmin"), SIGRTMIN);
  EXPECT_EQ(parse_signal("RTMAX"), SIGRTMAX);
  EXPECT_EQ(parse_signal("SIGRTMAX"), SIGRTMAX);
  for (int n = 0; SIGRTMIN + n <= SIGRTMAX; ++n) {
    const std::string plus = "RTMIN+" + std::to_string(n);
    const std::string minus = "SIGRTMAX-" + std::to_string(n);
    EXPECT_EQ(parse_signal(plus), SIGRTMIN + n) << plus;
    EXPECT_EQ(parse_signal(minus), SIGRTMAX - n) << minus;
    EXPECT_EQ(parse_signal(lower(minus)), SIGRTMAX - n) << minus;
  }
  EXPECT_EQ(parse_signal("RTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(parse_signal("RTMAX-2"), SIGRTMAX - 2);
}

TEST(ParseSignal, Invalid) {
  const std::string cases[] = {
      "",          "0",          "65",         "-1",        "-15",       "+15",
      "99",        "15x",        "x15",        " 15",       "15 ",       " TERM",
      "TERM ",     "SIG",        "sig",        "SIGSIGTERM", "TERMINATE", "TER",
      "NOSUCHSIG", "SIG15",      "RTMIN+",     "RTMIN-1",   "RTMAX+1",   "RTMAX-",
      "RTMIN+x",   "RTMIN+99",   "RTMAX-99",   "RTMINX",    "RTMIN++1",  "RTMIN+-1",
      "SIGRTMIN+31", "SIGRTMAX-31", "1.5",     "0x0f",      "SIG TERM",  "SIG-TERM",
      "NULL",      "EXIT",
  };
  for (const auto& text : cases) {
    EXPECT_FALSE(parse_signal(text).has_value()) << "'" << text << "'";
  }
}

TEST(SignalName, StandardNames) {
  for (const auto& s : kStandard) {
    EXPECT_EQ(signal_name(s.number), std::string("SIG") + s.name) << s.number;
  }
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  // The canonical names, not the aliases.
  EXPECT_EQ(signal_name(SIGABRT), "SIGABRT");
  EXPECT_EQ(signal_name(SIGCHLD), "SIGCHLD");
  EXPECT_EQ(signal_name(SIGIO), "SIGIO");
}

TEST(SignalName, Realtime) {
  EXPECT_EQ(signal_name(SIGRTMIN), "SIGRTMIN");
  EXPECT_EQ(signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
}

TEST(SignalName, Unknown) {
  for (int sig : {0, -1, 65, 99, 1000}) {
    const std::string name = signal_name(sig);
    EXPECT_NE(name.find(std::to_string(sig)), std::string::npos) << name;
    EXPECT_EQ(name.rfind("SIG", 0), std::string::npos) << name;
  }
  EXPECT_EQ(signal_name(99), "signal 99");
}

TEST(SignalName, RoundTrips) {
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig > SIGSYS && sig < SIGRTMIN) continue;  // 32, 33: reserved by NPTL, no name
    const std::string name = signal_name(sig);
    EXPECT_EQ(name.rfind("SIG", 0), 0u) << sig << " -> " << name;
    const auto back = parse_signal(name);
    ASSERT_TRUE(back.has_value()) << sig << " -> " << name;
    EXPECT_EQ(*back, sig) << sig << " -> " << name;
    // Without the prefix too.
    EXPECT_EQ(parse_signal(name.substr(3)), sig) << name;
  }
}

// fuzz_signal (issue 12): 32 and 33 parse as numbers but have no name; they print as
// "signal N", whose number parses back.
TEST(SignalName, NptlsReservedNumbersParseAndPrintAsNumbers) {
  for (int sig : {32, 33}) {
    EXPECT_EQ(parse_signal(std::to_string(sig)), sig);
    EXPECT_EQ(signal_name(sig), "signal " + std::to_string(sig));
    EXPECT_EQ(parse_signal(signal_name(sig)), std::nullopt) << "not a name to give back";
  }
}

TEST(IsJobControl, TerminalStopSignalsOnly) {
  for (int sig : {SIGTSTP, SIGTTIN, SIGTTOU}) EXPECT_TRUE(is_job_control(sig)) << sig;
  for (int sig : {SIGHUP, SIGINT, SIGSTOP, SIGCONT, SIGTERM, SIGWINCH}) {
    EXPECT_FALSE(is_job_control(sig)) << sig;
  }
}

}  // namespace
}  // namespace sup::core
