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
    } else if (!in.main_crashed) {
      std::vector<const ProcInfo*> children;
      for (const auto& p : in.app) {
        if (p.ppid == in.self && p.exe == in.exe && suitable_main_pid(in, p.pid)) {
          children.push_back(&p);
        }
      }
      // Several could each be the heir (workers of a launcher, say): never guess between
      // them (issue 2), even by age.
      if (children.size() == 1) {
        result = elected(children[0]->pid, "child");
      } else if (children.size() > 1) {
        result.kind = Election::Kind::kAmbiguous;
        for (const auto* c : children) result.candidates.push_back(c->pid);
      }
    }
  }
  result.refused = std::move(refused);
  return result;
}

}  // namespace sup::core
