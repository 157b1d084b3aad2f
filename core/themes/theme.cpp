// Theme fields, their validation, inheritance and the stylesheet.
#include <calyx/themes/theme.hpp>

#include <calyx/text.hpp>

#include <calyx/digest.hpp>
#include <calyx/templates/template.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

namespace calyx::themes {
namespace {

bool has_control_characters(std::string_view text, bool allow_newlines) {
  return std::any_of(text.begin(), text.end(), [&](unsigned char c) {
    if (allow_newlines && (c == '\n' || c == '\r' || c == '\t')) return false;
    return c < 0x20 || c == 0x7f;
  });
}

using text::ascii_lower;
using text::trim;

// #rgb, #rrggbb or rgb(r, g, b) with 0–255 components; the result as the three components.
std::optional<std::array<int, 3>> parse_color(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string value = ascii_lower(text);
  if (value.starts_with('#') && (value.size() == 4 || value.size() == 7)) {
    std::array<int, 3> rgb{};
    bool short_form = value.size() == 4;
    for (int i = 0; i < 3; ++i) {
      int high = hex(value[1 + (short_form ? i : 2 * i)]);
      int low = hex(value[short_form ? 1 + i : 2 + 2 * i]);
      if (high < 0 || low < 0) return std::nullopt;
      rgb[i] = high * 16 + low;
    }
    return rgb;
  }
  if (value.starts_with("rgb(") && value.ends_with(')')) {
    std::string_view inner(value);
    inner = inner.substr(4, inner.size() - 5);
    std::array<int, 3> rgb{};
    for (int i = 0; i < 3; ++i) {
      inner = trim(inner);
      std::size_t digits = 0;
      int component = 0;
      while (digits < inner.size() && digits < 4 && std::isdigit(static_cast<unsigned char>(inner[digits]))) {
        component = component * 10 + (inner[digits] - '0');
        ++digits;
      }
      if (digits == 0 || digits > 3 || component > 255) return std::nullopt;
      rgb[i] = component;
      inner = trim(inner.substr(digits));
      if (i < 2) {
        if (inner.empty() || inner.front() != ',') return std::nullopt;
        inner.remove_prefix(1);
      }
    }
    if (!inner.empty()) return std::nullopt;
    return rgb;
  }
  return std::nullopt;
}

Result<std::string> check_color(const FieldSpec& spec, std::string_view value) {
  auto rgb = parse_color(value);
  if (!rgb) {
    return Error::invalid_argument(fmt::format("{}: '{}' is not a colour; use #rgb, #rrggbb or rgb(r, g, b)", spec.label, value));
  }
  std::string text = ascii_lower(value);
  if (text.starts_with("rgb(")) text = fmt::format("rgb({}, {}, {})", (*rgb)[0], (*rgb)[1], (*rgb)[2]);
  return text;
}

// Font names: letters, digits, spaces, dashes and commas, each name optionally in balanced quotes.
Result<std::string> check_font(const FieldSpec& spec, std::string_view value) {
  char open_quote = 0;
  for (char c : value) {
    if (open_quote) {
      if (c == open_quote) open_quote = 0;
      else if (!std::isalnum(static_cast<unsigned char>(c)) && c != ' ' && c != '-') {
        return Error::invalid_argument(fmt::format("{}: a quoted font name holds only letters, digits, spaces and dashes", spec.label));
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      open_quote = c;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ' ' && c != '-' && c != ',') {
      return Error::invalid_argument(fmt::format(
          "{}: '{}' is not allowed in a font list (letters, digits, spaces, dashes, commas and quotes only)", spec.label, c));
    }
  }
  if (open_quote) return Error::invalid_argument(fmt::format("{}: a quote is never closed", spec.label));
  return std::string(value);
}

// https://… with a host, or a path on this site ("/…" but not "//…"); nothing that could leave a CSS
// url("") or an HTML attribute.
Result<std::string> check_url(const FieldSpec& spec, std::string_view value) {
  for (char c : value) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '(' || c == ')' || c == '\\' ||
        c == '<' || c == '>' || static_cast<unsigned char>(c) < 0x20) {
      return Error::invalid_argument(fmt::format("{}: the address may not contain spaces, quotes, brackets or backslashes", spec.label));
    }
  }
  if (value.starts_with('/') && !value.starts_with("//")) return std::string(value);
  std::string text = ascii_lower(value);
  if (text.starts_with("https://") && value.size() > 8 && value[8] != '/') return std::string(value);
  return Error::invalid_argument(
      fmt::format("{}: use an https:// address or a path on this site starting with /", spec.label));
}

// Custom CSS is served in a stylesheet of its own, never inline; still, nothing in it may look like markup,
// fetch from elsewhere, or run script. Comments are checked as if absent, so they cannot split a keyword.
Result<std::string> check_css(const FieldSpec& spec, std::string_view value) {
  if (value.find('<') != std::string_view::npos) {
    return Error::invalid_argument(fmt::format("{}: '<' is not allowed (nothing in a stylesheet needs it)", spec.label));
  }
  if (value.find('\\') != std::string_view::npos) {
    return Error::invalid_argument(fmt::format("{}: backslash escapes are not allowed", spec.label));
  }
  std::string text = ascii_lower(value);
  std::string bare;  // without comments
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "/*") == 0) {
      auto end = text.find("*/", i + 2);
      if (end == std::string::npos) return Error::invalid_argument(fmt::format("{}: a comment is never closed", spec.label));
      i = end + 2;
      continue;
    }
    bare += text[i++];
  }
  // Comments are removed without regard to strings, so a string can fake one ("/*" … "*/"): addresses to other
  // sites are refused wherever they appear, and url() is checked in the text as written too.
  if (text.find("//") != std::string::npos) {
    return Error::invalid_argument(fmt::format("{}: '//' is not allowed (no addresses of other sites)", spec.label));
  }
  for (std::string_view forbidden : {"@import", "expression(", "javascript:", "vbscript:", "behavior:", "behaviour:",
                                     "-moz-binding", "@namespace", "@charset", "image-set(", "image(", "src("}) {
    if (bare.find(forbidden) != std::string::npos || text.find(forbidden) != std::string::npos) {
      return Error::invalid_argument(fmt::format("{}: '{}' is not allowed", spec.label, forbidden));
    }
  }
  for (const std::string* version : {&bare, &text}) {
    for (std::size_t at = version->find("url("); at != std::string::npos; at = version->find("url(", at + 4)) {
      std::string_view target = trim(std::string_view(*version).substr(at + 4));
      if (!target.empty() && (target.front() == '"' || target.front() == '\'')) target.remove_prefix(1);
      if (!target.starts_with('/') || target.starts_with("//")) {
        return Error::invalid_argument(fmt::format("{}: url() may only name a path on this site (starting with /)", spec.label));
      }
    }
  }
  int depth = 0;
  for (char c : bare) {
    if (c == '{') ++depth;
    if (c == '}' && --depth < 0) break;
  }
  if (depth != 0) return Error::invalid_argument(fmt::format("{}: braces are not balanced", spec.label));
  return std::string(value);
}

