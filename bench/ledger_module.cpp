// Benchmark module for the tenancy benchmarks, in two releases (LEDGER_RELEASE=1 or 2): a table of entries,
// 50 rows seeded per tenant, a route listing them as JSON; release 2 adds one column (the migrate-all run).
#include <calyx/sdk.hpp>

namespace {

using calyx::sdk::Context;

void define(calyx::sdk::ModuleDefinition& m) {
  m.code("ledger").name("Ledger").description("Tenancy benchmark module");
  m.version(LEDGER_RELEASE == 1 ? "1.0.0" : "2.0.0");
  m.migration(1, "create_entries",
              "CREATE TABLE entries (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, amount INTEGER NOT NULL);",
              "CREATE TABLE entries (id BIGSERIAL PRIMARY KEY, title TEXT NOT NULL, amount BIGINT NOT NULL);");
#if LEDGER_RELEASE >= 2
  m.migration(2, "add_entry_memo", "ALTER TABLE entries ADD COLUMN memo TEXT;", "ALTER TABLE entries ADD COLUMN memo TEXT;");
#endif
  m.on_setup_tenant([](Context& c, std::string_view) {
    for (int i = 1; i <= 50; ++i) {
      c.db().execute("INSERT INTO entries (title, amount) VALUES (?, ?)", {"entry " + std::to_string(i), i * 100});
    }
  });
  m.get("/entries", [](Context& c) {
    calyx::sdk::JsonWriter json;
    json.begin_array();
    for (const auto& row : c.db().query("SELECT id, title, amount FROM entries ORDER BY id LIMIT 50")) {
      json.begin_object().field("id", row.integer(0)).field("title", row.text(1)).field("amount", row.integer(2)).end_object();
    }
    json.end_array();
    c.response().json(json.str());
  }, calyx::sdk::Access::public_route);
}

}  // namespace

CALYX_MODULE(define)
