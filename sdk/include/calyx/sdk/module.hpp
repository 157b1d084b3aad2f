// Defining a module: a function that fills a ModuleDefinition, plus one CALYX_MODULE(function) line.
//
//   static void define(calyx::sdk::ModuleDefinition& m) {
//     m.code("blog").name("Blog").description("Posts and pages").version("1.0.0").main_route("/blog");
//     m.get("/blog", list_posts, calyx::sdk::Access::public_route);
//   }
//   CALYX_MODULE(define)
//
// The SDK builds the ABI description from it, keeps it for the life of the process, and puts every callback
// behind an exception barrier: an exception becomes an error status with its message, never a crash.
// Thread-safety: define() runs once, in init; callbacks run on host threads as docs/abi.md says.
#pragma once

#include <calyx/plugin_api.h>
#include <calyx/sdk/abi.hpp>
#include <calyx/sdk/context.hpp>

#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#define CALYX_SDK_VERSION "1.1.0"

// Migrations embedded by calyx_add_module(... MIGRATIONS ...). Weak: a module built without any has none.
extern "C" {
struct calyx_sdk_embedded_file {
  const char* name;
  const char* data;
  size_t size;
};
extern const calyx_sdk_embedded_file calyx_sdk_embedded_migrations[] __attribute__((weak, visibility("hidden")));
extern const size_t calyx_sdk_embedded_migration_count __attribute__((weak, visibility("hidden")));
}

namespace calyx::sdk {

using Handler = std::function<void(Context&)>;
using HookHandler = std::function<void(Context&, std::string_view point, std::string_view data_json)>;
using WidgetRenderer = std::function<void(Context&)>;
using JobPerformer = std::function<void(Context&, std::string_view args_json)>;
using SetupTenant = std::function<void(Context&, std::string_view options_json)>;
using CleanupTenant = std::function<void(Context&)>;

// Who may call a route, beyond the permission it names.
enum class Access {
  members,       // signed-in members of the tenant (holding the permission, if one is named)
  public_route,  // anyone, signed in or not
};

namespace detail {

// Runs `body`; an exception becomes a status and, when it has one, a message set through the host.
template <typename F>
calyx_status barrier(calyx_call* call, F&& body) noexcept {
  auto report = [call](std::string_view message) {
    if (!message.empty() && host) host->set_error(call, to_calyx_str(message));
  };
  try {
    body();
    return CALYX_OK;
  } catch (const Failure& failure) {
    report(failure.what());
    return failure.status();
  } catch (const std::exception& e) {
    report(e.what());
    return CALYX_ERROR;
  } catch (...) {
    report("unknown exception");
    return CALYX_ERROR;
  }
}

}  // namespace detail

class ModuleDefinition {
 public:
  ModuleDefinition& code(std::string_view v) { return set(module_.code, v); }
  ModuleDefinition& name(std::string_view v) { return set(module_.name, v); }
  ModuleDefinition& description(std::string_view v) { return set(module_.description, v); }
  ModuleDefinition& version(std::string_view v) { return set(module_.version, v); }
  ModuleDefinition& main_route(std::string_view v) { return set(module_.main_route, v); }

  // Another module this one needs; `requirement` like "^1.2" or ">=1.0.0" (empty: any version).
  ModuleDefinition& depends_on(std::string_view code, std::string_view requirement = "") {
    auto& d = dependencies_.emplace_back();
    d.struct_size = sizeof d;
    d.code = keep(code);
    d.version_requirement = keep(requirement);
    return *this;
  }

  ModuleDefinition& menu_item(std::string_view label, std::string_view path, std::string_view icon = "",
                              std::string_view permission = "", int order = 0) {
    menu_items_.push_back(item(label, path, icon, permission, order));
    return *this;
  }
  ModuleDefinition& sidebar_item(std::string_view label, std::string_view path, std::string_view icon = "",
                                 std::string_view permission = "", int order = 0) {
    sidebar_.push_back(item(label, path, icon, permission, order));
    return *this;
  }