Result<std::string> check_email(const FieldSpec& spec, std::string_view value) {
  auto at = value.find('@');
  bool ok = at != std::string_view::npos && at > 0 && value.find('@', at + 1) == std::string_view::npos &&
            value.find('.', at) != std::string_view::npos && value.back() != '.' &&
            std::none_of(value.begin(), value.end(), [](unsigned char c) { return std::isspace(c) || c == '<' || c == '>' || c == '"'; });
  if (!ok) return Error::invalid_argument(fmt::format("{}: '{}' is not an email address", spec.label, value));
  return ascii_lower(value);
}

const std::vector<FieldSpec> kFields = {
    {"primary_color", Kind::color, "#6366f1", 40, "Primary colour"},
    {"secondary_color", Kind::color, "#10b981", 40, "Secondary colour"},
    {"accent_color", Kind::color, "#f43f5e", 40, "Accent colour"},
    {"background_color", Kind::color, "#ffffff", 40, "Background colour"},
    {"text_color", Kind::color, "#111827", 40, "Text colour"},
    {"font_family", Kind::font, "system-ui", 200, "Font family"},
    {"heading_font", Kind::font, "", 200, "Heading font"},
    {"logo_url", Kind::url, "", 500, "Logo"},
    {"favicon_url", Kind::url, "", 500, "Favicon"},
    {"login_background_url", Kind::url, "", 500, "Sign-in background"},
    {"company_name", Kind::text, "", 120, "Company name"},
    {"support_email", Kind::email, "", 254, "Support email"},
    {"copyright_text", Kind::text, "", 200, "Copyright text"},
    {"custom_css", Kind::css, "", 20000, "Custom CSS"},
    {"custom_js", Kind::js, "", 50000, "Custom JavaScript"},
};

