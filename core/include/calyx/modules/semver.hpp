// Semantic versions of modules ("1.4.2") and the requirements dependencies put on them ("^1.2", ">=1.0.0",
// "~1.4.0", "1.4.2", "*"). Thread-safety: plain values and pure functions.
#pragma once

#include <calyx/result.hpp>

#include <compare>
#include <string>
#include <string_view>

namespace calyx::modules {

struct Version {
  unsigned major = 0, minor = 0, patch = 0;

  // "MAJOR.MINOR.PATCH" (a "-prerelease" or "+build" suffix is accepted and ignored).
  static Result<Version> parse(std::string_view text);
  std::string to_string() const;
  auto operator<=>(const Version&) const = default;
};

class VersionRequirement {
 public:
  // Parses "*", "", "1.2.3", "=1.2.3", ">=1.2", ">1.2.3", "<2.0.0", "<=1.9", "^1.2", "~1.2.3".
  static Result<VersionRequirement> parse(std::string_view text);
  bool allows(const Version& version) const;
  const std::string& text() const { return text_; }

 private:
  enum class Op { any, exact, at_least, greater, below, at_most, caret, tilde };
  Op op_ = Op::any;
  Version bound_;
  std::string text_;
};

}  // namespace calyx::modules
