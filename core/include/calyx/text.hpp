// ASCII text helpers shared by core and host: case folding and trimming for protocol tokens, header names,
// CSS values and language tags (never for user-visible text, which is UTF-8).
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace calyx::text {

// `text` with A–Z folded to a–z; other bytes unchanged.
inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// `text` without leading and trailing ASCII whitespace.
inline std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

}  // namespace calyx::text
