// A file compiled into the binary at build time (cmake/CalyxEmbed.cmake): its name and its bytes, which
// live as long as the program. Thread-safety: immutable.
#pragma once

#include <string_view>

namespace calyx {

struct EmbeddedFile {
  std::string_view name;     // path relative to the embedded directory, '/'-separated
  std::string_view content;
};

}  // namespace calyx
