// The SQL backends Calyx runs on. Every difference between them lives in calyx/db/dialect.hpp.
#pragma once

#include <string_view>

namespace calyx::db {

enum class Backend { sqlite, postgresql };

constexpr std::string_view to_string(Backend backend) {
  return backend == Backend::sqlite ? "sqlite" : "postgresql";
}

}  // namespace calyx::db
