// Theme fields: validation of every kind (what passes, what is refused and why), inheritance along the
// parent chain, the stylesheet, uploaded image checks.
#include <calyx/themes/theme.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace calyx;

namespace {

std::string refusal(std::string_view field, std::string_view value) {
  auto checked = themes::validate(field, value);
  return checked ? std::string() : checked.error().message();
}

}  // namespace

TEST_CASE("colours: #rgb, #rrggbb and rgb() pass (normalized); anything else is refused with the forms allowed") {
  CHECK(themes::validate("primary_color", " #ABC ").value() == "#abc");
  CHECK(themes::validate("primary_color", "#1D4ED8").value() == "#1d4ed8");
  CHECK(themes::validate("primary_color", "rgb(29,78, 216)").value() == "rgb(29, 78, 216)");
  CHECK(themes::validate("primary_color", "").value().empty());  // unset: inherit
  for (const char* bad : {"red", "#12", "#12345g", "#1234567", "rgb(256, 0, 0)", "rgb(1, 2)", "rgb(1, 2, 3, 4)",
                          "red;}body{color:red}", "expression(alert(1))", "#fff;"}) {
    CAPTURE(bad);
    CHECK(refusal("primary_color", bad).find("is not a colour; use #rgb, #rrggbb or rgb(r, g, b)") != std::string::npos);
  }
}

TEST_CASE("fonts: names from a safe character set, quotes balanced") {
  CHECK(themes::validate("font_family", "Inter, 'Open Sans', system-ui").ok());
  CHECK(themes::validate("heading_font", "\"Playfair Display\", serif").ok());
  CHECK(refusal("font_family", "x;}</style><script>alert(1)</script>").find("is not allowed in a font list") != std::string::npos);
  CHECK(refusal("font_family", "serif, 'Open Sans") == "Font family: a quote is never closed");
  CHECK(refusal("primary_color", "red;}body{background:url(javascript:alert(1))}") == "Primary colour: at most 40 characters");
  CHECK(refusal("font_family", "\"a;b\"").find("quoted font name") != std::string::npos);
}

TEST_CASE("URLs: https with a host, or a path on this site; nothing that leaves an attribute or url()") {
  CHECK(themes::validate("logo_url", "https://cdn.example.com/logo.png").ok());
  CHECK(themes::validate("logo_url", "/theme/files/logo_url?v=abc").ok());
  for (const char* bad : {"http://example.com/x.png", "javascript:alert.call", "//evil.example/x.png", "https:///x",
                          "data:image/png;base64,AAAA", "relative/path.png"}) {
    CAPTURE(bad);
    CHECK(refusal("logo_url", bad) == "Logo: use an https:// address or a path on this site starting with /");
  }
  for (const char* bad : {"https://x.com/a\" onerror=\"alert(1)", "https://x.com/a b", "/x)", "/x\\y", "javascript:alert(1)"}) {
    CAPTURE(bad);
    CHECK(refusal("favicon_url", bad).find("may not contain spaces, quotes, brackets or backslashes") != std::string::npos);
  }
}

