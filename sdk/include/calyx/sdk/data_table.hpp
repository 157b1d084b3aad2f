// DataTable: a server-side paginated, sortable, filterable table for a module's pages.
//
// The module names its columns and, for each, the SQL expression behind it; only those columns may be sorted
// or searched, so nothing from the URL ever reaches the SQL text. The state lives in the URL (?page=&sort=
// &dir=&q=), so a table can be bookmarked and the back button works; in the browser, htmx (served by the
// host) refreshes only the table when a reader sorts, pages or types in the filter box — without JavaScript
// the same links and form reload the page.
//
//   calyx::sdk::DataTable table("posts", "/blog/editor",
//       {{"title", "Title", "title", true, true}, {"status", "Status", "status", true, true},
//        {"updated", "Updated", "updated_at", true, false}, {"actions", "Actions", "", false, false}},
//       "updated_at DESC, id DESC", 20);
//   auto q = table.read(c.request());
//   std::vector<calyx::sdk::Param> params;
//   std::string where = table.where(q, params);
//   auto total = c.db().query_integer("SELECT COUNT(*) FROM posts" + where, params);
//   std::string limit = table.limit(q, params);
//   for (const auto& row : c.db().query("SELECT ... FROM posts" + where + table.order_by(q) + limit, params)) ...
//   c.response().render("Posts", table.render(q, cells, total.value_or(0)));
//
// Thread-safety: a DataTable is immutable after construction. It is cheap to build per request (e.g. with its
// headings in the reader's language, Request::locale()) or once and shared.
#pragma once

#include <calyx/sdk/context.hpp>
#include <calyx/sdk/text.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace calyx::sdk {

struct Column {
  std::string key;          // its name in the URL (?sort=key)
  std::string label;        // its heading
  std::string sql;          // the SQL expression sorted or searched on (empty: neither)
  bool sortable = false;
  bool filterable = false;  // searched by the filter box (case-insensitive substring)
};

// What the URL asked for, checked against the columns.
struct TableQuery {
  int page = 1;
  std::string sort;         // a sortable column's key, or empty: the table's default order
  bool descending = false;
  std::string filter;       // the filter box's text
  std::string pattern;      // the filter as a LIKE pattern (kept here: parameters refer to it)
};

class DataTable {
 public:
  DataTable(std::string id, std::string path, std::vector<Column> columns, std::string default_order, int per_page = 20)
      : id_(std::move(id)), path_(std::move(path)), columns_(std::move(columns)),
        default_order_(std::move(default_order)), per_page_(std::clamp(per_page, 1, 500)) {}

  int per_page() const { return per_page_; }

  TableQuery read(const Request& request) const {
    TableQuery q;
    if (auto page = request.query("page"); page && !page->empty() && page->size() <= 6 &&
                                           page->find_first_not_of("0123456789") == std::string::npos) {
      q.page = std::max(1, std::stoi(*page));
    }
    if (auto sort = request.query("sort"); sort && find(*sort, true, false)) q.sort = *sort;
    q.descending = request.query("dir") == "desc";
    q.filter = request.query("q").value_or("");
    if (q.filter.size() > 200) q.filter.resize(200);
    std::string lowered;
    for (unsigned char c : q.filter) lowered += static_cast<char>(std::tolower(c));
    q.pattern = "%";
    for (char c : lowered) {
      if (c == '%' || c == '_' || c == '!') q.pattern += '!';  // LIKE ... ESCAPE '!'
      q.pattern += c;
    }
    q.pattern += '%';
    return q;
  }

  // " WHERE ..." for the filter (and `condition`, an SQL condition of the module's own, when not empty);
  // appends its parameters to `params`. Empty when there is nothing to filter.
  std::string where(const TableQuery& q, std::vector<Param>& params, std::string_view condition = "") const {
    std::string filter;
    if (!q.filter.empty()) {
      for (const auto& column : columns_) {
        if (!column.filterable || column.sql.empty()) continue;
        filter += (filter.empty() ? "" : " OR ") + ("LOWER(" + column.sql + ") LIKE ? ESCAPE '!'");
        params.emplace_back(q.pattern);
      }
    }
    std::string sql;
    if (!condition.empty()) sql = "(" + std::string(condition) + ")";
    if (!filter.empty()) sql += (sql.empty() ? "(" : " AND (") + filter + ")";
    return sql.empty() ? "" : " WHERE " + sql;
  }

  // " ORDER BY ..." for the asked column (then the default order, so pages are stable), or the default.
  std::string order_by(const TableQuery& q) const {
    const Column* column = q.sort.empty() ? nullptr : find(q.sort, true, false);
    std::string order = column ? column->sql + (q.descending ? " DESC" : " ASC") : "";
    if (!default_order_.empty()) order += (order.empty() ? "" : ", ") + default_order_;
    return order.empty() ? "" : " ORDER BY " + order;
  }

  // " LIMIT ? OFFSET ?" with its parameters.
  std::string limit(const TableQuery& q, std::vector<Param>& params) const {
    params.emplace_back(per_page_);
    params.emplace_back(static_cast<std::int64_t>(q.page - 1) * per_page_);
    return " LIMIT ? OFFSET ?";
  }