  ModuleDefinition& route(std::string_view method, std::string_view path, Handler handler,
                          std::string_view permission = "", Access access = Access::members, bool layout = true) {
    auto& r = routes_.emplace_back();
    r.struct_size = sizeof r;
    r.method = keep(method);
    r.path = keep(path);
    r.permission = keep(permission);
    r.flags = (access == Access::public_route ? CALYX_ROUTE_PUBLIC : 0u) | (layout ? 0u : CALYX_ROUTE_NO_LAYOUT);
    r.handler = &call_handler;
    r.user_data = &handlers_.emplace_back(std::move(handler));
    return *this;
  }
  // Marks the route declared just before as never waiting (ABI 1.1, CALYX_ROUTE_NONBLOCKING): it answers from
  // the request and memory alone, so the host may run it on a network thread. Its calls have no database,
  // settings or hooks.
  ModuleDefinition& never_blocks() {
    if (routes_.empty()) throw std::logic_error("never_blocks() follows the route it marks");
    routes_.back().flags |= CALYX_ROUTE_NONBLOCKING;
    return *this;
  }

  ModuleDefinition& get(std::string_view path, Handler h, std::string_view permission = "", Access a = Access::members) {
    return route("GET", path, std::move(h), permission, a);
  }
  ModuleDefinition& get(std::string_view path, Handler h, Access a) { return route("GET", path, std::move(h), "", a); }
  ModuleDefinition& post(std::string_view path, Handler h, std::string_view permission = "", Access a = Access::members) {
    return route("POST", path, std::move(h), permission, a);
  }
  ModuleDefinition& put(std::string_view path, Handler h, std::string_view permission = "") {
    return route("PUT", path, std::move(h), permission);
  }
  ModuleDefinition& patch(std::string_view path, Handler h, std::string_view permission = "") {
    return route("PATCH", path, std::move(h), permission);
  }
  ModuleDefinition& del(std::string_view path, Handler h, std::string_view permission = "") {
    return route("DELETE", path, std::move(h), permission);
  }

  ModuleDefinition& role(std::string_view code, std::string_view name, std::initializer_list<std::string_view> permissions) {
    auto& list = permission_lists_.emplace_back();
    for (auto p : permissions) list.push_back(keep(p));
    auto& r = roles_.emplace_back();
    r.struct_size = sizeof r;
    r.code = keep(code);
    r.name = keep(name);
    r.permissions = list.data();
    r.permission_count = list.size();
    return *this;
  }

  // A migration given in code; `postgresql` empty means the same SQL serves both backends.
  ModuleDefinition& migration(std::int64_t version, std::string_view name, std::string_view sqlite,
                              std::string_view postgresql = "") {
    auto& m = migrations_.emplace_back();
    m.struct_size = sizeof m;
    m.version = version;
    m.name = keep(name);
    m.sql_sqlite = keep(sqlite);
    m.sql_postgresql = keep(postgresql);
    return *this;
  }

  ModuleDefinition& hook(std::string_view point, HookHandler handler, int priority = 0) {
    auto& h = hooks_.emplace_back();
    h.struct_size = sizeof h;
    h.priority = priority;
    h.hook_point = keep(point);
    h.handler = &call_hook;
    h.user_data = &hook_handlers_.emplace_back(std::move(handler));
    return *this;
  }

  ModuleDefinition& widget(std::string_view code, std::string_view title, WidgetRenderer render,
                           std::string_view permission = "", int order = 0) {
    auto& w = widgets_.emplace_back();
    w.struct_size = sizeof w;
    w.order = order;
    w.code = keep(code);
    w.title = keep(title);
    w.permission = keep(permission);
    w.render = &call_widget;
    w.user_data = &widget_renderers_.emplace_back(std::move(render));
    return *this;
  }

  ModuleDefinition& job(std::string_view name, JobPerformer perform, std::string_view queue = "",
                        std::uint32_t max_attempts = 0, std::uint32_t timeout_ms = 0) {
    auto& j = jobs_.emplace_back();
    j.struct_size = sizeof j;
    j.max_attempts = max_attempts;
    j.timeout_ms = timeout_ms;
    j.name = keep(name);
    j.queue = keep(queue);
    j.perform = &call_job;
    j.user_data = &job_performers_.emplace_back(std::move(perform));
    return *this;
  }