TEST_CASE("custom CSS: no markup, no imports, no remote or script URLs, no escapes; comments cannot hide a keyword") {
  CHECK(themes::validate("custom_css", ".card > h2 { color: var(--color-accent); background: url(/theme/files/logo_url); }").ok());
  CHECK(refusal("custom_css", "</style><script>alert(1)</script>").find("'<' is not allowed") != std::string::npos);
  CHECK(refusal("custom_css", "@import url(/x.css);").find("'@import' is not allowed") != std::string::npos);
  CHECK(refusal("custom_css", "@IMPORT 'x.css';").find("'@import' is not allowed") != std::string::npos);
  CHECK(refusal("custom_css", "@im/**/port 'x.css';").find("'@import' is not allowed") != std::string::npos);
  CHECK(refusal("custom_css", "a{background:url(https://evil.example/x.png)}").find("'//' is not allowed") != std::string::npos);
  CHECK(refusal("custom_css", "a{background:url(data:image/png;base64,AA)}").find("url() may only name a path") != std::string::npos);
  // A string cannot fake a comment to hide a rule: the text as written is checked too.
  CHECK(!themes::validate("custom_css", "a{content:\"/*\"} b{background:url(evil.example/x)} c{content:\"*/\"}").ok());
  CHECK(refusal("custom_css", "a{background:image-set(\"x.png\" 1x)}").find("'image-set(' is not allowed") != std::string::npos);
  CHECK(refusal("custom_css", "a{background:url( 'javascript:alert(1)')}").find("not allowed") != std::string::npos);
  CHECK(refusal("custom_css", "a{background:url(//evil.example/x)}").find("'//' is not allowed") != std::string::npos);
  CHECK(refusal("custom_css", "a{width:expression(alert(1))}").find("'expression(' is not allowed") != std::string::npos);
  CHECK(refusal("custom_css", "a{behavior:url(/x.htc)}").find("'behavior:' is not allowed") != std::string::npos);
  CHECK(refusal("custom_css", "a{b\\65havior:x}").find("backslash escapes are not allowed") != std::string::npos);
  CHECK(refusal("custom_css", "a{color:red").find("braces are not balanced") != std::string::npos);
  CHECK(refusal("custom_css", "a{color:red} /* open").find("a comment is never closed") != std::string::npos);
  CHECK(refusal("custom_css", std::string(20001, 'a')) == "Custom CSS: at most 20000 characters");
}

TEST_CASE("text, email and script fields; unknown fields; control characters") {
  CHECK(themes::validate("company_name", "  <b>Acme</b> & Co  ").value() == "<b>Acme</b> & Co");  // escaped where shown
  CHECK(refusal("company_name", "Acme\x01") == "Company name: control characters are not allowed");
  CHECK(themes::validate("support_email", "Help@Acme.Example").value() == "help@acme.example");
  CHECK(refusal("support_email", "\"><script>@x.com").find("is not an email address") != std::string::npos);
  CHECK(themes::validate("custom_js", "console.log('hi');\n").ok());
  CHECK(refusal("custom_js", "x='</SCRIPT>'").find("'</script' is not allowed") != std::string::npos);
  CHECK(refusal("favourite_colour", "#fff") == "'favourite_colour' is not a theme field");
}

TEST_CASE("validate_all keeps nothing of a refused field and reports each refusal by field") {
  auto checked = themes::validate_all({{"primary_color", "#ABC"}, {"accent_color", "nope"}, {"font_family", "a{b}"},
                                       {"company_name", ""}});
  CHECK(checked.values == themes::Values{{"primary_color", "#abc"}});
  REQUIRE(checked.refusals.size() == 2);
  CHECK(checked.refusals[0].field == "accent_color");
  CHECK(checked.refusals[1].field == "font_family");
}

TEST_CASE("inheritance: own value, else the nearest ancestor's, else the seed's default") {
  themes::Values grandparent{{"primary_color", "#111111"}, {"font_family", "Inter"}};
  themes::Values parent{{"primary_color", "#222222"}, {"company_name", "Parent Co"}, {"custom_js", "steal()"}};
  themes::Values child{{"accent_color", "#333333"}};
  auto theme = themes::resolve({&child, &parent, &grandparent});
  CHECK(theme.get("accent_color") == "#333333");      // own
  CHECK(theme.get("primary_color") == "#222222");     // parent beats grandparent
  CHECK(theme.get("font_family") == "Inter");         // grandparent
  CHECK(theme.get("company_name") == "Parent Co");
  CHECK(theme.get("secondary_color") == "#10b981");   // the seed's defaults
  CHECK(theme.get("background_color") == "#ffffff");
  CHECK(theme.get("heading_font").empty());
  CHECK(theme.get("custom_js").empty());  // a script is allowed for one workspace: never inherited
  CHECK(theme.heading_font() == "Inter");             // headings fall back to the body font
  CHECK(theme.own == child);

  auto defaults = themes::resolve({});
  CHECK(defaults.get("primary_color") == "#6366f1");
  CHECK(defaults.get("text_color") == "#111827");
  CHECK(defaults.get("font_family") == "system-ui");
  CHECK(defaults.etag != theme.etag);
  CHECK(themes::resolve({}).etag == defaults.etag);  // the same theme, the same ETag
}

