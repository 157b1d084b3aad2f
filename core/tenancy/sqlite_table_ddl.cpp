// A small SQLite tokenizer, enough to find column definitions, constraints and their keywords; everything
// it does not rewrite is copied byte for byte.
#include "tenancy/sqlite_table_ddl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace calyx::tenancy {
namespace {

struct Token {
  std::size_t begin = 0, end = 0;
  char kind = 0;  // 'w' word, 'q' quoted identifier, 's' string, or the punctuation character itself
};

std::vector<Token> tokenize(std::string_view sql) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      i = std::min(sql.size(), sql.find('\n', i) == std::string_view::npos ? sql.size() : sql.find('\n', i));
    } else if (sql.substr(i, 2) == "/*") {
      auto close = sql.find("*/", i + 2);
      i = close == std::string_view::npos ? sql.size() : close + 2;
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
      char closing = c == '[' ? ']' : c;
      std::size_t j = i + 1;
      while (j < sql.size()) {
        if (sql[j] == closing) {
          if (closing != ']' && j + 1 < sql.size() && sql[j + 1] == closing) {
            j += 2;  // doubled quote inside
            continue;
          }
          break;
        }
        ++j;
      }
      tokens.push_back({i, std::min(j + 1, sql.size()), c == '\'' ? 's' : 'q'});
      i = std::min(j + 1, sql.size());
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      std::size_t j = i;
      while (j < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_' || sql[j] == '$')) ++j;
      tokens.push_back({i, j, 'w'});
      i = j;
    } else {
      tokens.push_back({i, i + 1, c});
      ++i;
    }
  }
  return tokens;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

struct Parsed {
  std::string_view sql;
  std::vector<Token> tokens;
  std::string word(std::size_t i) const {
    return i < tokens.size() && tokens[i].kind == 'w' ? upper(sql.substr(tokens[i].begin, tokens[i].end - tokens[i].begin))
                                                       : std::string();
  }
  std::string_view text(std::size_t i) const { return sql.substr(tokens[i].begin, tokens[i].end - tokens[i].begin); }
  // The identifier a token names, unquoted.
  std::string name(std::size_t i) const {
    auto t = text(i);
    if (tokens[i].kind == 'q' && t.size() >= 2) return std::string(t.substr(1, t.size() - 2));
    return std::string(t);
  }
};

// Index of the first token after `from` at depth 0 equal to punctuation `c`, or tokens.size().
std::size_t find_punct(const Parsed& p, std::size_t from, std::size_t to, char c) {
  int depth = 0;
  for (std::size_t i = from; i < to; ++i) {
    if (depth == 0 && p.tokens[i].kind == c) return i;
    if (p.tokens[i].kind == '(') ++depth;
    if (p.tokens[i].kind == ')') --depth;
  }
  return to;
}

std::string quoted(std::string_view name) { return fmt::format("\"{}\"", name); }

}  // namespace

