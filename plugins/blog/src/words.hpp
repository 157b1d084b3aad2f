// Blog's interface text in the page's language (Request::locale()): English as written, Brazilian Portuguese
// from this table. Thread-safety: an immutable table.
#pragma once

#include <calyx/sdk.hpp>

#include <string>
#include <string_view>
#include <unordered_map>

namespace blog {

inline std::string_view portuguese(std::string_view english) {
  static const std::unordered_map<std::string_view, std::string_view> words{
      {"Blog", "Blog"},
      {"No posts yet.", "Nenhum post ainda."},
      {"Newer", "Mais recentes"},
      {"Older", "Mais antigos"},
      {"Page", "Página"},
      {"of", "de"},
      {"Pages", "Páginas"},
      {"Posts", "Posts"},
      {"New post", "Novo post"},
      {"Edit post", "Editar post"},
      {"Preview", "Pré-visualizar"},
      {"Publish", "Publicar"},
      {"Unpublish", "Despublicar"},
      {"Delete", "Excluir"},
      {"Title", "Título"},
      {"Slug", "Slug"},
      {"Status", "Situação"},
      {"Updated", "Atualizado"},
      {"Actions", "Ações"},
      {"Save", "Salvar"},
      {"Body (Markdown)", "Texto (Markdown)"},
      {"Empty: made from the title.", "Vazio: gerado a partir do título."},
      {"No published posts yet.", "Nenhum post publicado ainda."},
      {"draft", "rascunho"},
      {"published", "publicado"},
  };
  auto it = words.find(english);
  return it == words.end() ? english : it->second;
}

// `english` in the language of the call's page.
inline std::string tr(calyx::sdk::Context& c, std::string_view english) {
  return std::string(c.request().locale() == "pt-BR" ? portuguese(english) : english);
}

}  // namespace blog
