#include "util/result.hpp"

#include <cstring>

namespace sup {

Error errno_error(std::string_view what, int err) {
  return Error{err, std::string(what) + ": " + std::strerror(err)};
}

Error logic_error(std::string message) { return Error{0, std::move(message)}; }

}  // namespace sup
