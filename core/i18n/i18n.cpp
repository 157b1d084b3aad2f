// The interface languages and the Brazilian Portuguese catalogue (core/i18n/pt_br.inc).
#include <calyx/i18n/i18n.hpp>

#include <calyx/text.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <unordered_map>

namespace calyx::i18n {
namespace {

const std::unordered_map<std::string_view, std::string_view>& portuguese() {
  static const std::unordered_map<std::string_view, std::string_view> catalogue{
#include "i18n/pt_br.inc"
  };
  return catalogue;
}

using text::trim;

// A language tag as one of ours: en, en-US → "en"; pt, pt-BR, pt-PT → "pt-BR"; others → "".
std::string_view ours(std::string_view tag) {
  std::string language = text::ascii_lower(tag.substr(0, tag.find('-')));
  if (language == "en") return "en";
  if (language == "pt") return "pt-BR";
  return {};
}

}  // namespace

bool supported(std::string_view locale) { return locale == "en" || locale == "pt-BR"; }

std::string supported_list() { return "en, pt-BR"; }

std::string from_accept_language(std::string_view header) {
  std::string best;
  double best_quality = 0;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    auto semicolon = item.find(';');
    std::string_view tag = trim(item.substr(0, semicolon));
    double quality = 1;
    if (semicolon != std::string_view::npos) {
      std::string_view parameter = trim(item.substr(semicolon + 1));
      if (parameter.starts_with("q=")) quality = std::strtod(std::string(parameter.substr(2)).c_str(), nullptr);
    }
    std::string_view locale = ours(tag);
    if (!locale.empty() && quality > best_quality) {
      best = locale;
      best_quality = quality;
    }
  }
  return best;
}

std::string_view text(std::string_view locale, std::string_view english) {
  if (locale != "pt-BR") return english;
  const auto& catalogue = portuguese();
  auto it = catalogue.find(english);
  return it == catalogue.end() ? english : it->second;
}

}  // namespace calyx::i18n