std::string rgb_triplet(std::string_view color) {
  auto rgb = parse_color(color);
  if (!rgb) return "0 0 0";
  return fmt::format("{} {} {}", (*rgb)[0], (*rgb)[1], (*rgb)[2]);
}

// WCAG 2 relative luminance and contrast ratio.
double luminance(const std::array<int, 3>& rgb) {
  double channels[3];
  for (int i = 0; i < 3; ++i) {
    double c = rgb[i] / 255.0;
    channels[i] = c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  }
  return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
}

double contrast(const std::array<int, 3>& a, const std::array<int, 3>& b) {
  double la = luminance(a), lb = luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

// `color` moved towards black (or white) in small steps until it contrasts `against` by at least 4.5:1 (WCAG
// AA for body text); unchanged when it already does.
std::array<int, 3> readable_on(std::array<int, 3> color, const std::array<int, 3>& against) {
  bool darken = luminance(against) > 0.18;
  for (int step = 0; step < 60 && contrast(color, against) < 4.5; ++step) {
    for (int& c : color) c = darken ? static_cast<int>(c * 0.95) : std::min(255, static_cast<int>(c + (255 - c) * 0.1 + 1));
  }
  return color;
}

std::string hex_of(const std::array<int, 3>& rgb) { return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]); }

}  // namespace

double contrast_ratio(std::string_view a, std::string_view b) {
  auto first = parse_color(a), second = parse_color(b);
  if (!first || !second) return 0;
  return contrast(*first, *second);
}

const std::vector<FieldSpec>& fields() { return kFields; }

