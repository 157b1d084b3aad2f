// The Markdown renderer: block structure line by line, inline markup within each block.
#include "markdown.hpp"

#include <calyx/sdk/text.hpp>

#include <vector>

namespace blog {
namespace {

using calyx::sdk::escape_html;

bool safe_url(std::string_view url) {
  if (url.starts_with("https://") || url.starts_with("http://") || url.starts_with("mailto:")) return true;
  if (url.starts_with("/") && !url.starts_with("//")) return true;
  if (url.starts_with("#")) return true;
  return url.find(':') == std::string_view::npos && !url.empty();  // relative, no scheme at all
}

// Inline markup of already-split text: `code`, **strong**, *em* / _em_, [text](url).
std::string inline_html(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  auto find_close = [&](std::string_view marker, std::size_t from) { return text.find(marker, from); };
  while (i < text.size()) {
    char c = text[i];
    if (c == '`') {
      auto close = find_close("`", i + 1);
      if (close != std::string_view::npos) {
        out += "<code>" + escape_html(text.substr(i + 1, close - i - 1)) + "</code>";
        i = close + 1;
        continue;
      }
    }
    if (text.substr(i, 2) == "**") {
      auto close = find_close("**", i + 2);
      if (close != std::string_view::npos && close > i + 2) {
        out += "<strong>" + inline_html(text.substr(i + 2, close - i - 2)) + "</strong>";
        i = close + 2;
        continue;
      }
    }
    if ((c == '*' || c == '_') && i + 1 < text.size() && text[i + 1] != ' ') {
      auto close = find_close(std::string_view(&text[i], 1), i + 1);
      if (close != std::string_view::npos && close > i + 1) {
        out += "<em>" + inline_html(text.substr(i + 1, close - i - 1)) + "</em>";
        i = close + 1;
        continue;
      }
    }
    if (c == '[') {
      auto close = find_close("](", i + 1);
      // The target ends at the ")" that balances its "(": URLs may hold parentheses.
      auto end = std::string_view::npos;
      for (std::size_t j = close == std::string_view::npos ? text.size() : close + 2, depth = 0; j < text.size(); ++j) {
        if (text[j] == '(') ++depth;
        if (text[j] == ')' && depth-- == 0) {
          end = j;
          break;
        }
      }
      if (end != std::string_view::npos) {
        std::string_view label = text.substr(i + 1, close - i - 1);
        std::string_view url = text.substr(close + 2, end - close - 2);
        if (safe_url(url)) {
          out += "<a href=\"" + escape_html(url) + "\" rel=\"nofollow noopener\">" + inline_html(label) + "</a>";
        } else {
          out += inline_html(label);  // an unsafe link keeps its text, loses its target
        }
        i = end + 1;
        continue;
      }
    }
    out += escape_html(std::string_view(&c, 1));
    ++i;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "1. item" → the text after the marker, or npos.
std::size_t ordered_marker(std::string_view line) {
  std::size_t digits = 0;
  while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9') ++digits;
  if (digits == 0 || digits + 1 >= line.size() || line[digits] != '.' || line[digits + 1] != ' ') return std::string_view::npos;
  return digits + 2;
}

}  // namespace

std::string markdown_to_html(std::string_view markdown) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= markdown.size()) {
    auto end = markdown.find('\n', start);
    if (end == std::string_view::npos) end = markdown.size();
    lines.push_back(markdown.substr(start, end - start));
    start = end + 1;
  }
  std::string out, paragraph;
  std::string list;  // "ul" or "ol" while inside a list
  auto flush_paragraph = [&] {
    if (!paragraph.empty()) out += "<p>" + inline_html(paragraph) + "</p>\n";
    paragraph.clear();
  };
  auto close_list = [&] {
    if (!list.empty()) out += "</" + list + ">\n";
    list.clear();
  };
  for (std::size_t n = 0; n < lines.size(); ++n) {
    std::string_view line = trim(lines[n]);
    if (line.starts_with("```")) {
      flush_paragraph();
      close_list();
      std::string code;
      for (++n; n < lines.size() && !trim(lines[n]).starts_with("```"); ++n) {
        code += std::string(lines[n]) + "\n";
      }
      out += "<pre><code>" + escape_html(code) + "</code></pre>\n";
      continue;
    }
    if (line.empty()) {
      flush_paragraph();
      close_list();
      continue;
    }
    std::size_t level = 0;
    while (level < line.size() && level < 7 && line[level] == '#') ++level;
    if (level >= 1 && level <= 6 && level < line.size() && line[level] == ' ') {
      flush_paragraph();
      close_list();
      auto tag = "h" + std::to_string(level);
      out += "<" + tag + ">" + inline_html(trim(line.substr(level))) + "</" + tag + ">\n";
      continue;
    }
    if (line == "---" || line == "***") {
      flush_paragraph();
      close_list();
      out += "<hr>\n";
      continue;
    }
    if (line.starts_with("> ") || line == ">") {
      flush_paragraph();
      close_list();
      out += "<blockquote><p>" + inline_html(trim(line.substr(1))) + "</p></blockquote>\n";
      continue;
    }
    bool bullet = line.starts_with("- ") || line.starts_with("* ");
    std::size_t ordered = ordered_marker(line);
    if (bullet || ordered != std::string_view::npos) {
      flush_paragraph();
      std::string kind = bullet ? "ul" : "ol";
      if (list != kind) {
        close_list();
        out += "<" + kind + ">\n";
        list = kind;
      }
      out += "<li>" + inline_html(trim(line.substr(bullet ? 2 : ordered))) + "</li>\n";
      continue;
    }
    close_list();
    if (!paragraph.empty()) paragraph += ' ';
    paragraph += std::string(line);
  }
  flush_paragraph();
  close_list();
  return out;
}

std::string excerpt(std::string_view markdown, std::size_t limit) {
  std::string text;
  bool space = false;
  for (char c : markdown) {
    if (c == '#' || c == '*' || c == '_' || c == '`' || c == '>' || c == '[' || c == ']') continue;
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !text.empty();
      continue;
    }
    if (space) text += ' ';
    space = false;
    text += c;
    if (text.size() >= limit) {
      // Do not cut a UTF-8 sequence in half.
      while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
      if (!text.empty() && (static_cast<unsigned char>(text.back()) & 0x80)) text.pop_back();
      return text + "…";
    }
  }
  return text;
}

}  // namespace blog