Result<std::string> shared_table_ddl(std::string_view create_sql, std::string_view new_name) {
  Parsed p{create_sql, tokenize(create_sql)};
  std::size_t open = 0;
  while (open < p.tokens.size() && p.tokens[open].kind != '(') ++open;
  if (p.word(0) != "CREATE" || open >= p.tokens.size()) {
    return Error::invalid_argument(fmt::format("cannot read the table definition: {}", create_sql));
  }
  // The body's closing parenthesis, then whatever follows it (WITHOUT ROWID, STRICT).
  int depth = 0;
  std::size_t close = open;
  for (; close < p.tokens.size(); ++close) {
    if (p.tokens[close].kind == '(') ++depth;
    if (p.tokens[close].kind == ')' && --depth == 0) break;
  }
  if (close >= p.tokens.size()) return Error::invalid_argument(fmt::format("unbalanced table definition: {}", create_sql));
  std::string tail(create_sql.substr(p.tokens[close].end));
  bool without_rowid = upper(tail).find("WITHOUT") != std::string::npos;

  // Definitions between the parentheses, split at top-level commas.
  std::vector<std::pair<std::size_t, std::size_t>> defs;
  for (std::size_t start = open + 1; start < close;) {
    std::size_t comma = find_punct(p, start, close, ',');
    defs.emplace_back(start, comma);
    start = comma + 1;
  }
  const char* kConstraintWords[] = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"};
  auto is_table_constraint = [&](std::size_t first) {
    auto w = p.word(first);
    return std::any_of(std::begin(kConstraintWords), std::end(kConstraintWords), [&](const char* k) { return w == k; });
  };
  // Column name → declared type, to tell a rowid alias (INTEGER PRIMARY KEY) from a natural key.
  std::vector<std::pair<std::string, std::string>> columns;
  for (auto [first, last] : defs) {
    if (first >= last || is_table_constraint(first)) continue;
    std::string type;
    for (std::size_t i = first + 1; i < last && p.tokens[i].kind == 'w'; ++i) {
      auto w = p.word(i);
      if (w == "CONSTRAINT" || w == "PRIMARY" || w == "NOT" || w == "NULL" || w == "UNIQUE" || w == "CHECK" ||
          w == "DEFAULT" || w == "COLLATE" || w == "REFERENCES" || w == "GENERATED" || w == "AS")
        break;
      type += (type.empty() ? "" : " ") + w;
    }
    columns.emplace_back(p.name(first), type);
  }
  auto is_rowid_alias = [&](const std::string& column) {
    if (without_rowid) return false;
    auto it = std::find_if(columns.begin(), columns.end(), [&](auto& c) { return c.first == column; });
    return it != columns.end() && it->second == "INTEGER";
  };

  std::vector<std::string> out_defs, added;
  for (auto [first, last] : defs) {
    if (first >= last) return Error::invalid_argument(fmt::format("empty definition in: {}", create_sql));
    std::vector<bool> drop(p.tokens.size(), false);
    std::size_t insert_at = 0;  // a table constraint's "(": tenant_id goes right after it
    if (is_table_constraint(first)) {
      for (std::size_t i = first; i < last; ++i) {
        auto w = p.word(i);
        if (w != "UNIQUE" && w != "PRIMARY") continue;
        std::size_t paren = find_punct(p, i, last, '(');
        if (paren >= last) break;
        std::size_t end = find_punct(p, paren + 1, last, ')');
        bool single = find_punct(p, paren + 1, end, ',') >= end;
        if (w == "PRIMARY" && single && is_rowid_alias(p.name(paren + 1))) break;
        insert_at = paren;
        break;
      }
    } else {
      std::string column = p.name(first);
      int level = 0;
      for (std::size_t i = first + 1; i < last; ++i) {
        if (p.tokens[i].kind == '(') ++level;
        if (p.tokens[i].kind == ')') --level;
        if (level != 0) continue;
        auto w = p.word(i);
        std::size_t end = i;
        if (w == "UNIQUE") {
          end = i + 1;
        } else if (w == "PRIMARY" && p.word(i + 1) == "KEY" && !is_rowid_alias(column)) {
          end = i + 2;
          if (p.word(end) == "ASC" || p.word(end) == "DESC") ++end;
        } else {
          continue;
        }
        if (p.word(end) == "ON" && p.word(end + 1) == "CONFLICT") end += 3;
        std::size_t begin = i;
        if (begin >= first + 3 && p.word(begin - 2) == "CONSTRAINT") begin -= 2;
        for (std::size_t k = begin; k < end; ++k) drop[k] = true;
        added.push_back(fmt::format("{} (tenant_id, {})", w == "UNIQUE" ? "UNIQUE" : "PRIMARY KEY", quoted(column)));
        i = end - 1;
      }
    }
    // Copy the definition's text, without the dropped tokens, with tenant_id inserted where asked.
    std::string text;
    std::size_t cursor = p.tokens[first].begin;
    for (std::size_t i = first; i < last; ++i) {
      if (drop[i]) {
        text += create_sql.substr(cursor, p.tokens[i].begin - cursor);
        cursor = p.tokens[i].end;
        continue;
      }
      if (insert_at && i == insert_at) {
        text += create_sql.substr(cursor, p.tokens[i].end - cursor);
        text += "tenant_id, ";
        cursor = p.tokens[i].end;
      }
    }
    text += create_sql.substr(cursor, p.tokens[last - 1].end - cursor);
    out_defs.push_back(text);
  }

  // Column definitions come before table constraints: tenant_id goes after the last column.
  std::size_t first_constraint = 0;
  while (first_constraint < defs.size() && !is_table_constraint(defs[first_constraint].first)) ++first_constraint;
  std::string body;
  for (std::size_t i = 0; i < out_defs.size(); ++i) {
    if (i == first_constraint) body += (body.empty() ? "" : ", ") + std::string("tenant_id INTEGER NOT NULL");
    body += (body.empty() ? "" : ", ") + out_defs[i];
  }
  if (first_constraint == out_defs.size()) body += ", tenant_id INTEGER NOT NULL";
  for (const auto& constraint : added) body += ", " + constraint;
  return fmt::format("CREATE TABLE {} ({}){}", quoted(new_name), body, tail);
}

