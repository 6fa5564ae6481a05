// The visitor idiom for std::variant: std::visit(Overloaded{[](const A&) {…}, …}, v).
#pragma once

namespace sup {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace sup
