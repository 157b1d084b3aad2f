// HTML escaping for text the host puts into its own pages. Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace calyx::web {

// `text` with & < > " ' replaced by entities: safe in element content and in quoted attribute values.
std::string escape_html(std::string_view text);

}  // namespace calyx::web