  ModuleDefinition& on_setup_tenant(SetupTenant f) {
    setup_ = std::move(f);
    return *this;
  }
  ModuleDefinition& on_cleanup_tenant(CleanupTenant f) {
    cleanup_ = std::move(f);
    return *this;
  }

  // The ABI description; valid as long as this definition (for a module: the process).
  const calyx_module* finish() {
    add_embedded_migrations();
    module_.struct_size = sizeof module_;
    module_.dependencies = pointers(dependencies_, dependency_ptrs_);
    module_.dependency_count = dependencies_.size();
    module_.menu_items = pointers(menu_items_, menu_item_ptrs_);
    module_.menu_item_count = menu_items_.size();
    module_.routes = pointers(routes_, route_ptrs_);
    module_.route_count = routes_.size();
    module_.sidebar_menu = pointers(sidebar_, sidebar_ptrs_);
    module_.sidebar_item_count = sidebar_.size();
    module_.dashboard_widgets = pointers(widgets_, widget_ptrs_);
    module_.dashboard_widget_count = widgets_.size();
    module_.user_roles = pointers(roles_, role_ptrs_);
    module_.user_role_count = roles_.size();
    module_.migrations = pointers(migrations_, migration_ptrs_);
    module_.migration_count = migrations_.size();
    module_.hooks = pointers(hooks_, hook_ptrs_);
    module_.hook_count = hooks_.size();
    module_.job_workers = pointers(jobs_, job_ptrs_);
    module_.job_worker_count = jobs_.size();
    module_.setup_tenant = &call_setup;
    module_.cleanup_tenant = &call_cleanup;
    module_.user_data = this;
    return &module_;
  }

 private:
  ModuleDefinition& set(calyx_str& field, std::string_view value) {
    field = keep(value);
    return *this;
  }
  // Strings live in a deque: their addresses never move.
  calyx_str keep(std::string_view text) {
    const std::string& kept = strings_.emplace_back(text);
    return calyx_str{kept.data(), kept.size()};
  }
  calyx_menu_item item(std::string_view label, std::string_view path, std::string_view icon,
                       std::string_view permission, int order) {
    calyx_menu_item i{};
    i.struct_size = sizeof i;
    i.order = order;
    i.label = keep(label);
    i.path = keep(path);
    i.icon = keep(icon);
    i.permission = keep(permission);
    return i;
  }
  template <typename T>
  static const T* const* pointers(std::deque<T>& items, std::vector<const T*>& out) {
    out.clear();
    for (auto& item : items) out.push_back(&item);
    return out.empty() ? nullptr : out.data();
  }

  // Migrations from files named NNNN_name.sql, NNNN_name.sqlite.sql, NNNN_name.postgresql.sql.
  void add_embedded_migrations() {
    if (!&calyx_sdk_embedded_migration_count || !calyx_sdk_embedded_migrations) return;
    struct Pair {
      std::string name;
      std::string_view both, sqlite, postgresql;
    };
    std::map<std::int64_t, Pair> by_version;
    for (std::size_t i = 0; i < calyx_sdk_embedded_migration_count; ++i) {
      const auto& file = calyx_sdk_embedded_migrations[i];
      std::string_view name(file.name), sql(file.data, file.size);
      auto underscore = name.find('_');
      if (underscore == std::string_view::npos) continue;  // calyx_add_module checks names at build time
      std::int64_t version = std::stoll(std::string(name.substr(0, underscore)));
      std::string_view rest = name.substr(underscore + 1);
      rest.remove_suffix(4);  // ".sql"
      Pair& pair = by_version[version];
      if (rest.ends_with(".sqlite")) {
        pair.sqlite = sql;
        rest.remove_suffix(7);
      } else if (rest.ends_with(".postgresql")) {
        pair.postgresql = sql;
        rest.remove_suffix(11);
      } else {
        pair.both = sql;
      }
      pair.name = std::string(rest);
    }
    for (const auto& [version, pair] : by_version) {
      migration(version, pair.name, pair.both.empty() ? pair.sqlite : pair.both,
                pair.both.empty() ? pair.postgresql : std::string_view());
    }
  }

