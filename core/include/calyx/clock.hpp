// The time as Calyx records it: ISO 8601 UTC text for timestamps people read (created_at, applied_at), Unix
// seconds for deadlines the code compares (expires_at, locked_until).
// Thread-safety: pure functions of the system clock.
#pragma once

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace calyx {

inline std::string utc_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace calyx
