// Blog, through the registry and the module ABI, on both backends: drafts stay private, publishing shows
// them, Markdown is rendered with no script surviving, JSON variants, slugs, pagination, the widget, the
// hook it fires, and tenant set-up and clean-up.
#include "cli/host_migrations.hpp"
#include "markdown.hpp"
#include "support/fixture_modules.hpp"
#include "support/test_database.hpp"

#include <calyx/migrations/migrator.hpp>
#include <calyx/modules/dispatch.hpp>

#include <doctest/doctest.h>

using namespace calyx;
using calyx::testing::TestDatabase;

namespace {

const std::set<std::string, std::less<>> kEditor = {"blog.posts.view", "blog.posts.edit", "blog.posts.publish"};

struct BlogWorld {
  explicit BlogWorld(TestDatabase& database) {
    std::filesystem::copy_file(CALYX_MODULES_OUTPUT_DIR "/blog.so", modules_dir.path() / "blog.so");
    std::filesystem::copy_file(testing::fixture_module("notes"), modules_dir.path() / "notes.so");
    modules::ModuleLoader loader(modules::host_api());
    registry = std::make_unique<modules::ModuleRegistry>(modules::ModuleRegistry::build(loader.discover(modules_dir.path())));
    REQUIRE(registry->find("blog"));
    pool = database.open_pool();
    auto files = calyx_host_migration_files();
    REQUIRE(migrations::Migrator(*pool, migrations::Scope{}).apply(migrations::parse_migration_files(files).value()).ok());
    for (const char* code : {"blog", "notes"}) {
      REQUIRE(migrations::Migrator(*pool, migrations::Scope{code, ""}).apply(registry->find(code)->migrations).ok());
    }
  }

  modules::CallScope scope(std::set<std::string, std::less<>> permissions) {
    modules::CallScope s;
    s.tenant = {1, "acme", "Acme", "isolated"};
    s.user = {9, "ed@acme.test", "Ed Itor", {"blog.editor"}, std::move(permissions)};
    s.data = {pool.get(), ""};
    s.host_pool = pool.get();
    s.active_modules = {"blog", "notes"};
    return s;
  }

  modules::DispatchOutcome call(const std::string& method, const std::string& target, const std::string& body = "",
                                std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::string path = target.substr(0, target.find('?'));
    std::string query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
    auto match = registry->route(method, path);
    REQUIRE_MESSAGE(match, "no route for ", method, " ", path);
    auto permissions = match->target.route->is_public() ? std::set<std::string, std::less<>>{} : kEditor;
    return modules::run_route(*registry, *match, {method, path, query, body, {}, std::move(headers)}, scope(permissions));
  }

  std::string create(const std::string& form) {
    auto created = call("POST", "/blog/editor/posts", form);
    REQUIRE_MESSAGE(created.response.status == 303, created.error, created.response.body);
    for (const auto& [name, value] : created.response.headers) {
      if (name == "Location") return value;
    }
    FAIL("no Location header");
    return "";
  }

  testing::TempDir modules_dir;
  std::unique_ptr<modules::ModuleRegistry> registry;
  std::unique_ptr<db::ConnectionPool> pool;
};

std::string id_from_edit_location(const std::string& location) {
  // "/blog/editor/posts/<id>/edit"
  auto start = std::string("/blog/editor/posts/").size();
  return location.substr(start, location.find('/', start) - start);
}

}  // namespace

TEST_CASE("a draft stays private until it is published, then shows with its Markdown rendered safely") {
  testing::every_backend([](TestDatabase& database) {
    BlogWorld blog(database);
    std::string location = blog.create(
        "title=Hello+%3Cworld%3E&body=%23+Intro%0A%0ASome+**bold**+text.%0A%0A%3Cscript%3Ealert(1)%3C%2Fscript%3E%0A%0A"
        "%5Bbad%5D(javascript%3Aalert(1))");
    CHECK(location.ends_with("/edit"));
    std::string id = id_from_edit_location(location);

    CHECK(blog.call("GET", "/blog/hello-world").status == CALYX_NOT_FOUND);
    CHECK(blog.call("GET", "/blog").response.body.find("Hello") == std::string::npos);
    CHECK(blog.call("GET", "/blog/editor").response.body.find("Hello &lt;world&gt;") != std::string::npos);

    CHECK(blog.call("POST", "/blog/editor/posts/" + id + "/publish").response.status == 303);
    auto page = blog.call("GET", "/blog/hello-world");
    REQUIRE(page.status == CALYX_OK);
    CHECK(page.response.title == "Hello <world>");  // the layout escapes the title
    const std::string& html = page.response.body;
    CHECK(html.find("<h1>Intro</h1>") != std::string::npos);
    CHECK(html.find("<strong>bold</strong>") != std::string::npos);
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(html.find("javascript:") == std::string::npos);
    CHECK(blog.call("GET", "/blog").response.body.find("/blog/hello-world") != std::string::npos);

    CHECK(blog.call("POST", "/blog/editor/posts/" + id + "/unpublish").response.status == 303);
    CHECK(blog.call("GET", "/blog/hello-world").status == CALYX_NOT_FOUND);
  });
}

