// Interface languages: English (the source text) and Brazilian Portuguese (the seed's language). Text is
// looked up by its English form, so a missing translation shows English, never a key.
// Thread-safety: the catalogue is immutable.
#pragma once

#include <string>
#include <string_view>

namespace calyx::i18n {

bool supported(std::string_view locale);
std::string supported_list();  // "en, pt-BR", for messages

// The first supported language of an Accept-Language header ("pt-BR,pt;q=0.9,en;q=0.8" → "pt-BR"; a bare
// "pt" counts as pt-BR), or empty.
std::string from_accept_language(std::string_view header);

// `english` in `locale`: the catalogue's translation, or `english` itself.
std::string_view text(std::string_view locale, std::string_view english);

// A translator bound to one language, for pages: tr("Sign in").
class Translator {
 public:
  explicit Translator(std::string locale = "en") : locale_(std::move(locale)) {}
  std::string_view operator()(std::string_view english) const { return text(locale_, english); }
  const std::string& locale() const { return locale_; }

 private:
  std::string locale_;
};

}  // namespace calyx::i18n
