// Version and requirement parsing for module dependencies.
#include <calyx/modules/semver.hpp>

#include <fmt/format.h>

#include <charconv>

namespace calyx::modules {
namespace {

// Parses "1", "1.2" or "1.2.3" (missing parts are 0); `full` demands all three.
Result<Version> parse_numbers(std::string_view text, bool full) {
  Version version;
  unsigned* parts[] = {&version.major, &version.minor, &version.patch};
  std::string_view rest = text.substr(0, text.find_first_of("-+"));
  int count = 0;
  while (count < 3) {
    auto dot = rest.find('.');
    std::string_view part = rest.substr(0, dot);
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), *parts[count]);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size()) {
      return Error::invalid_argument(fmt::format("'{}' is not a version (expected MAJOR.MINOR.PATCH)", text));
    }
    ++count;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
    if (count == 3) return Error::invalid_argument(fmt::format("'{}' has more than three parts", text));
  }
  if (full && count != 3) {
    return Error::invalid_argument(fmt::format("'{}' is not a version (expected MAJOR.MINOR.PATCH)", text));
  }
  return version;
}

}  // namespace

Result<Version> Version::parse(std::string_view text) { return parse_numbers(text, true); }

std::string Version::to_string() const { return fmt::format("{}.{}.{}", major, minor, patch); }

Result<VersionRequirement> VersionRequirement::parse(std::string_view text) {
  VersionRequirement requirement;
  requirement.text_ = std::string(text);
  std::string_view rest = text;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty() || rest == "*") return requirement;
  struct Prefix {
    std::string_view text;
    Op op;
  };
  static constexpr Prefix prefixes[] = {{">=", Op::at_least}, {"<=", Op::at_most}, {">", Op::greater},
                                        {"<", Op::below},     {"^", Op::caret},     {"~", Op::tilde},
                                        {"=", Op::exact}};
  requirement.op_ = Op::exact;
  for (const auto& prefix : prefixes) {
    if (rest.starts_with(prefix.text)) {
      requirement.op_ = prefix.op;
      rest.remove_prefix(prefix.text.size());
      break;
    }
  }
  auto bound = parse_numbers(rest, false);
  if (!bound) {
    return Error::invalid_argument(fmt::format(
        "'{}' is not a version requirement (use 1.2.3, >=1.2.0, ^1.2, ~1.2.3 or *)", text));
  }
  requirement.bound_ = *bound;
  return requirement;
}

bool VersionRequirement::allows(const Version& v) const {
  switch (op_) {
    case Op::any: return true;
    case Op::exact: return v == bound_;
    case Op::at_least: return v >= bound_;
    case Op::greater: return v > bound_;
    case Op::below: return v < bound_;
    case Op::at_most: return v <= bound_;
    case Op::caret:
      // ^1.2.3: >=1.2.3 <2.0.0; ^0.2.3: >=0.2.3 <0.3.0 (a 0.x minor is a breaking change).
      if (v < bound_) return false;
      return bound_.major != 0 ? v.major == bound_.major : (v.major == 0 && v.minor == bound_.minor);
    case Op::tilde: return v >= bound_ && v.major == bound_.major && v.minor == bound_.minor;
  }
  return false;
}

}  // namespace calyx::modules