const FieldSpec* find_field(std::string_view name) {
  for (const auto& spec : kFields) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool is_image_field(std::string_view field) {
  return std::find(std::begin(kImageFields), std::end(kImageFields), field) != std::end(kImageFields);
}

Result<std::string> validate(std::string_view field, std::string_view raw) {
  const FieldSpec* spec = find_field(field);
  if (!spec) return Error::invalid_argument(fmt::format("'{}' is not a theme field", field));
  bool multiline = spec->kind == Kind::css || spec->kind == Kind::js;
  std::string_view value = multiline ? raw : trim(raw);
  if (value.empty()) return std::string();
  if (value.size() > spec->max_length) {
    return Error::invalid_argument(fmt::format("{}: at most {} characters", spec->label, spec->max_length));
  }
  if (has_control_characters(value, multiline)) {
    return Error::invalid_argument(fmt::format("{}: control characters are not allowed", spec->label));
  }
  switch (spec->kind) {
    case Kind::color: return check_color(*spec, value);
    case Kind::font: return check_font(*spec, value);
    case Kind::url: return check_url(*spec, value);
    case Kind::css: return check_css(*spec, value);
    case Kind::email: return check_email(*spec, value);
    case Kind::js:
      // Served as its own file with a JavaScript type; "</script" can end nothing there, but keep it out so a
      // copy pasted into a page by hand cannot either.
      if (ascii_lower(value).find("</script") != std::string::npos) {
        return Error::invalid_argument(fmt::format("{}: '</script' is not allowed", spec->label));
      }
      return std::string(value);
    case Kind::text: return std::string(value);
  }
  return std::string(value);
}

Checked validate_all(const Values& input) {
  Checked checked;
  for (const auto& [field, value] : input) {
    auto normalized = validate(field, value);
    if (!normalized) {
      checked.refusals.push_back({field, normalized.error().message()});
      continue;
    }
    if (!normalized->empty()) checked.values[field] = std::move(*normalized);
  }
  return checked;
}

std::string_view Resolved::get(std::string_view field) const {
  auto it = values.find(field);
  return it == values.end() ? std::string_view() : std::string_view(it->second);
}

std::string_view Resolved::heading_font() const {
  auto heading = get("heading_font");
  return heading.empty() ? get("font_family") : heading;
}

Resolved resolve(const std::vector<const Values*>& chain) {
  Resolved theme;
  if (!chain.empty() && chain.front()) theme.own = *chain.front();
  for (const auto& spec : kFields) {
    std::string value(spec.default_value);
    for (const Values* level : chain) {
      if (!level) continue;
      // Custom JavaScript is never inherited: a platform admin allows one workspace's script, not its parent's.
      if (spec.kind == Kind::js && level != chain.front()) break;
      if (auto it = level->find(spec.name); it != level->end() && !it->second.empty()) {
        value = it->second;
        break;
      }
    }
    theme.values.emplace(std::string(spec.name), std::move(value));
  }
  std::string serialized = to_json(theme.values);
  theme.etag = hex_digest(serialized, 8);
  return theme;
}

std::string stylesheet(const Resolved& theme) {
  std::string css = ":root {\n";
  for (std::string_view name : {"primary", "secondary", "accent", "background", "text"}) {
    std::string field = std::string(name) + "_color";
    css += fmt::format("  --color-{0}: {1};\n  --color-{0}-rgb: {2};\n", name, theme.get(field), rgb_triplet(theme.get(field)));
  }
  // Derived colours that keep text readable whatever the tenant chose: filled buttons (primary, darkened if
  // white text would not contrast 4.5:1 on it, unless dark text does) and links (primary against the background).
  constexpr std::array<int, 3> white{255, 255, 255}, ink{17, 24, 39};
  auto primary = parse_color(theme.get("primary_color")).value_or(std::array<int, 3>{99, 102, 241});
  auto background = parse_color(theme.get("background_color")).value_or(white);
  std::array<int, 3> strong = primary, on_primary = white;
  if (contrast(primary, white) < 4.5) {
    if (contrast(primary, ink) >= 4.5) on_primary = ink;
    else strong = readable_on(primary, white);
  }
  auto link = readable_on(primary, background);
  for (const auto& [name, rgb] : {std::pair{"primary-strong", strong}, std::pair{"on-primary", on_primary}, std::pair{"link", link}}) {
    css += fmt::format("  --color-{0}: {1};\n  --color-{0}-rgb: {2} {3} {4};\n", name, hex_of(rgb), rgb[0], rgb[1], rgb[2]);
  }
  css += fmt::format("  --font-family: {};\n  --font-heading: {};\n", theme.get("font_family"), theme.heading_font());
  if (auto background = theme.get("login_background_url"); !background.empty()) {
    css += fmt::format("  --login-background: url(\"{}\");\n", background);
  } else {
    css += "  --login-background: none;\n";
  }
  css += "}\n";
  if (auto custom = theme.get("custom_css"); !custom.empty()) {
    css += "\n/* the tenant's custom CSS */\n";
    css += custom;
    css += '\n';
  }
  return css;
}

std::string email_html(const Resolved& theme, std::string_view brand, std::string_view subject, std::string_view text,
                       std::string_view base_url) {
  using templates::escape_html;
  std::string primary(theme.get("primary_color")), background(theme.get("background_color")),
      ink(theme.get("text_color")), font(theme.get("font_family")), heading(theme.heading_font());
  // Paragraphs from blank lines; lines kept; links made clickable (the escaped text holds no quotes to break out).
  std::string body, paragraph;
  auto flush = [&] {
    if (!paragraph.empty()) body += fmt::format("<p style=\"margin:0 0 16px\">{}</p>\n", paragraph);
    paragraph.clear();
  };
  std::string_view rest = text;
  while (!rest.empty() || !paragraph.empty()) {
    auto end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (line.empty() || line == "\r") {
      flush();
      if (rest.empty()) break;
      continue;
    }
    std::string escaped = escape_html(line), linked;
    for (std::size_t at = 0; at < escaped.size();) {
      auto start = escaped.find("http", at);
      if (start == std::string::npos || (escaped.compare(start, 7, "http://") != 0 && escaped.compare(start, 8, "https://") != 0)) {
        linked += escaped.substr(at, start == std::string::npos ? std::string::npos : start + 4 - at);
        if (start == std::string::npos) break;
        at = start + 4;
        continue;
      }
      auto stop = escaped.find_first_of(" \t", start);
      std::string url = escaped.substr(start, stop == std::string::npos ? std::string::npos : stop - start);
      linked += escaped.substr(at, start - at) + fmt::format("<a href=\"{0}\" style=\"color:{1}\">{0}</a>", url, primary);
      at = stop == std::string::npos ? escaped.size() : stop;
    }
    paragraph += (paragraph.empty() ? "" : "<br>\n") + linked;  // short lines: mail allows at most 998 octets
    if (rest.empty()) flush();
  }
  std::string logo(theme.get("logo_url"));
  if (logo.starts_with('/')) logo = base_url.empty() ? std::string() : std::string(base_url) + logo;
  std::string masthead = logo.empty()
                             ? fmt::format("<strong style=\"font-family:{};font-size:20px;color:{}\">{}</strong>", escape_html(heading),
                                           primary, escape_html(brand))
                             : fmt::format("<img src=\"{}\" alt=\"{}\" height=\"40\" style=\"height:40px;border:0\">", escape_html(logo),
                                           escape_html(brand));
  std::string copyright(theme.get("copyright_text"));
  if (copyright.empty()) copyright = "© " + std::string(brand);
  std::string support(theme.get("support_email"));
  return fmt::format(
      R"(<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{subject}</title>
<style>:root {{ --color-primary: {primary}; --color-background: {background}; --color-text: {ink}; --font-family: {css_font}; }}</style>
</head>
<body style="margin:0;padding:0;background:{background};color:{ink};font-family:{font}">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:{background}"><tr><td align="center" style="padding:24px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;width:100%;background:#ffffff;border-top:4px solid {primary};border-radius:8px">
<tr><td style="padding:24px 24px 8px">{masthead}</td></tr>
<tr><td style="padding:8px 24px 8px;font-family:{font};font-size:15px;line-height:1.5;color:#111827">{body}</td></tr>
</table>
<p style="font-family:{font};font-size:12px;color:{ink};margin:16px 0 0">{copyright}{support}</p>
</td></tr></table>
</body></html>
)",
      fmt::arg("subject", escape_html(subject)), fmt::arg("primary", primary), fmt::arg("background", background),
      fmt::arg("ink", ink), fmt::arg("font", escape_html(font)), fmt::arg("css_font", font),  // validated: no markup
      fmt::arg("masthead", masthead), fmt::arg("body", body),
      fmt::arg("copyright", escape_html(copyright)),
      fmt::arg("support", support.empty() ? std::string() : fmt::format(" · <a href=\"mailto:{0}\" style=\"color:{1}\">{0}</a>",
                                                                        escape_html(support), primary)));
}