Result<std::string> shared_index_ddl(std::string_view create_sql) {
  Parsed p{create_sql, tokenize(create_sql)};
  for (std::size_t i = 0; i + 2 < p.tokens.size(); ++i) {
    if (p.word(i) != "ON") continue;
    std::size_t paren = find_punct(p, i + 1, p.tokens.size(), '(');
    if (paren >= p.tokens.size()) break;
    return std::string(create_sql.substr(0, p.tokens[paren].end)) + "tenant_id, " +
           std::string(create_sql.substr(p.tokens[paren].end));
  }
  return Error::invalid_argument(fmt::format("cannot read the index definition: {}", create_sql));
}

std::string shared_unique_statements(std::string_view script, const std::set<std::string>& existing) {
  Parsed p{script, tokenize(script)};
  std::vector<std::size_t> insert_after;  // indexes of "(" tokens
  std::string altered;                    // the table of the ALTER TABLE statement being read
  for (std::size_t i = 0; i < p.tokens.size(); ++i) {
    if (p.tokens[i].kind == ';') altered.clear();
    if (p.word(i) == "ALTER" && p.word(i + 1) == "TABLE") {
      std::size_t k = i + 2;
      while (p.word(k) == "IF" || p.word(k) == "EXISTS" || p.word(k) == "ONLY") ++k;
      while (k + 2 < p.tokens.size() && p.tokens[k + 1].kind == '.') k += 2;  // schema-qualified: the last part
      if (k < p.tokens.size()) altered = p.name(k);
    }
    if (p.word(i) == "CREATE" && p.word(i + 1) == "UNIQUE" && p.word(i + 2) == "INDEX") {
      std::size_t paren = i + 3;
      while (paren < p.tokens.size() && p.tokens[paren].kind != '(' && p.tokens[paren].kind != ';') ++paren;
      if (paren >= p.tokens.size() || p.tokens[paren].kind != '(') continue;
      std::size_t table = paren - 1;
      if (table >= 2 && p.word(table - 1) == "USING") table -= 2;  // PostgreSQL: ON t USING btree (...)
      if (existing.contains(p.name(table))) insert_after.push_back(paren);
    } else if (p.word(i) == "ADD" && existing.contains(altered)) {
      std::size_t k = i + 1;
      if (p.word(k) == "CONSTRAINT") k += 2;
      if (p.word(k) != "UNIQUE") continue;
      while (k < p.tokens.size() && p.tokens[k].kind != '(' && p.tokens[k].kind != ';' && p.tokens[k].kind != ',') ++k;
      if (k < p.tokens.size() && p.tokens[k].kind == '(') insert_after.push_back(k);
    }
  }
  std::string out;
  std::size_t cursor = 0;
  for (std::size_t paren : insert_after) {
    out += script.substr(cursor, p.tokens[paren].end - cursor);
    out += "tenant_id, ";
    cursor = p.tokens[paren].end;
  }
  out += script.substr(cursor);
  return out;
}

}  // namespace calyx::tenancy
