// White-label themes (the seed's §5): the fields a tenant may set, how each is validated, how a child tenant
// inherits what it leaves unset, and the stylesheet the host serves for a tenant.
// Nothing here touches the database: Tenancy stores themes, the host resolves and serves them.
// Thread-safety: plain values and pure functions.
#pragma once

#include <calyx/result.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calyx::themes {

enum class Kind {
  color,  // #rgb, #rrggbb or rgb(r, g, b)
  font,   // a font-family list from a safe character set
  url,    // https://… or a same-origin path (/…)
  css,    // custom CSS: no @import, no remote url(), no markup, no script
  js,     // custom JS: served as a file, runs only when a platform admin allows it for the tenant
  text,   // plain text (HTML-escaped wherever it is shown)
  email,
};

struct FieldSpec {
  std::string_view name;           // e.g. "primary_color"
  Kind kind;
  std::string_view default_value;  // the seed's defaults; empty: none
  std::size_t max_length;
  std::string_view label;          // for forms and messages
};

// Every theme field, in the order forms show them.
const std::vector<FieldSpec>& fields();
const FieldSpec* find_field(std::string_view name);

// The fields a tenant set itself (absent: inherit from the parent, then the default).
using Values = std::map<std::string, std::string, std::less<>>;

// A field's value checked and normalized (colours lower-cased, text trimmed), or why it is refused — the
// message names the field. An empty value means "unset" and is always accepted.
Result<std::string> validate(std::string_view field, std::string_view value);

// Several fields at once: the normalized values, or one message per refused field (nothing is half-kept).
struct Refusal {
  std::string field, message;
};
struct Checked {
  Values values;
  std::vector<Refusal> refusals;
};
Checked validate_all(const Values& input);

// A theme with every field decided: the tenant's own value, else its nearest ancestor's, else the default.
// `chain` is the tenant's own values first, then its parent's, and so on.
struct Resolved {
  Values values;      // every field (empty string: none set anywhere and no default)
  Values own;         // the fields the tenant set itself
  std::string etag;   // changes whenever anything the stylesheet or layout shows changes

  std::string_view get(std::string_view field) const;
  // The font stack a heading uses: heading_font, else font_family.
  std::string_view heading_font() const;
};
Resolved resolve(const std::vector<const Values*>& chain);

// The tenant's stylesheet: CSS variables on :root (--color-primary … --font-heading, plus RGB triplets for
// Tailwind's opacity modifiers, plus derived colours that keep text readable at WCAG AA whatever the theme:
// --color-primary-strong and --color-on-primary for filled buttons, --color-link for links on the
// background), then the custom CSS.
std::string stylesheet(const Resolved& theme);

// The WCAG 2 contrast ratio of two colours (1 to 21); 0 when either is not a colour.
double contrast_ratio(std::string_view a, std::string_view b);

// An email's HTML alternative in the theme: its colours and fonts inline (mail clients ignore linked
// stylesheets, and most ignore variables, which are declared too), the brand (the logo when `base_url` makes
// its address absolute) and the footer. Every character of `text` is escaped; its paragraphs and its
// http(s) links are kept.
std::string email_html(const Resolved& theme, std::string_view brand, std::string_view subject, std::string_view text,
                       std::string_view base_url);

// An uploaded theme image: its type from its first bytes (never from the client's word), size-checked.
struct Image {
  std::string content_type;  // image/png, image/jpeg, image/gif, image/webp, image/x-icon
};
inline constexpr std::size_t kMaxImageBytes = 512 * 1024;
Result<Image> check_image(std::string_view bytes);

// The fields that take an uploaded image.
inline constexpr std::string_view kImageFields[] = {"logo_url", "favicon_url", "login_background_url"};
bool is_image_field(std::string_view field);

// Values ↔ the JSON object stored in the database.
std::string to_json(const Values& values);
Result<Values> from_json(std::string_view json);

}  // namespace calyx::themes
