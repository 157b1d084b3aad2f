// The module loader. Order of checks: the file is a library exporting the entry symbol (read from the file,
// before it is loaded) → load it (RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) → the magic's sizes and ABI version →
// init → the description's sizes and contents. Nothing of the module runs before the magic passed, except
// what the dynamic loader itself runs (static initializers), which the SDK keeps free of work.
#include <calyx/modules/loader.hpp>

#include "modules/host_api_internal.hpp"

#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>

namespace calyx::modules {
namespace {

constexpr std::string_view kEntryPrefix = "calyx_module_v";

std::string view(calyx_str s) { return s.data ? std::string(s.data, s.len) : std::string(); }

// The smallest struct sizes a v1 module can have: the sizes of ABI 1.0.
constexpr std::uint32_t kMagicSize = sizeof(calyx_module_magic);
constexpr std::uint32_t kModuleSize = sizeof(calyx_module);

bool is_valid_method(const std::string& method) {
  static const std::set<std::string> methods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  return methods.contains(method);
}

bool is_valid_name_part(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

// A route pattern: "/" alone, or "/"-separated segments: literals of URL-safe characters, ":name"
// parameters, and an optional last "*name".
Status check_pattern(const std::string& pattern) {
  if (pattern.empty() || pattern.front() != '/') return Error::invalid_argument("must start with '/'");
  if (pattern == "/") return Ok{};
  std::set<std::string> names;
  std::size_t start = 1;
  while (true) {
    auto slash = pattern.find('/', start);
    std::string segment = pattern.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (segment.empty()) return Error::invalid_argument("has an empty segment");
    if (segment.front() == ':' || segment.front() == '*') {
      std::string name = segment.substr(1);
      bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      });
      if (!ok) return Error::invalid_argument(fmt::format("has a bad parameter '{}'", segment));
      if (!names.insert(name).second) return Error::invalid_argument(fmt::format("repeats parameter '{}'", name));
      if (segment.front() == '*' && slash != std::string::npos) {
        return Error::invalid_argument("has a catch-all that is not the last segment");
      }
    } else {
      bool ok = std::all_of(segment.begin(), segment.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.' || c == '~';
      });
      if (!ok) return Error::invalid_argument(fmt::format("has a bad segment '{}'", segment));
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return Ok{};
}

// Reads the pointer array `items` of `count` structs, each at least `min_size` bytes as the module built it.
template <typename T, typename F>
Status copy_items(const T* const* items, std::size_t count, const char* what, F&& copy) {
  if (count > 0 && !items) return Error::invalid_argument(fmt::format("{}: count {} but no array", what, count));
  for (std::size_t i = 0; i < count; ++i) {
    const T* item = items[i];
    if (!item) return Error::invalid_argument(fmt::format("{} #{} is null", what, i + 1));
    if (item->struct_size < sizeof(T)) {
      return Error::invalid_argument(fmt::format("bad struct size: {} #{} is {} bytes, ABI 1.0 needs at least {}", what,
                                                 i + 1, item->struct_size, sizeof(T)));
    }
    if (auto ok = copy(*item); !ok) return ok.error().with_context(fmt::format("{} #{}", what, i + 1));
  }
  return Ok{};
}

MenuItem copy_menu_item(const calyx_menu_item& item) {
  return MenuItem{view(item.label), view(item.path), view(item.icon), view(item.permission), item.order};
}

// Copies and validates the description a module's init returned.
Result<ModuleInfo> copy_description(const calyx_module& m) {
  ModuleInfo info;
  info.code = view(m.code);
  if (!is_valid_module_code(info.code)) {
    return Error::invalid_argument(fmt::format(
        "module code '{}' is invalid (lower-case letters, digits and '_', starting with a letter, 2-32 characters)",
        info.code));
  }
  info.name = view(m.name);
  info.description = view(m.description);
  if (info.name.empty()) return Error::invalid_argument("module has no name");
  auto version = Version::parse(view(m.version));
  if (!version) return version.error().with_context("module version");
  info.version = *version;
  info.main_route = view(m.main_route);
  const std::string prefix = info.code + ".";

  Status steps[] = {
      copy_items(m.dependencies, m.dependency_count, "dependency", [&](const calyx_dependency& d) -> Status {
        std::string code = view(d.code);
        if (!is_valid_module_code(code)) return Error::invalid_argument(fmt::format("bad module code '{}'", code));
        auto requirement = VersionRequirement::parse(view(d.version_requirement));
        if (!requirement) return requirement.error();
        info.dependencies.push_back(Dependency{code, *requirement});
        return Ok{};
      }),
      copy_items(m.menu_items, m.menu_item_count, "menu item", [&](const calyx_menu_item& item) -> Status {
        info.menu_items.push_back(copy_menu_item(item));
        return Ok{};
      }),
      copy_items(m.routes, m.route_count, "route", [&](const calyx_route& r) -> Status {
        RouteSpec route{view(r.method), view(r.path), view(r.permission), r.flags, r.handler, r.user_data};
        if (!is_valid_method(route.method)) {
          return Error::invalid_argument(fmt::format("method '{}' is not GET, POST, PUT, PATCH or DELETE", route.method));
        }
        if (auto ok = check_pattern(route.pattern); !ok) return ok.error().with_context("path '" + route.pattern + "'");
        if (!route.handler) return Error::invalid_argument(fmt::format("{} {} has no handler", route.method, route.pattern));
        info.routes.push_back(std::move(route));
        return Ok{};
      }),
      copy_items(m.sidebar_menu, m.sidebar_item_count, "sidebar item", [&](const calyx_menu_item& item) -> Status {
        info.sidebar_menu.push_back(copy_menu_item(item));
        return Ok{};
      }),
      copy_items(m.dashboard_widgets, m.dashboard_widget_count, "widget", [&](const calyx_widget& w) -> Status {
        if (!w.render) return Error::invalid_argument(fmt::format("widget '{}' has no render function", view(w.code)));
        info.widgets.push_back(Widget{view(w.code), view(w.title), view(w.permission), w.order, w.render, w.user_data});
        return Ok{};
      }),
      copy_items(m.user_roles, m.user_role_count, "role", [&](const calyx_role& r) -> Status {
        Role role{view(r.code), view(r.name), {}};
        if (!role.code.starts_with(prefix) || !is_valid_name_part(role.code)) {
          return Error::invalid_argument(fmt::format("role code '{}' must start with '{}'", role.code, prefix));
        }
        if (r.permission_count > 0 && !r.permissions) return Error::invalid_argument("permissions: no array");
        for (std::size_t i = 0; i < r.permission_count; ++i) role.permissions.push_back(view(r.permissions[i]));
        info.roles.push_back(std::move(role));
        return Ok{};
      }),
      copy_items(m.migrations, m.migration_count, "migration", [&](const calyx_migration& mig) -> Status {
        migrations::Migration migration;
        migration.version = mig.version;
        migration.name = view(mig.name);
        migration.sqlite_sql = view(mig.sql_sqlite);
        migration.postgresql_sql = mig.sql_postgresql.len ? view(mig.sql_postgresql) : migration.sqlite_sql;
        if (migration.version <= 0) return Error::invalid_argument("version must be positive");
        if (!info.migrations.empty() && info.migrations.back().version >= migration.version) {
          return Error::invalid_argument(fmt::format("version {} does not follow {}", migration.version,
                                                     info.migrations.back().version));
        }
        info.migrations.push_back(std::move(migration));
        return Ok{};
      }),
      copy_items(m.hooks, m.hook_count, "hook", [&](const calyx_hook& h) -> Status {
        HookHandler hook{view(h.hook_point), h.priority, h.handler, h.user_data};
        if (!is_valid_name_part(hook.point)) return Error::invalid_argument(fmt::format("bad hook point '{}'", hook.point));
        if (!hook.handler) return Error::invalid_argument(fmt::format("hook '{}' has no handler", hook.point));
        info.hooks.push_back(std::move(hook));
        return Ok{};
      }),
      copy_items(m.job_workers, m.job_worker_count, "job worker", [&](const calyx_job_worker& j) -> Status {
        JobWorker job{view(j.name), view(j.queue), j.max_attempts, j.timeout_ms, j.perform, j.user_data};
        if (!job.perform) return Error::invalid_argument(fmt::format("job '{}' has no perform function", job.name));
        if (job.queue.empty()) job.queue = "default";
        info.job_workers.push_back(std::move(job));
        return Ok{};
      }),
  };
  for (auto& step : steps) {
    if (!step) return step.error();
  }
  info.setup_tenant = m.setup_tenant;
  info.cleanup_tenant = m.cleanup_tenant;
  info.user_data = m.user_data;
  return info;
}

}  // namespace

bool is_valid_module_code(std::string_view code) {
  if (code.size() < 2 || code.size() > 32 || !(code[0] >= 'a' && code[0] <= 'z')) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

struct ModuleLoader::Library {
  boost::dll::shared_library library;
};

ModuleLoader::ModuleLoader(const calyx_host_api* host) : host_(host) {}
ModuleLoader::~ModuleLoader() = default;  // RTLD_NODELETE: the code stays mapped whatever happens here

Result<std::shared_ptr<const ModuleInfo>> ModuleLoader::load(const std::filesystem::path& file) {
  std::error_code ec;
  auto canonical = std::filesystem::canonical(file, ec);
  if (ec) return Error::not_found(fmt::format("{}: cannot open: {}", file.string(), ec.message()));
  const std::string path = canonical.string();
  if (auto it = by_path_.find(path); it != by_path_.end()) return it->second;

  auto refuse = [&](const std::string& reason) -> Result<std::shared_ptr<const ModuleInfo>> {
    Error error = Error::invalid_argument(fmt::format("{}: {}", path, reason));
    by_path_.emplace(path, error);
    return error;
  };

  // 1. Read the exported symbols from the file itself, without loading it.
  {
    char header[4] = {};
    std::ifstream in(canonical, std::ios::binary);
    in.read(header, sizeof header);
    if (in.gcount() != 4 || std::string_view(header, 4) != "\x7f" "ELF") {
      return refuse("not a shared library (no ELF header)");
    }
  }
  std::vector<std::string> entries;
  try {
    boost::dll::library_info info(canonical);
    for (auto& symbol : info.symbols()) {
      if (symbol.starts_with(kEntryPrefix)) entries.push_back(symbol);
    }
  } catch (const std::exception& e) {
    return refuse("not a shared library (" + std::string(e.what()) + ")");
  }
  if (std::find(entries.begin(), entries.end(), CALYX_MODULE_ENTRY_NAME) == entries.end()) {
    if (!entries.empty()) {
      return refuse(fmt::format("ABI major mismatch: the module exports {} but this host speaks ABI {} ({})",
                                entries.front(), CALYX_ABI_VERSION_MAJOR, CALYX_MODULE_ENTRY_NAME));
    }
    return refuse(fmt::format("missing entry symbol {}: not a Calyx module (built without CALYX_MODULE?)",
                              CALYX_MODULE_ENTRY_NAME));
  }

  // 2. Load it for good: resolve everything now, keep its symbols to itself, never unmap it.
  auto library = std::make_unique<Library>();
  try {
    auto mode = boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local |
                static_cast<boost::dll::load_mode::type>(RTLD_NODELETE);
    library->library.load(canonical, mode);
  } catch (const std::exception& e) {
    return refuse("cannot be loaded: " + std::string(e.what()));
  }
  auto entry = library->library.get<const calyx_module_magic*()>(CALYX_MODULE_ENTRY_NAME);
  libraries_.push_back(std::move(library));

  // 3. The magic: a static constant, read before any other module code runs.
  const calyx_module_magic* magic = entry();
  if (!magic) return refuse("the entry symbol returned no module magic");
  if (magic->struct_size < kMagicSize) {
    return refuse(fmt::format("bad struct size: calyx_module_magic is {} bytes, ABI 1.0 needs at least {}",
                              magic->struct_size, kMagicSize));
  }
  if (magic->abi_major != CALYX_ABI_VERSION_MAJOR) {
    return refuse(fmt::format("ABI major mismatch: the module was built for ABI {}.{}, this host speaks ABI {}.{}",
                              magic->abi_major, magic->abi_minor, CALYX_ABI_VERSION_MAJOR, CALYX_ABI_VERSION_MINOR));
  }
  if (magic->abi_minor > CALYX_ABI_VERSION_MINOR) {
    return refuse(fmt::format("ABI minor too new: the module was built for ABI {}.{}, this host speaks ABI {}.{}; "
                              "upgrade the host",
                              magic->abi_major, magic->abi_minor, CALYX_ABI_VERSION_MAJOR, CALYX_ABI_VERSION_MINOR));
  }
  if (!magic->init) return refuse("the module magic has no init function");

  // 4. init: the module's first code; it returns its description.
  const calyx_module* description = nullptr;
  detail::take_init_error();
  calyx_status status = CALYX_ERROR;
  try {
    status = magic->init(host_, &description);
  } catch (...) {
    // Exceptions must not cross the ABI (the SDK stops them); a module written without it may still throw.
    return refuse("init failed: it threw a C++ exception across the ABI");
  }
  std::string init_error = detail::take_init_error();
  if (status != CALYX_OK) {
    return refuse(fmt::format("init failed (status {}){}", static_cast<int>(status),
                              init_error.empty() ? "" : ": " + init_error));
  }
  if (!description) return refuse("init succeeded but returned no module description");
  if (description->struct_size < kModuleSize) {
    return refuse(fmt::format("bad struct size: calyx_module is {} bytes, ABI 1.0 needs at least {}",
                              description->struct_size, kModuleSize));
  }
  auto info = copy_description(*description);
  if (!info) return refuse(info.error().message());
  info->file = path;
  info->abi_major = magic->abi_major;
  info->abi_minor = magic->abi_minor;
  info->sdk_version = magic->sdk_version ? magic->sdk_version : "";
  auto shared = std::make_shared<const ModuleInfo>(std::move(info.value()));
  by_path_.emplace(path, shared);
  return shared;
}

std::vector<ModuleLoader::Outcome> ModuleLoader::discover(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (entry.path().extension() == ".so" && !entry.is_directory()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Outcome> outcomes;
  for (const auto& file : files) {
    std::error_code ignored;
    auto canonical = std::filesystem::canonical(file, ignored);
    outcomes.push_back(Outcome{(canonical.empty() ? file : canonical).string(), load(file)});
  }
  return outcomes;
}

}  // namespace calyx::modules