TEST_CASE("Blog answers JSON for its list and its posts") {
  testing::every_backend([](TestDatabase& database) {
    BlogWorld blog(database);
    std::string id = id_from_edit_location(blog.create("title=Jason&slug=json-post&body=*hi*"));
    blog.call("POST", "/blog/editor/posts/" + id + "/publish");
    auto list = blog.call("GET", "/blog?format=json");
    CHECK(list.response.headers.at(0).second == "application/json");
    CHECK(list.response.body.find(R"("total":1)") != std::string::npos);
    CHECK(list.response.body.find(R"("slug":"json-post")") != std::string::npos);
    auto post = blog.call("GET", "/blog/json-post", "", {{"accept", "application/json"}});
    CHECK(post.response.body.find(R"("body_html":"\u003cp\u003e\u003cem\u003ehi\u003c/em\u003e\u003c/p\u003e\n")") !=
          std::string::npos);
    auto editor = blog.call("GET", "/blog/editor/posts/" + id, "", {{"accept", "application/json"}});
    CHECK(editor.response.body.find(R"("status":"published")") != std::string::npos);
  });
}

TEST_CASE("slugs are validated and unique; a rejected form keeps the input and says why") {
  testing::every_backend([](TestDatabase& database) {
    BlogWorld blog(database);
    blog.create("title=First&slug=same");
    auto duplicate = blog.call("POST", "/blog/editor/posts", "title=Second&slug=same&body=kept+text");
    CHECK(duplicate.status == CALYX_OK);
    CHECK(duplicate.response.status == 409);
    CHECK(duplicate.response.body.find("a post with the slug &#39;same&#39; exists") != std::string::npos);
    CHECK(duplicate.response.body.find("kept text") != std::string::npos);

    auto no_title = blog.call("POST", "/blog/editor/posts", "title=+&body=x");
    CHECK(no_title.response.status == 422);
    CHECK(no_title.response.body.find("a title of 1 to 200 characters is required") != std::string::npos);
    CHECK(blog.call("POST", "/blog/editor/posts", "title=X&slug=Bad+Slug").response.status == 422);
    CHECK(blog.call("POST", "/blog/editor/posts", "title=X&slug=editor").response.status == 422);
  });
}

TEST_CASE("editing, deleting and missing posts") {
  testing::every_backend([](TestDatabase& database) {
    BlogWorld blog(database);
    std::string id = id_from_edit_location(blog.create("title=Draft+one"));
    CHECK(blog.call("GET", "/blog/editor/posts/" + id + "/edit").response.body.find("value=\"draft-one\"") !=
          std::string::npos);
    CHECK(blog.call("POST", "/blog/editor/posts/" + id, "title=Renamed&slug=renamed&body=new").response.status == 303);
    CHECK(blog.call("GET", "/blog/editor/posts/" + id).response.title == "Renamed");
    CHECK(blog.call("POST", "/blog/editor/posts/" + id + "/delete").response.status == 303);
    CHECK(blog.call("GET", "/blog/editor/posts/" + id).status == CALYX_NOT_FOUND);
    CHECK(blog.call("POST", "/blog/editor/posts/" + id + "/delete").status == CALYX_NOT_FOUND);
    CHECK(blog.call("GET", "/blog/editor/posts/abc").status == CALYX_NOT_FOUND);
  });
}

TEST_CASE("lists are paginated") {
  testing::every_backend([](TestDatabase& database) {
    BlogWorld blog(database);
    for (int i = 1; i <= 12; ++i) {
      std::string id = id_from_edit_location(blog.create("title=Post+" + std::to_string(i)));
      blog.call("POST", "/blog/editor/posts/" + id + "/publish");
    }
    auto first = blog.call("GET", "/blog?format=json");
    CHECK(first.response.body.find(R"("total":12)") != std::string::npos);
    auto second = blog.call("GET", "/blog?page=2&format=json");
    std::size_t count = 0;
    for (std::size_t at = 0; (at = second.response.body.find(R"("slug")", at)) != std::string::npos; ++at) ++count;
    CHECK(count == 2);
    CHECK(blog.call("GET", "/blog").response.body.find("Page 1 of 2") != std::string::npos);
  });
}

