// Blog's SQL. The same statements run on SQLite and PostgreSQL; the host scopes them to the tenant.
#include "posts.hpp"

#include <algorithm>
#include <ctime>

namespace blog {
namespace {

constexpr const char* kColumns = "id, slug, title, body, status, author_name, published_at, updated_at";

Post read(const calyx::sdk::Row& row) {
  return Post{row.integer("id"),          row.text("slug"),   row.text("title"),
              row.text("body"),           row.text("status"), row.text("author_name"),
              row.optional_text("published_at"), row.text("updated_at")};
}

std::optional<Post> first(calyx::sdk::Rows rows) {
  for (const auto& row : rows) return read(row);
  return std::nullopt;
}

std::string slug_from(std::string_view title) {
  std::string slug;
  for (unsigned char c : title) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) slug += static_cast<char>(c);
    else if (c >= 'A' && c <= 'Z') slug += static_cast<char>(c - 'A' + 'a');
    else if (!slug.empty() && slug.back() != '-') slug += '-';
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.size() > 80) slug.resize(80);
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

}  // namespace

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

Page list_posts(calyx::sdk::Db& db, bool published_only, int page, int per_page) {
  Page result;
  result.page = std::max(1, page);
  result.per_page = per_page;
  std::string where = published_only ? " WHERE status = 'published'" : "";
  result.total = db.query_integer("SELECT COUNT(*) FROM blog_posts" + where).value_or(0);
  std::string order = published_only ? " ORDER BY published_at DESC, id DESC" : " ORDER BY updated_at DESC, id DESC";
  auto rows = db.query(std::string("SELECT ") + kColumns + " FROM blog_posts" + where + order + " LIMIT ? OFFSET ?",
                       {per_page, static_cast<std::int64_t>(result.page - 1) * per_page});
  for (const auto& row : rows) result.posts.push_back(read(row));
  return result;
}

Page list_for_table(calyx::sdk::Db& db, const calyx::sdk::DataTable& table, const calyx::sdk::TableQuery& query) {
  Page result;
  result.page = query.page;
  result.per_page = table.per_page();
  std::vector<calyx::sdk::Param> params;
  std::string where = table.where(query, params);
  result.total = db.query_integer("SELECT COUNT(*) FROM blog_posts" + where, params).value_or(0);
  std::string limit = table.limit(query, params);
  for (const auto& row : db.query(std::string("SELECT ") + kColumns + " FROM blog_posts" + where + table.order_by(query) + limit,
                                  params)) {
    result.posts.push_back(read(row));
  }
  return result;
}

std::optional<Post> find_by_slug(calyx::sdk::Db& db, std::string_view slug, bool published_only) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM blog_posts WHERE slug = ?";
  if (published_only) sql += " AND status = 'published'";
  return first(db.query(sql, {slug}));
}

std::optional<Post> find_by_id(calyx::sdk::Db& db, std::int64_t id) {
  return first(db.query(std::string("SELECT ") + kColumns + " FROM blog_posts WHERE id = ?", {id}));
}

Draft validate(Draft draft) {
  auto trim = [](std::string& s) {
    s.erase(0, s.find_first_not_of(" \t\r\n"));
    s.erase(s.find_last_not_of(" \t\r\n") + 1);
  };
  trim(draft.title);
  trim(draft.slug);
  if (draft.title.empty() || draft.title.size() > 200) throw calyx::sdk::invalid("a title of 1 to 200 characters is required");
  if (draft.body.size() > 200000) throw calyx::sdk::invalid("the body is longer than 200,000 characters");
  if (draft.slug.empty()) draft.slug = slug_from(draft.title);
  bool slug_ok = !draft.slug.empty() && draft.slug.size() <= 80 && draft.slug.front() != '-' &&
                 std::all_of(draft.slug.begin(), draft.slug.end(),
                             [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
  if (!slug_ok) {
    throw calyx::sdk::invalid("the slug '" + draft.slug +
                              "' is invalid: lower-case letters, digits and dashes, at most 80 characters");
  }
  if (draft.slug == "editor") throw calyx::sdk::invalid("the slug 'editor' is reserved");
  return draft;
}

std::int64_t create_post(calyx::sdk::Db& db, const Draft& draft, const calyx::sdk::User& author) {
  if (find_by_slug(db, draft.slug, false)) throw calyx::sdk::conflict("a post with the slug '" + draft.slug + "' exists");
  std::string now = utc_now();
  db.execute("INSERT INTO blog_posts (slug, title, body, status, author_id, author_name, created_at, updated_at) "
             "VALUES (?, ?, ?, 'draft', ?, ?, ?, ?)",
             {draft.slug, draft.title, draft.body, author.id, author.name.empty() ? author.email : author.name, now, now});
  return find_by_slug(db, draft.slug, false)->id;
}

void update_post(calyx::sdk::Db& db, std::int64_t id, const Draft& draft) {
  auto same_slug = find_by_slug(db, draft.slug, false);
  if (same_slug && same_slug->id != id) throw calyx::sdk::conflict("a post with the slug '" + draft.slug + "' exists");
  if (db.execute("UPDATE blog_posts SET slug = ?, title = ?, body = ?, updated_at = ? WHERE id = ?",
                 {draft.slug, draft.title, draft.body, utc_now(), id}) == 0) {
    throw calyx::sdk::not_found("no post " + std::to_string(id));
  }
}

void set_published(calyx::sdk::Db& db, std::int64_t id, bool published) {
  std::string now = utc_now();
  std::int64_t changed =
      published ? db.execute("UPDATE blog_posts SET status = 'published', published_at = COALESCE(published_at, ?), "
                             "updated_at = ? WHERE id = ?",
                             {now, now, id})
                : db.execute("UPDATE blog_posts SET status = 'draft', updated_at = ? WHERE id = ?", {now, id});
  if (changed == 0) throw calyx::sdk::not_found("no post " + std::to_string(id));
}

void delete_post(calyx::sdk::Db& db, std::int64_t id) {
  if (db.execute("DELETE FROM blog_posts WHERE id = ?", {id}) == 0) {
    throw calyx::sdk::not_found("no post " + std::to_string(id));
  }
}

}  // namespace blog
