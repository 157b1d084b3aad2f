// What the host knows of a loaded module: the host's own copy of everything the module declared through
// the ABI (calyx_module), plus where it came from. Callback pointers point into the module's code, which is
// never unloaded. Thread-safety: immutable after loading; share freely.
#pragma once

#include <calyx/migrations/migration.hpp>
#include <calyx/modules/semver.hpp>
#include <calyx/plugin_api.h>

#include <cstdint>
#include <string>
#include <vector>

namespace calyx::modules {

struct Dependency {
  std::string code;
  VersionRequirement requirement;
};

struct MenuItem {
  std::string label, path, icon, permission;
  int order = 0;
};

struct RouteSpec {
  std::string method;   // upper case
  std::string pattern;  // "/blog/:slug"
  std::string permission;
  std::uint32_t flags = 0;  // CALYX_ROUTE_*
  calyx_handler_fn handler = nullptr;
  void* user_data = nullptr;

  bool is_public() const { return flags & CALYX_ROUTE_PUBLIC; }
  bool wants_layout() const { return !(flags & CALYX_ROUTE_NO_LAYOUT); }
  bool never_blocks() const { return flags & CALYX_ROUTE_NONBLOCKING; }
};

struct Role {
  std::string code, name;
  std::vector<std::string> permissions;
};

struct HookHandler {
  std::string point;
  int priority = 0;
  calyx_hook_fn handler = nullptr;
  void* user_data = nullptr;
};

struct JobWorker {
  std::string name, queue;
  std::uint32_t max_attempts = 0, timeout_ms = 0;
  calyx_job_fn perform = nullptr;
  void* user_data = nullptr;
};

struct Widget {
  std::string code, title, permission;
  int order = 0;
  calyx_widget_fn render = nullptr;
  void* user_data = nullptr;
};

struct ModuleInfo {
  std::string code, name, description;
  Version version;
  std::vector<Dependency> dependencies;
  std::string main_route;
  std::vector<MenuItem> menu_items;
  std::vector<RouteSpec> routes;
  std::vector<MenuItem> sidebar_menu;
  std::vector<Widget> widgets;
  std::vector<Role> roles;
  std::vector<migrations::Migration> migrations;
  std::vector<HookHandler> hooks;
  std::vector<JobWorker> job_workers;
  calyx_setup_tenant_fn setup_tenant = nullptr;
  calyx_cleanup_tenant_fn cleanup_tenant = nullptr;
  void* user_data = nullptr;

  std::string file;  // canonical path of the library
  unsigned abi_major = 0, abi_minor = 0;
  std::string sdk_version;
};

}  // namespace calyx::modules
