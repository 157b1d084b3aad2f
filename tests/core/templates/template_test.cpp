// The host's template engine: escaping by default, raw on request, sections, and clear errors.
#include <calyx/templates/template.hpp>

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

using calyx::templates::render;

namespace {
std::string render_ok(std::string_view text, std::string_view json) {
  auto out = render(text, boost::json::parse(json));
  REQUIRE_MESSAGE(out.ok(), (out.ok() ? "" : out.error().message()));
  return *out;
}
}  // namespace

TEST_CASE("values are HTML-escaped unless asked raw") {
  CHECK(render_ok("<p>{{title}}</p>", R"({"title":"<script>alert('x')</script>"})") ==
        "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>");
  CHECK(render_ok("{{{html}}}|{{& html}}", R"({"html":"<b>bold</b>"})") == "<b>bold</b>|<b>bold</b>");
  CHECK(render_ok("{{missing}}-{{n}}-{{flag}}", R"({"n":42,"flag":true})") == "-42-true");
}

TEST_CASE("sections repeat over arrays, enter objects and test truthiness") {
  CHECK(render_ok("<ul>{{#posts}}<li>{{title}} by {{author.name}}</li>{{/posts}}</ul>",
                  R"({"posts":[{"title":"A","author":{"name":"Ann"}},{"title":"B","author":{"name":"Bo"}}]})") ==
        "<ul><li>A by Ann</li><li>B by Bo</li></ul>");
  CHECK(render_ok("{{#tags}}[{{.}}]{{/tags}}", R"({"tags":["x","y"]})") == "[x][y]");
  CHECK(render_ok("{{^posts}}No posts yet.{{/posts}}", R"({"posts":[]})") == "No posts yet.");
  CHECK(render_ok("{{#user}}Hi {{name}}{{/user}}", R"({"user":{"name":"Ann"}})") == "Hi Ann");
  CHECK(render_ok("{{#posts}}{{site}}{{/posts}}", R"({"site":"S","posts":[1]})") == "S");
  CHECK(render_ok("a{{! a comment }}b", "{}") == "ab");
}

TEST_CASE("malformed templates are errors that say where") {
  auto unclosed = render("Hello {{name", boost::json::parse("{}"));
  REQUIRE_FALSE(unclosed.ok());
  CHECK(unclosed.error().message() == "template: tag opened at offset 6 is never closed");
  auto section = render("{{#a}}x", boost::json::parse("{}"));
  REQUIRE_FALSE(section.ok());
  CHECK(section.error().message() == "template: section 'a' is never closed");
  CHECK_FALSE(render("{{/a}}", boost::json::parse("{}")).ok());
}
