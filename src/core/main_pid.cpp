#include "core/main_pid.hpp"

#include <algorithm>

namespace sup::core {
namespace {

const ProcInfo* find(const ElectionInput& in, int pid) {
  for (const auto& p : in.app) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

Election elected(int pid, std::string source) {
  Election e;
  e.kind = Election::Kind::kElected;
  e.pid = pid;
  e.source = std::move(source);
  return e;
}

// With in.adopts_strangers, whether p's session is one the app's processes can be in.
bool tied_to_app(const ElectionInput& in, const ProcInfo& p) {
  if (!in.adopts_strangers) return true;
  if (p.session == in.self_session || p.session == p.pid || p.session == in.exited) return true;
  return std::find(in.predecessors.begin(), in.predecessors.end(), p.session) !=
         in.predecessors.end();
}

}  // namespace

bool suitable_main_pid(const ElectionInput& in, int pid) {
  if (pid <= 1 || pid == in.self) return false;
  const ProcInfo* p = find(in, pid);
  return p != nullptr && p->state != 'Z' && p->state != 'X';
}

Election elect_main_pid(const ElectionInput& in) {
  std::vector<std::string> refused;
  auto try_hint = [&](const std::optional<int>& hint, const char* source) -> bool {
    if (!hint) return false;
    if (suitable_main_pid(in, *hint)) return true;
    refused.push_back(std::string(source) + " names pid " + std::to_string(*hint) +
                      ", which is not a live process of the app");
    return false;
  };

  Election result;
  if (try_hint(in.pidfile_pid, "pidfile")) {
    result = elected(*in.pidfile_pid, "pidfile");
  } else {
    auto alive = std::find_if(in.predecessors.rbegin(), in.predecessors.rend(),
                              [&](int pid) { return suitable_main_pid(in, pid); });
    if (alive != in.predecessors.rend()) {
      result = elected(*alive, "predecessor");
    } else if (!in.main_failed) {
      std::vector<int> heirs, unexeced;
      for (const auto& p : in.app) {
        if (p.ppid != in.self || p.exe != in.exe || !suitable_main_pid(in, p.pid) ||
            !tied_to_app(in, p)) {
          continue;
        }
        (p.forked_no_exec ? unexeced : heirs).push_back(p.pid);
      }
      // Several could each be the heir (workers of a launcher, say): never guess between
      // them (issue 2), even by age. A child that has not exec'd is no heir yet: a shell's
      // background job before its exec runs the shell too (issue 12).
      if (heirs.size() == 1) {
        result = elected(heirs[0], "child");
      } else if (heirs.size() > 1) {
        result.kind = Election::Kind::kAmbiguous;
        result.candidates = std::move(heirs);
      } else if (!unexeced.empty() && in.await_exec) {
        result.kind = Election::Kind::kPending;
        result.candidates = std::move(unexeced);
      } else if (unexeced.size() == 1 && in.exec_wait_over) {
        result = elected(unexeced[0], "child");  // a daemon, forked without exec
      } else if (unexeced.size() > 1 && in.exec_wait_over) {
        result.kind = Election::Kind::kAmbiguous;
        result.candidates = std::move(unexeced);
      }
    }
  }
  result.refused = std::move(refused);
  return result;
}

}  // namespace sup::core
