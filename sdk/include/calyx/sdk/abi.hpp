// The C++ face of the ABI's basic types: the version the SDK was built against and conversions between
// calyx_str and std::string_view. Thread-safety: pure functions and constants.
#pragma once

#include <calyx/plugin_api.h>

#include <string_view>

namespace calyx::sdk {

struct AbiVersion {
  unsigned major;
  unsigned minor;
};

// The ABI version of the header this module is compiled against.
inline constexpr AbiVersion kAbiVersion{CALYX_ABI_VERSION_MAJOR, CALYX_ABI_VERSION_MINOR};

// A view of a borrowed calyx_str: valid only as long as the call that passed it.
constexpr std::string_view to_string_view(calyx_str s) noexcept {
  return s.data ? std::string_view(s.data, s.len) : std::string_view();
}

// A calyx_str viewing `s`: `s` must outlive every use of the result.
constexpr calyx_str to_calyx_str(std::string_view s) noexcept { return calyx_str{s.data(), s.size()}; }

}  // namespace calyx::sdk