  // The table: filter box, headings (sort links), `cells` (one vector of HTML per row, a cell per column:
  // the module escapes what it puts there), and the pager; its own words in `locale` (Request::locale()).
  std::string render(const TableQuery& q, const std::vector<std::vector<std::string>>& cells, std::int64_t total,
                     std::string_view locale = "en") const {
    bool pt = locale == "pt-BR";
    auto word = [&](std::string_view en, std::string_view pt_br) { return std::string(pt ? pt_br : en); };
    std::int64_t pages = std::max<std::int64_t>(1, (total + per_page_ - 1) / per_page_);
    std::string target = "#" + id_;
    // hx-boost turns the links and the form into requests that replace only this table, and keep the URL.
    std::string html = "<div id=\"" + escape_html(id_) + "\" class=\"datatable\" data-datatable hx-boost=\"true\" hx-target=\"" +
                       escape_html(target) + "\" hx-select=\"" + escape_html(target) + "\" hx-swap=\"outerHTML\">";
    html += "<form method=\"get\" action=\"" + escape_html(path_) + "\" role=\"search\" class=\"mb-3 flex flex-wrap items-end gap-2\">";
    html += "<div class=\"grow\"><label for=\"" + escape_html(id_) + "-q\" class=\"sr-only\">" + word("Filter", "Filtrar") +
            "</label>";
    html += "<input id=\"" + escape_html(id_) + "-q\" type=\"search\" name=\"q\" value=\"" + escape_html(q.filter) +
            "\" placeholder=\"" + word("Filter", "Filtrar") + "\" autocomplete=\"off\" hx-get=\"" + escape_html(path_) +
            "\" hx-trigger=\"input changed delay:300ms, search\" hx-include=\"closest form\" hx-push-url=\"true\"></div>";
    if (!q.sort.empty()) {
      html += "<input type=\"hidden\" name=\"sort\" value=\"" + escape_html(q.sort) + "\">";
      html += "<input type=\"hidden\" name=\"dir\" value=\"" + std::string(q.descending ? "desc" : "asc") + "\">";
    }
    html += "<button type=\"submit\" class=\"btn btn-secondary\">" + word("Filter", "Filtrar") + "</button></form>";
    html += "<div class=\"overflow-x-auto\"><table><thead><tr>";
    for (const auto& column : columns_) {
      if (!column.sortable) {
        html += "<th scope=\"col\">" + escape_html(column.label) + "</th>";
        continue;
      }
      bool active = q.sort == column.key;
      std::string aria = active ? (q.descending ? "descending" : "ascending") : "none";
      std::string arrow = active ? (q.descending ? " ↓" : " ↑") : "";
      html += "<th scope=\"col\" aria-sort=\"" + aria + "\"><a href=\"" +
              escape_html(url(1, column.key, active && !q.descending, q.filter)) + "\" data-sort=\"" + escape_html(column.key) +
              "\">" + escape_html(column.label) + arrow + "</a></th>";
    }
    // The module's own links and forms in the rows are ordinary ones (an edit page replaces the whole page).
    html += "</tr></thead><tbody hx-boost=\"false\">";
    for (const auto& row : cells) {
      html += "<tr>";
      for (const auto& cell : row) html += "<td>" + cell + "</td>";
      html += "</tr>";
    }
    if (cells.empty()) {
      html += "<tr><td colspan=\"" + std::to_string(columns_.size()) + "\">" +
              (q.filter.empty() ? word("Nothing here yet.", "Nada aqui ainda.")
                                : word("Nothing matches", "Nada corresponde a") + " “" + escape_html(q.filter) + "”.") +
              "</td></tr>";
    }
    html += "</tbody></table></div>";
    html += "<nav class=\"mt-3 flex items-center justify-between gap-3 text-sm\" aria-label=\"" + word("Pages", "Páginas") + "\">";
    html += q.page > 1 ? "<a rel=\"prev\" href=\"" + escape_html(url(q.page - 1, q.sort, q.descending, q.filter)) + "\">" +
                             word("Previous", "Anterior") + "</a>"
                       : "<span></span>";
    html += "<span data-page-status>" + word("Page", "Página") + " " + std::to_string(q.page) + " " + word("of", "de") + " " +
            std::to_string(pages) + " · " + std::to_string(total) + " " +
            (total == 1 ? word("row", "linha") : word("rows", "linhas")) + "</span>";
    html += q.page < pages ? "<a rel=\"next\" href=\"" + escape_html(url(q.page + 1, q.sort, q.descending, q.filter)) + "\">" +
                                 word("Next", "Próxima") + "</a>"
                           : "<span></span>";
    html += "</nav></div>";
    return html;
  }

  // The table's address for a state.
  std::string url(int page, std::string_view sort, bool descending, std::string_view filter) const {
    std::string query;
    auto add = [&](std::string_view key, std::string_view value) {
      query += (query.empty() ? "?" : "&") + std::string(key) + "=" + url_encode(value);
    };
    if (page > 1) add("page", std::to_string(page));
    if (!sort.empty()) {
      add("sort", sort);
      add("dir", descending ? "desc" : "asc");
    }
    if (!filter.empty()) add("q", filter);
    return path_ + query;
  }

 private:
  const Column* find(std::string_view key, bool sortable, bool filterable) const {
    for (const auto& column : columns_) {
      if (column.key != key || column.sql.empty()) continue;
      if ((sortable && !column.sortable) || (filterable && !column.filterable)) continue;
      return &column;
    }
    return nullptr;
  }

  std::string id_, path_;
  std::vector<Column> columns_;
  std::string default_order_;
  int per_page_;
};

}  // namespace calyx::sdk