TEST_CASE("the stylesheet sets every variable, with RGB triplets for Tailwind, then the custom CSS") {
  themes::Values own{{"primary_color", "#1d4ed8"}, {"custom_css", ".card { border-width: 2px; }"},
                     {"login_background_url", "/theme/files/login_background_url?v=1"}};
  auto css = themes::stylesheet(themes::resolve({&own}));
  CHECK(css.find("--color-primary: #1d4ed8;") != std::string::npos);
  CHECK(css.find("--color-primary-rgb: 29 78 216;") != std::string::npos);
  CHECK(css.find("--color-background-rgb: 255 255 255;") != std::string::npos);
  CHECK(css.find("--font-heading: system-ui;") != std::string::npos);
  CHECK(css.find("--login-background: url(\"/theme/files/login_background_url?v=1\");") != std::string::npos);
  CHECK(css.find(".card { border-width: 2px; }") > css.find("--color-primary"));
}

TEST_CASE("uploaded images: the type comes from the bytes; SVG, HTML and oversized files are refused") {
  CHECK(themes::check_image(std::string("\x89PNG\r\n\x1a\n....", 12)).value().content_type == "image/png");
  CHECK(themes::check_image("\xff\xd8\xff\xe0....").value().content_type == "image/jpeg");
  CHECK(themes::check_image("GIF89a....").value().content_type == "image/gif");
  CHECK(themes::check_image(std::string("RIFF\x10\x00\x00\x00WEBPVP8 ", 16)).value().content_type == "image/webp");
  CHECK(themes::check_image(std::string("\x00\x00\x01\x00\x01\x00", 6)).value().content_type == "image/x-icon");
  CHECK(themes::check_image("<svg onload=alert(1)>").error().message().find("SVG can carry script") != std::string::npos);
  CHECK(themes::check_image("<html><script>alert(1)</script>").error().message().find("only PNG, JPEG") != std::string::npos);
  CHECK(themes::check_image("").error().message() == "the file is empty");
  std::string big = "\x89PNG\r\n\x1a\n" + std::string(themes::kMaxImageBytes, 'x');
  CHECK(themes::check_image(big).error().message().find("images may be at most 512 KiB") != std::string::npos);
}