TEST_CASE("publishing fires blog.post_published for the tenant's other modules; the widget lists recent posts") {
  testing::every_backend([](TestDatabase& database) {
    BlogWorld blog(database);
    std::string id = id_from_edit_location(blog.create("title=Big+news"));
    blog.call("POST", "/blog/editor/posts/" + id + "/publish");
    auto match = blog.registry->route("GET", "/notes");
    auto notes = modules::run_route(*blog.registry, *match, {"GET", "/notes", "", "", {}, {}}, blog.scope({}));
    CHECK(notes.response.body.find("published: big-news") != std::string::npos);

    const auto& widget = blog.registry->find("blog")->widgets.at(0);
    CHECK(widget.code == "recent_posts");
    modules::DatabaseCallServices services({blog.pool.get(), ""}, *blog.pool, blog.registry.get(), {"blog"});
    calyx_call call;
    call.kind = modules::CallKind::widget;
    call.module = blog.registry->find("blog");
    call.services = &services;
    REQUIRE(modules::invoke_widget(widget, call) == CALYX_OK);
    CHECK(call.result.value_or("").find("<a href=\"/blog/big-news\">Big news</a>") != std::string::npos);
  });
}

TEST_CASE("setting Blog up for a tenant adds a welcome draft once; cleaning up removes the posts") {
  testing::every_backend([](TestDatabase& database) {
    BlogWorld blog(database);
    const auto& info = *blog.registry->find("blog");
    for (int round = 0; round < 2; ++round) {
      modules::DatabaseCallServices services({blog.pool.get(), ""}, *blog.pool, blog.registry.get(), {"blog"});
      calyx_call call;
      call.kind = modules::CallKind::setup_tenant;
      call.module = &info;
      call.services = &services;
      REQUIRE(modules::invoke_setup_tenant(info, call, "{}") == CALYX_OK);
      REQUIRE(services.finish(true).ok());
    }
    auto editor = blog.call("GET", "/blog/editor?format=json");
    CHECK(editor.response.body.find(R"("total":1)") != std::string::npos);
    CHECK(editor.response.body.find(R"("slug":"welcome")") != std::string::npos);

    modules::DatabaseCallServices services({blog.pool.get(), ""}, *blog.pool, blog.registry.get(), {"blog"});
    calyx_call call;
    call.kind = modules::CallKind::cleanup_tenant;
    call.module = &info;
    call.services = &services;
    REQUIRE(modules::invoke_cleanup_tenant(info, call) == CALYX_OK);
    REQUIRE(services.finish(true).ok());
    CHECK(blog.call("GET", "/blog/editor?format=json").response.body.find(R"("total":0)") != std::string::npos);
  });
}

TEST_CASE("Markdown: the supported subset, with nothing of the author's HTML surviving") {
  CHECK(blog::markdown_to_html("## Title\n\nA *b* `c<d>` [x](https://e.test/?a=1&b=2)") ==
        "<h2>Title</h2>\n<p>A <em>b</em> <code>c&lt;d&gt;</code> <a href=\"https://e.test/?a=1&amp;b=2\" "
        "rel=\"nofollow noopener\">x</a></p>\n");
  CHECK(blog::markdown_to_html("- one\n- two\n\n1. first\n2. second") ==
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n");
  CHECK(blog::markdown_to_html("```\n<script>x</script>\n```") == "<pre><code>&lt;script&gt;x&lt;/script&gt;\n</code></pre>\n");
  CHECK(blog::markdown_to_html("> quoted\n\n---") == "<blockquote><p>quoted</p></blockquote>\n<hr>\n");
  CHECK(blog::markdown_to_html("<img src=x onerror=alert(1)>") == "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n");
  CHECK(blog::markdown_to_html("[a](javascript:alert(1)) [b](data:text/html,x) [c](/ok)") ==
        "<p>a b <a href=\"/ok\" rel=\"nofollow noopener\">c</a></p>\n");
  CHECK(blog::markdown_to_html("[q](\" onmouseover=\"x)") == "<p><a href=\"&quot; onmouseover=&quot;x\" rel=\"nofollow noopener\">q</a></p>\n");
  CHECK(blog::excerpt("# Hi\n\nThere **you**", 100) == "Hi There you");
  CHECK(blog::excerpt(std::string(300, 'a'), 10) == "aaaaaaaaaa…");
}
