// Blog: posts with Markdown bodies, drafts and publishing, a public list and post pages, an editor, JSON
// variants, a "recent posts" dashboard widget, and the roles blog.editor and blog.viewer. A Calyx module
// built only with the SDK, as any third party would build one.
#include "markdown.hpp"
#include "posts.hpp"
#include "words.hpp"

#include <calyx/sdk.hpp>

#include <string>

namespace blog {
namespace {

using calyx::sdk::Context;
using calyx::sdk::escape_html;
using calyx::sdk::JsonWriter;

constexpr int kPublicPerPage = 10;
constexpr int kEditorPerPage = 20;

int page_number(Context& c) {
  auto page = c.request().query("page");
  if (!page || page->empty() || page->size() > 6 || page->find_first_not_of("0123456789") != std::string::npos) return 1;
  return std::max(1, std::stoi(*page));
}

bool wants_json(Context& c) { return c.request().wants_json() || c.request().query("format") == "json"; }

std::int64_t post_id(Context& c) {
  std::string id(c.request().param("id").value_or(""));
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) {
    throw calyx::sdk::not_found("no post " + id);
  }
  return std::stoll(id);
}

void write_post(JsonWriter& json, const Post& post, bool with_body) {
  json.begin_object().field("id", post.id).field("slug", post.slug).field("title", post.title);
  json.field("status", post.status).field("author", post.author_name).field("published_at", post.published_at);
  json.field("updated_at", post.updated_at).field("excerpt", excerpt(post.body));
  if (with_body) json.field("body_markdown", post.body).field("body_html", markdown_to_html(post.body));
  json.end_object();
}

void write_page_json(Context& c, const Page& page) {
  JsonWriter json;
  json.begin_object().field("page", page.page).field("per_page", page.per_page).field("total", page.total);
  json.key("posts").begin_array();
  for (const auto& post : page.posts) write_post(json, post, false);
  json.end_array().end_object();
  c.response().json(json.str());
}

std::string pager(Context& c, const Page& page, const std::string& base) {
  if (page.pages() <= 1) return "";
  std::string html = "<nav class=\"pager mt-6 flex gap-4 text-sm\" aria-label=\"" + tr(c, "Pages") + "\">";
  if (page.page > 1) {
    html += "<a rel=\"prev\" href=\"" + base + "?page=" + std::to_string(page.page - 1) + "\">" + tr(c, "Newer") + "</a> ";
  }
  html += "<span>" + tr(c, "Page") + " " + std::to_string(page.page) + " " + tr(c, "of") + " " + std::to_string(page.pages()) +
          "</span>";
  if (page.page < page.pages()) {
    html += " <a rel=\"next\" href=\"" + base + "?page=" + std::to_string(page.page + 1) + "\">" + tr(c, "Older") + "</a>";
  }
  return html + "</nav>";
}

// GET /blog — published posts, newest first.
void public_list(Context& c) {
  Page page = list_posts(c.db(), true, page_number(c), kPublicPerPage);
  if (wants_json(c)) return write_page_json(c, page);
  std::string html = "<h1>" + tr(c, "Blog") + "</h1>";
  if (page.posts.empty()) html += "<p>" + tr(c, "No posts yet.") + "</p>";
  for (const auto& post : page.posts) {
    html += "<article class=\"mb-8\"><h2 class=\"mb-1\"><a href=\"/blog/" + escape_html(post.slug) + "\">" +
            escape_html(post.title) + "</a></h2>";
    html += "<p class=\"meta mb-2 text-sm text-ink/70\">" + escape_html(post.author_name) + " · " +
            escape_html(post.published_at.value_or("")) + "</p><p>" + escape_html(excerpt(post.body)) + "</p></article>";
  }
  c.response().render(tr(c, "Blog"), html + pager(c, page, "/blog"));
}

// GET /blog/:slug — one published post.
void public_show(Context& c) {
  std::string slug(c.request().param("slug").value_or(""));
  auto post = find_by_slug(c.db(), slug, true);
  if (!post) throw calyx::sdk::not_found("no published post '" + slug + "'");
  if (wants_json(c)) {
    JsonWriter json;
    write_post(json, *post, true);
    c.response().json(json.str());
    return;
  }
  c.response().render(post->title, "<article class=\"post\"><h1>" + escape_html(post->title) + "</h1><p class=\"meta mb-4 text-sm text-ink/70\">" +
                                       escape_html(post->author_name) + " · " +
                                       escape_html(post->published_at.value_or("")) + "</p>" +
                                       markdown_to_html(post->body) + "</article>");
}

// The editor's list: a DataTable (filter by title, slug or status; sort by title, status or date; pages), with
// its headings in the page's language.
calyx::sdk::DataTable editor_table(Context& c) {
  return calyx::sdk::DataTable("posts", "/blog/editor",
                               {{"title", tr(c, "Title"), "title", true, true},
                                {"slug", tr(c, "Slug"), "slug", false, true},
                                {"status", tr(c, "Status"), "status", true, true},
                                {"updated", tr(c, "Updated"), "updated_at", true, false},
                                {"actions", tr(c, "Actions"), "", false, false}},
                               "updated_at DESC, id DESC", kEditorPerPage);
}

// GET /blog/editor — every post, drafts included.
void editor_list(Context& c) {
  const auto table = editor_table(c);
  auto query = table.read(c.request());
  Page page = list_for_table(c.db(), table, query);
  if (wants_json(c)) return write_page_json(c, page);
  std::vector<std::vector<std::string>> cells;
  for (const auto& post : page.posts) {
    std::string id = std::to_string(post.id);
    std::string actions;
    if (c.can("blog.posts.publish")) {
      actions += "<form method=\"post\" action=\"/blog/editor/posts/" + id + (post.published() ? "/unpublish" : "/publish") +
                 "\" class=\"inline\"><button type=\"submit\" class=\"btn btn-secondary\">" +
                 tr(c, post.published() ? "Unpublish" : "Publish") + "</button></form> ";
    }
    actions += "<form method=\"post\" action=\"/blog/editor/posts/" + id +
               "/delete\" class=\"inline\"><button type=\"submit\" class=\"btn btn-danger\">" + tr(c, "Delete") +
               "</button></form>";
    cells.push_back({"<a href=\"/blog/editor/posts/" + id + "/edit\">" + escape_html(post.title) + "</a>",
                     "<code class=\"text-xs\">" + escape_html(post.slug) + "</code>",
                     "<span class=\"badge" + std::string(post.published() ? " badge-ok" : "") + "\">" +
                         escape_html(tr(c, post.status)) + "</span>",
                     escape_html(post.updated_at), actions});
  }
  std::string html = "<div class=\"mb-4 flex flex-wrap items-center justify-between gap-3\"><h1 class=\"mb-0\">" +
                     tr(c, "Posts") + "</h1><a class=\"btn\" href=\"/blog/editor/new\">" + tr(c, "New post") +
                     "</a></div><div class=\"card\">" + table.render(query, cells, page.total, c.request().locale()) +
                     "</div>";
  c.response().render(tr(c, "Posts"), html);
}

std::string post_form(Context& c, const std::string& action, const Draft& draft, const std::string& error) {
  std::string html;
  if (!error.empty()) html += "<p role=\"alert\" class=\"flash flash-error\">" + escape_html(error) + "</p>";
  html += "<form method=\"post\" action=\"" + escape_html(action) + "\" class=\"card max-w-3xl\">"
          "<div class=\"field\"><label for=\"title\">" + tr(c, "Title") + "</label><input id=\"title\" name=\"title\" "
          "type=\"text\" required maxlength=\"200\" value=\"" + escape_html(draft.title) + "\"></div>"
          "<div class=\"field\"><label for=\"slug\">" + tr(c, "Slug") + "</label><input id=\"slug\" name=\"slug\" "
          "type=\"text\" maxlength=\"80\" pattern=\"[a-z0-9-]+\" value=\"" + escape_html(draft.slug) + "\"><p class=\"hint\">" +
          tr(c, "Empty: made from the title.") + "</p></div><div class=\"field\"><label for=\"body\">" +
          tr(c, "Body (Markdown)") + "</label><textarea id=\"body\" name=\"body\" rows=\"16\">" + escape_html(draft.body) +
          "</textarea></div><button type=\"submit\" class=\"btn\">" + tr(c, "Save") + "</button></form>";
  return html;
}

Draft draft_from_form(Context& c) {
  return Draft{c.request().form("title").value_or(""), c.request().form("slug").value_or(""),
               c.request().form("body").value_or("")};
}

// Runs `save`; a validation or uniqueness failure shows the form again with the reason, keeping the input.
template <typename Save>
void save_or_show_form(Context& c, const std::string& action, const std::string& title, Save&& save) {
  Draft input = draft_from_form(c);
  try {
    save(validate(input));
  } catch (const calyx::sdk::Failure& failure) {
    if (failure.status() != CALYX_INVALID_ARGUMENT && failure.status() != CALYX_CONFLICT) throw;
    c.response().status(failure.status() == CALYX_CONFLICT ? 409 : 422);
    c.response().render(tr(c, title), "<h1>" + escape_html(tr(c, title)) + "</h1>" + post_form(c, action, input, failure.what()));
  }
}

void editor_new(Context& c) {
  c.response().render(tr(c, "New post"), "<h1>" + tr(c, "New post") + "</h1>" + post_form(c, "/blog/editor/posts", {}, ""));
}

void editor_create(Context& c) {
  save_or_show_form(c, "/blog/editor/posts", "New post", [&](const Draft& draft) {
    std::int64_t id = create_post(c.db(), draft, c.user());
    c.response().redirect("/blog/editor/posts/" + std::to_string(id) + "/edit");
  });
}

void editor_show(Context& c) {
  auto post = find_by_id(c.db(), post_id(c));
  if (!post) throw calyx::sdk::not_found("no post " + std::to_string(post_id(c)));
  if (wants_json(c)) {
    JsonWriter json;
    write_post(json, *post, true);
    c.response().json(json.str());
    return;
  }
  c.response().render(post->title, "<p class=\"status badge mb-3\">" + escape_html(tr(c, post->status)) + "</p><article class=\"post\"><h1>" +
                                       escape_html(post->title) + "</h1>" + markdown_to_html(post->body) + "</article>");
}

void editor_edit(Context& c) {
  auto post = find_by_id(c.db(), post_id(c));
  if (!post) throw calyx::sdk::not_found("no post " + std::to_string(post_id(c)));
  std::string action = "/blog/editor/posts/" + std::to_string(post->id);
  c.response().render(tr(c, "Edit post"), "<h1>" + tr(c, "Edit post") + "</h1><p class=\"mb-4\"><a href=\"" + action + "\">" +
                                               tr(c, "Preview") + "</a></p>" +
                                               post_form(c, action, {post->title, post->slug, post->body}, ""));
}

void editor_update(Context& c) {
  std::int64_t id = post_id(c);
  std::string action = "/blog/editor/posts/" + std::to_string(id);
  save_or_show_form(c, action, "Edit post", [&](const Draft& draft) {
    update_post(c.db(), id, draft);
    c.response().redirect(action + "/edit");
  });
}

void editor_publish(Context& c) {
  std::int64_t id = post_id(c);
  set_published(c.db(), id, true);
  auto post = find_by_id(c.db(), id);
  // Other modules may react (a module-defined hook point): announce, index, notify.
  JsonWriter event;
  event.begin_object().field("id", post->id).field("slug", post->slug).field("title", post->title).end_object();
  c.run_hook("blog.post_published", event.str());
  c.response().redirect("/blog/editor");
}

void editor_unpublish(Context& c) {
  set_published(c.db(), post_id(c), false);
  c.response().redirect("/blog/editor");
}

void editor_delete(Context& c) {
  delete_post(c.db(), post_id(c));
  c.response().redirect("/blog/editor");
}

void recent_posts_widget(Context& c) {
  Page page = list_posts(c.db(), true, 1, 5);
  std::string html = "<ul class=\"recent-posts\">";
  for (const auto& post : page.posts) {
    html += "<li><a href=\"/blog/" + escape_html(post.slug) + "\">" + escape_html(post.title) + "</a></li>";
  }
  if (page.posts.empty()) html += "<li>" + tr(c, "No published posts yet.") + "</li>";
  c.set_result(html + "</ul>");
}

void define(calyx::sdk::ModuleDefinition& m) {
  m.code("blog").name("Blog").description("Posts with drafts, publishing and a public blog").version("1.0.0");
  m.main_route("/blog");
  m.menu_item("Blog", "/blog", "hero-newspaper", "", 10);
  m.menu_item("Posts", "/blog/editor", "hero-pencil-square", "blog.posts.edit", 20);
  m.sidebar_item("Blog", "/blog/editor", "hero-newspaper", "blog.posts.edit", 30);

  m.role("blog.editor", "Blog editor", {"blog.posts.view", "blog.posts.edit", "blog.posts.publish"});
  m.role("blog.viewer", "Blog viewer", {"blog.posts.view"});

  using calyx::sdk::Access;
  m.get("/blog", public_list, Access::public_route);
  m.get("/blog/:slug", public_show, Access::public_route);
  m.get("/blog/editor", editor_list, "blog.posts.edit");
  m.get("/blog/editor/new", editor_new, "blog.posts.edit");
  m.post("/blog/editor/posts", editor_create, "blog.posts.edit");
  m.get("/blog/editor/posts/:id", editor_show, "blog.posts.edit");
  m.get("/blog/editor/posts/:id/edit", editor_edit, "blog.posts.edit");
  m.post("/blog/editor/posts/:id", editor_update, "blog.posts.edit");
  m.post("/blog/editor/posts/:id/publish", editor_publish, "blog.posts.publish");
  m.post("/blog/editor/posts/:id/unpublish", editor_unpublish, "blog.posts.publish");
  m.post("/blog/editor/posts/:id/delete", editor_delete, "blog.posts.edit");

  m.widget("recent_posts", "Recent posts", recent_posts_widget, "blog.posts.view", 10);  // the host translates titles

  m.on_setup_tenant([](Context& c, std::string_view) {
    if (c.db().query_integer("SELECT COUNT(*) FROM blog_posts").value_or(0) > 0) return;
    std::string now = utc_now();
    c.db().execute("INSERT INTO blog_posts (slug, title, body, status, author_id, author_name, created_at, updated_at) "
                   "VALUES ('welcome', 'Welcome to your blog', ?, 'draft', 0, 'Calyx', ?, ?)",
                   {"This is a draft. Edit it, then **publish** it when it is ready.", now, now});
  });
  m.on_cleanup_tenant([](Context& c) { c.db().execute("DELETE FROM blog_posts"); });
}

}  // namespace
}  // namespace blog

CALYX_MODULE(blog::define)