  static calyx_status call_handler(calyx_call* call, void* data) {
    return detail::barrier(call, [&] {
      Context context(call);
      (*static_cast<Handler*>(data))(context);
    });
  }
  static calyx_status call_hook(calyx_call* call, calyx_str point, calyx_str json, void* data) {
    return detail::barrier(call, [&] {
      Context context(call);
      (*static_cast<HookHandler*>(data))(context, to_string_view(point), to_string_view(json));
    });
  }
  static calyx_status call_widget(calyx_call* call, void* data) {
    return detail::barrier(call, [&] {
      Context context(call);
      (*static_cast<WidgetRenderer*>(data))(context);
    });
  }
  static calyx_status call_job(calyx_call* call, calyx_str args, void* data) {
    return detail::barrier(call, [&] {
      Context context(call);
      (*static_cast<JobPerformer*>(data))(context, to_string_view(args));
    });
  }
  static calyx_status call_setup(calyx_call* call, calyx_str options, void* data) {
    return detail::barrier(call, [&] {
      auto* self = static_cast<ModuleDefinition*>(data);
      Context context(call);
      if (self->setup_) self->setup_(context, to_string_view(options));
    });
  }
  static calyx_status call_cleanup(calyx_call* call, void* data) {
    return detail::barrier(call, [&] {
      auto* self = static_cast<ModuleDefinition*>(data);
      Context context(call);
      if (self->cleanup_) self->cleanup_(context);
    });
  }

  calyx_module module_{};
  std::deque<std::string> strings_;
  std::deque<calyx_dependency> dependencies_;
  std::deque<calyx_menu_item> menu_items_, sidebar_;
  std::deque<calyx_route> routes_;
  std::deque<calyx_role> roles_;
  std::deque<std::vector<calyx_str>> permission_lists_;
  std::deque<calyx_migration> migrations_;
  std::deque<calyx_hook> hooks_;
  std::deque<calyx_widget> widgets_;
  std::deque<calyx_job_worker> jobs_;
  std::deque<Handler> handlers_;
  std::deque<HookHandler> hook_handlers_;
  std::deque<WidgetRenderer> widget_renderers_;
  std::deque<JobPerformer> job_performers_;
  SetupTenant setup_;
  CleanupTenant cleanup_;
  std::vector<const calyx_dependency*> dependency_ptrs_;
  std::vector<const calyx_menu_item*> menu_item_ptrs_, sidebar_ptrs_;
  std::vector<const calyx_route*> route_ptrs_;
  std::vector<const calyx_role*> role_ptrs_;
  std::vector<const calyx_migration*> migration_ptrs_;
  std::vector<const calyx_hook*> hook_ptrs_;
  std::vector<const calyx_widget*> widget_ptrs_;
  std::vector<const calyx_job_worker*> job_ptrs_;
};

namespace detail {

// The module's init: keeps the host table, runs define() once, hands back the description.
template <void (*Define)(ModuleDefinition&)>
calyx_status init(const calyx_host_api* table, const calyx_module** out) {
  host = table;
  return barrier(nullptr, [&] {
    // Intentionally never destroyed: the host may call into the module until the process ends.
    static ModuleDefinition& definition = *new ModuleDefinition();  // NOLINT(cppcoreguidelines-owning-memory)
    Define(definition);
    *out = definition.finish();
  });
}

}  // namespace detail
}  // namespace calyx::sdk

// Exports the module's entry point: a constant magic block (no code runs to produce it) whose init runs
// `define_function(calyx::sdk::ModuleDefinition&)`.
#define CALYX_MODULE(define_function)                                                                  \
  extern "C" CALYX_EXPORT const calyx_module_magic* CALYX_MODULE_ENTRY(void) {                         \
    static const calyx_module_magic magic = {sizeof(calyx_module_magic), CALYX_ABI_VERSION_MAJOR,      \
                                             CALYX_ABI_VERSION_MINOR,   0,                             \
                                             CALYX_SDK_VERSION,         &::calyx::sdk::detail::init<&define_function>}; \
    return &magic;                                                                                     \
  }
