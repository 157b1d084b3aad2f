// Markdown to HTML for blog posts, safe by construction: the source is HTML-escaped before any markup is
// produced, so no tag, attribute or script from the author survives; links keep only http(s), mailto and
// relative targets. Supported: headings, paragraphs, emphasis, strong, inline code, fenced code blocks,
// links, bulleted and numbered lists, block quotes, horizontal rules. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace blog {

std::string markdown_to_html(std::string_view markdown);

// A short plain-text excerpt of the Markdown source (markup characters dropped), at most `limit` bytes.
std::string excerpt(std::string_view markdown, std::size_t limit = 200);

}  // namespace blog
