// Blog posts in the tenant's database: the queries Blog runs, in one place. Every function takes the call's
// Db (the host scopes it to the tenant). Thread-safety: stateless functions.
#pragma once

#include <calyx/sdk.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace blog {

struct Post {
  std::int64_t id = 0;
  std::string slug, title, body, status, author_name;
  std::optional<std::string> published_at;
  std::string updated_at;
  bool published() const { return status == "published"; }
};

struct Page {
  std::vector<Post> posts;
  std::int64_t total = 0;
  int page = 1, per_page = 20;
  int pages() const { return static_cast<int>((total + per_page - 1) / per_page); }
};

// Published posts, newest first, or all posts (editor) newest-updated first.
Page list_posts(calyx::sdk::Db& db, bool published_only, int page, int per_page);
// The editor's table: every post, filtered, sorted and paged as `query` asks (columns whitelisted by `table`).
Page list_for_table(calyx::sdk::Db& db, const calyx::sdk::DataTable& table, const calyx::sdk::TableQuery& query);
std::optional<Post> find_by_slug(calyx::sdk::Db& db, std::string_view slug, bool published_only);
std::optional<Post> find_by_id(calyx::sdk::Db& db, std::int64_t id);

struct Draft {
  std::string title, slug, body;
};
// Validates a draft (title 1-200 characters; slug lower-case letters, digits and dashes, derived from the
// title when empty, not a reserved word); throws calyx::sdk::Failure(INVALID_ARGUMENT) with the reason.
Draft validate(Draft draft);

std::int64_t create_post(calyx::sdk::Db& db, const Draft& draft, const calyx::sdk::User& author);
void update_post(calyx::sdk::Db& db, std::int64_t id, const Draft& draft);
void set_published(calyx::sdk::Db& db, std::int64_t id, bool published);
void delete_post(calyx::sdk::Db& db, std::int64_t id);

// "2026-12-04T13:40:00Z".
std::string utc_now();

}  // namespace blog
