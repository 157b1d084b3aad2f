// Text helpers for module authors: HTML escaping, URL decoding, query/form parsing, JSON string escaping.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace calyx::sdk {

// `text` safe to put in HTML element content and in quoted attribute values.
inline std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Decodes %XX escapes, and '+' as a space when `plus_is_space` (form bodies and query strings).
inline std::string url_decode(std::string_view text, bool plus_is_space = true) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// Encodes everything but unreserved characters (RFC 3986) as %XX.
inline std::string url_encode(std::string_view text) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

// Parses `a=1&b=two` (a query string or an application/x-www-form-urlencoded body), decoded, in order.
inline std::vector<std::pair<std::string, std::string>> parse_form(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start < text.size()) {
    auto amp = text.find('&', start);
    if (amp == std::string_view::npos) amp = text.size();
    std::string_view pair = text.substr(start, amp - start);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      pairs.emplace_back(url_decode(pair.substr(0, eq)),
                         eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1)));
    }
    start = amp + 1;
  }
  return pairs;
}

// Appends `text` to `out` as a JSON string literal. Runs of characters that need no escape are copied whole.
inline void append_json_quoted(std::string& out, std::string_view text) {
  static const char digits[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending run of plain characters
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    // <>& escaped so JSON is safe inside HTML too
    bool plain = c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
    if (plain) continue;
    out.append(text.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += digits[c >> 4];
        out += digits[c & 15];
    }
  }
  out.append(text.substr(run));
  out += '"';
}

// `text` as a JSON string literal, quotes included.
inline std::string json_quote(std::string_view text) {
  std::string out;
  append_json_quoted(out, text);
  return out;
}

}  // namespace calyx::sdk
