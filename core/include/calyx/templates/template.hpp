// Logic-less HTML templates (a Mustache subset), rendered by the host for itself and for modules:
// {{name}} escaped, {{{name}}} raw, {{#name}}…{{/name}} sections (repeat over arrays, enter objects, show when
// truthy), {{^name}}…{{/name}} inverted sections, {{.}} the current item, {{! comments}}; dotted names.
// Thread-safety: a pure function.
#pragma once

#include <calyx/result.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace calyx::templates {

// Renders `text` with `data`; a malformed template (unclosed tag or section) is an error naming the offset.
Result<std::string> render(std::string_view text, const boost::json::value& data);

// `text` with & < > " ' replaced by entities.
std::string escape_html(std::string_view text);

}  // namespace calyx::templates