TEST_CASE("stored values round-trip through JSON; unknown keys and non-strings are dropped") {
  themes::Values values{{"primary_color", "#abc"}, {"company_name", "A \"quoted\" name"}};
  CHECK(themes::from_json(themes::to_json(values)).value() == values);
  CHECK(themes::from_json(R"({"primary_color":"#fff","nonsense":"x","font_family":3})").value() ==
        themes::Values{{"primary_color", "#fff"}});
  CHECK(themes::from_json("[1,2]").error().message() == "the stored theme is not a JSON object");
  CHECK(themes::from_json("").value().empty());
}

TEST_CASE("emails in the theme: colours and fonts inline, text escaped, links kept, the logo made absolute") {
  themes::Values own{{"primary_color", "#c2410c"}, {"background_color", "#fff7ed"}, {"font_family", "Georgia, serif"},
                     {"logo_url", "/theme/files/logo_url?v=1"}, {"copyright_text", "© Acme"}, {"support_email", "help@acme.test"}};
  auto theme = themes::resolve({&own});
  std::string html = themes::email_html(theme, "Acme <Inc>", "Reset <now>",
                                        "Hello <b>Ann</b>,\n\nChoose a password: https://acme.test/reset?token=abc&x=1\nThanks",
                                        "https://acme.test");
  CHECK(html.find("--color-primary: #c2410c") != std::string::npos);
  CHECK(html.find("border-top:4px solid #c2410c") != std::string::npos);
  CHECK(html.find("background:#fff7ed") != std::string::npos);
  CHECK(html.find("font-family:Georgia, serif") != std::string::npos);
  CHECK(html.find("--font-family: Georgia, serif;") != std::string::npos);  // CSS text is not HTML-escaped
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "a line of a long message\n";
  auto long_mail = themes::email_html(theme, "Acme", "Long", long_text, "");
  std::size_t longest = 0, start = 0;
  for (std::size_t end = long_mail.find('\n'); end != std::string::npos; start = end + 1, end = long_mail.find('\n', start)) {
    longest = std::max(longest, end - start);
  }
  CHECK(longest < 998);  // SMTP's line limit
  CHECK(html.find("<title>Reset &lt;now&gt;</title>") != std::string::npos);
  CHECK(html.find("Hello &lt;b&gt;Ann&lt;/b&gt;,") != std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find(R"(<a href="https://acme.test/reset?token=abc&amp;x=1" style="color:#c2410c">)") != std::string::npos);
  CHECK(html.find(R"(<img src="https://acme.test/theme/files/logo_url?v=1" alt="Acme &lt;Inc&gt;")") != std::string::npos);
  CHECK(html.find("© Acme") != std::string::npos);
  CHECK(html.find("mailto:help@acme.test") != std::string::npos);
  // Without a logo, the brand's name in the heading font.
  auto plain = themes::email_html(themes::resolve({}), "Globex", "Hi", "x", "");
  CHECK(plain.find("Globex</strong>") != std::string::npos);
  CHECK(plain.find("<img") == std::string::npos);
}

TEST_CASE("whatever the theme, buttons and links keep a 4.5:1 contrast (WCAG AA) through derived colours") {
  auto variable = [](const std::string& css, const std::string& name) {
    auto at = css.find("--color-" + name + ": ");
    REQUIRE(at != std::string::npos);
    at += name.size() + 10;
    return css.substr(at, css.find(';', at) - at);
  };
  // The seed's default primary (#6366f1) is a shade too light for white text: buttons get it a little darker.
  auto defaults = themes::stylesheet(themes::resolve({}));
  CHECK(themes::contrast_ratio("#6366f1", "#ffffff") < 4.5);
  CHECK(variable(defaults, "primary-strong") != "#6366f1");
  CHECK(themes::contrast_ratio(variable(defaults, "primary-strong"), variable(defaults, "on-primary")) >= 4.5);
  CHECK(themes::contrast_ratio(variable(defaults, "link"), "#ffffff") >= 4.5);
  CHECK(themes::contrast_ratio("#111827", "#ffffff") >= 4.5);  // body text on the background
  // A colour that already contrasts is kept as it is.
  themes::Values dark{{"primary_color", "#1d4ed8"}};
  auto kept = themes::stylesheet(themes::resolve({&dark}));
  CHECK(variable(kept, "primary-strong") == "#1d4ed8");
  CHECK(variable(kept, "on-primary") == "#ffffff");
  // A light primary takes dark text instead of being darkened.
  themes::Values yellow{{"primary_color", "#facc15"}};
  auto light = themes::stylesheet(themes::resolve({&yellow}));
  CHECK(variable(light, "primary-strong") == "#facc15");
  CHECK(variable(light, "on-primary") == "#111827");
  // On a dark background links are lightened until readable.
  themes::Values night{{"primary_color", "#1e3a8a"}, {"background_color", "#0f172a"}, {"text_color", "#f8fafc"}};
  auto inverted = themes::stylesheet(themes::resolve({&night}));
  CHECK(themes::contrast_ratio(variable(inverted, "link"), "#0f172a") >= 4.5);
  CHECK(themes::contrast_ratio("#1e3a8a", "#0f172a") < 4.5);
}
