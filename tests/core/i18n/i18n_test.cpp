// Interface languages: choosing one from the browser's Accept-Language, looking text up, and a catalogue
// that covers every string the host's pages translate (found in their source).
#include <calyx/i18n/i18n.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace calyx;

TEST_CASE("the language of a browser: the best-weighted supported one, pt counting as pt-BR") {
  CHECK(i18n::from_accept_language("pt-BR,pt;q=0.9,en;q=0.8") == "pt-BR");
  CHECK(i18n::from_accept_language("pt-PT") == "pt-BR");
  CHECK(i18n::from_accept_language("en-US,en;q=0.9") == "en");
  CHECK(i18n::from_accept_language("de-DE, en;q=0.5, pt;q=0.7") == "pt-BR");
  CHECK(i18n::from_accept_language("fr, de") == "");
  CHECK(i18n::from_accept_language("pt;q=0, en;q=0.1") == "en");  // q=0 means "not this"
  CHECK(i18n::from_accept_language("") == "");
  CHECK(i18n::supported("pt-BR"));
  CHECK_FALSE(i18n::supported("pt"));
  CHECK_FALSE(i18n::supported("<script>"));
}

TEST_CASE("text: Portuguese from the catalogue, English as written, English for a missing line") {
  CHECK(i18n::text("pt-BR", "Sign in") == "Entrar");
  CHECK(i18n::text("en", "Sign in") == "Sign in");
  CHECK(i18n::text("pt-BR", "A sentence nobody translated") == "A sentence nobody translated");
  i18n::Translator tr("pt-BR");
  CHECK(tr("Dashboard") == "Painel");
}

TEST_CASE("every string the host's pages translate has its Portuguese line") {
  // tr("…") calls, the titles and messages handed to error pages and refusals, and the flash messages.
  const std::regex patterns[] = {
      std::regex(R"re(\btr\("((?:[^"\\]|\\.)+)"\))re"),
      std::regex(R"re(error_page\(request,\s*[^,]+,\s*"((?:[^"\\]|\\.)+)",\s*"((?:[^"\\]|\\.)+)")re"),
      std::regex(R"re(refused\(request,\s*admin,\s*"((?:[^"\\]|\\.)+)")re"),
      std::regex(R"re(\{"[a-z-]+",\s*"((?:[^"\\]|\\.)+\.)"\})re"),
  };
  // Words Portuguese borrows as they are.
  const std::set<std::string> same{"Menu", "Site", "Slug", "enterprise", "Blog", "Posts", "Favicon"};
  std::set<std::string> missing;
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(CALYX_SOURCE_DIR "/host/web")) {
    if (entry.path().extension() != ".cpp") continue;
    std::ifstream file(entry.path());
    std::stringstream text;
    text << file.rdbuf();
    std::string source = text.str();
    for (const auto& pattern : patterns) {
      for (std::sregex_iterator it(source.begin(), source.end(), pattern), end; it != end; ++it) {
        for (std::size_t group = 1; group < it->size(); ++group) {
          std::string english = (*it)[group].str();
          if (english.empty()) continue;
          ++seen;
          if (i18n::text("pt-BR", english) == english && !same.contains(english)) {
            missing.insert(entry.path().filename().string() + ": " + english);
          }
        }
      }
    }
  }
  CHECK(seen > 100);
  std::string list;
  for (const auto& line : missing) list += "\n  " + line;
  CHECK_MESSAGE(missing.empty(), "no Portuguese for:" << list);
}
