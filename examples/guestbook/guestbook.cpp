// Guestbook: visitors of a tenant's site leave a message; the tenant's members moderate them.
// An example of a third-party module: it uses only the Calyx SDK.
#include <calyx/sdk.hpp>

#include <string>

namespace {

using calyx::sdk::Context;

constexpr std::size_t kMaxMessage = 500;

// GET /guestbook — public: the latest messages and a form to add one.
void show(Context& c) {
  auto entries = c.db().query("SELECT author, message FROM guestbook_entries ORDER BY id DESC LIMIT 50");
  std::string data = R"({"entries":[)";
  bool first = true;
  for (const auto& row : entries) {
    data += std::string(first ? "" : ",") + R"({"author":)" + calyx::sdk::json_quote(row.text("author")) +
            R"(,"message":)" + calyx::sdk::json_quote(row.text("message")) + "}";
    first = false;
  }
  data += "]}";
  c.response().render("Guestbook", c.render_template(R"(<h1>Guestbook</h1>
<ul>{{#entries}}<li><strong>{{author}}</strong>: {{message}}</li>{{/entries}}</ul>
{{^entries}}<p>Be the first to sign.</p>{{/entries}}
<form method="post" action="/guestbook"><label>Name <input name="author" required></label>
<label>Message <textarea name="message" required></textarea></label><button>Sign</button></form>)",
                                                     data));
}

// POST /guestbook — public: adds a message.
void sign(Context& c) {
  auto author = c.request().form("author").value_or("");
  auto message = c.request().form("message").value_or("");
  if (author.empty() || message.empty()) throw calyx::sdk::invalid("both a name and a message are required");
  if (message.size() > kMaxMessage) throw calyx::sdk::invalid("a message has at most 500 characters");
  c.db().execute("INSERT INTO guestbook_entries (author, message) VALUES (?, ?)", {author, message});
  c.response().redirect("/guestbook");
}

// POST /guestbook/clear — moderators only.
void clear(Context& c) {
  auto removed = c.db().execute("DELETE FROM guestbook_entries");
  c.response().text(std::to_string(removed) + " removed");
}

void define(calyx::sdk::ModuleDefinition& m) {
  m.code("guestbook").name("Guestbook").description("Visitors leave a message").version("1.0.0");
  m.main_route("/guestbook").menu_item("Guestbook", "/guestbook", "hero-book-open");
  m.role("guestbook.moderator", "Guestbook moderator", {"guestbook.moderate"});
  m.get("/guestbook", show, calyx::sdk::Access::public_route);
  m.post("/guestbook", sign, "", calyx::sdk::Access::public_route);
  m.post("/guestbook/clear", clear, "guestbook.moderate");
}

}  // namespace

CALYX_MODULE(define)