Result<Image> check_image(std::string_view bytes) {
  if (bytes.empty()) return Error::invalid_argument("the file is empty");
  if (bytes.size() > kMaxImageBytes) {
    return Error::invalid_argument(fmt::format("the file is {} KiB; images may be at most {} KiB", bytes.size() / 1024,
                                               kMaxImageBytes / 1024));
  }
  auto starts = [&](std::string_view magic) { return bytes.substr(0, magic.size()) == magic; };
  if (starts(std::string_view("\x89PNG\r\n\x1a\n", 8))) return Image{"image/png"};
  if (starts("\xff\xd8\xff")) return Image{"image/jpeg"};
  if (starts("GIF87a") || starts("GIF89a")) return Image{"image/gif"};
  if (starts("RIFF") && bytes.size() >= 12 && bytes.substr(8, 4) == "WEBP") return Image{"image/webp"};
  if (starts(std::string_view("\x00\x00\x01\x00", 4))) return Image{"image/x-icon"};
  return Error::invalid_argument("only PNG, JPEG, GIF, WebP and ICO images are accepted (SVG can carry script)");
}

std::string to_json(const Values& values) {
  boost::json::object object;
  for (const auto& [field, value] : values) object[field] = value;
  return boost::json::serialize(object);
}

Result<Values> from_json(std::string_view json) {
  Values values;
  if (json.empty()) return values;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(json, ec);
  if (ec || !parsed.is_object()) return Error::invalid_argument("the stored theme is not a JSON object");
  for (const auto& [field, value] : parsed.as_object()) {
    if (value.is_string() && find_field(field)) values[std::string(field)] = std::string(value.as_string());
  }
  return values;
}

}  // namespace calyx::themes
