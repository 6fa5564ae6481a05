#include "core/signal_names.hpp"

#include <array>
#include <cctype>

#include "util/strings.hpp"

namespace sup::core {
namespace {

struct Named {
  std::string_view name;
  int number;
};

// Linux x86/arm generic numbering (signal(7)); the core stays free of <signal.h>, and a unit
// test checks this table against the real constants.
constexpr std::array<Named, 31> kSignals{{
    {"HUP", 1},     {"INT", 2},     {"QUIT", 3},    {"ILL", 4},     {"TRAP", 5},
    {"ABRT", 6},    {"BUS", 7},     {"FPE", 8},     {"KILL", 9},    {"USR1", 10},
    {"SEGV", 11},   {"USR2", 12},   {"PIPE", 13},   {"ALRM", 14},   {"TERM", 15},
    {"STKFLT", 16}, {"CHLD", 17},   {"CONT", 18},   {"STOP", 19},   {"TSTP", 20},
    {"TTIN", 21},   {"TTOU", 22},   {"URG", 23},    {"XCPU", 24},   {"XFSZ", 25},
    {"VTALRM", 26}, {"PROF", 27},   {"WINCH", 28},  {"IO", 29},     {"PWR", 30},
    {"SYS", 31},
}};
constexpr int kSigTstp = 20, kSigTtin = 21, kSigTtou = 22;
constexpr int kRtMin = 34;  // glibc's SIGRTMIN (the kernel's 32 and 33 are taken by NPTL)
constexpr int kRtMax = 64;

}  // namespace

std::optional<int> parse_signal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(text.front())) != 0) {
    auto n = parse_int(text, 1, kRtMax);
    if (!n) return std::nullopt;
    return static_cast<int>(*n);
  }
  std::string upper;
  for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string_view name = upper;
  if (starts_with(name, "SIG")) name.remove_prefix(3);
  for (const auto& s : kSignals) {
    if (s.name == name) return s.number;
  }
  if (name == "IOT") return 6;
  if (name == "POLL") return 29;
  if (name == "CLD") return 17;
  if (starts_with(name, "RTMIN")) {
    std::string_view rest = name.substr(5);
    if (rest.empty()) return kRtMin;
    if (rest.front() != '+') return std::nullopt;
    auto n = parse_int(rest.substr(1), 0, kRtMax - kRtMin);
    if (!n) return std::nullopt;
    return kRtMin + static_cast<int>(*n);
  }
  if (starts_with(name, "RTMAX")) {
    std::string_view rest = name.substr(5);
    if (rest.empty()) return kRtMax;
    if (rest.front() != '-') return std::nullopt;
    auto n = parse_int(rest.substr(1), 0, kRtMax - kRtMin);
    if (!n) return std::nullopt;
    return kRtMax - static_cast<int>(*n);
  }
  return std::nullopt;
}

std::string signal_name(int sig) {
  for (const auto& s : kSignals) {
    if (s.number == sig) return "SIG" + std::string(s.name);
  }
  if (sig >= kRtMin && sig <= kRtMax) {
    if (sig == kRtMin) return "SIGRTMIN";
    return "SIGRTMIN+" + std::to_string(sig - kRtMin);
  }
  return "signal " + std::to_string(sig);
}

bool is_job_control(int sig) { return sig == kSigTstp || sig == kSigTtin || sig == kSigTtou; }

}  // namespace sup::core
