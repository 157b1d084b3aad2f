/* The Calyx module ABI, version 1: the one header shared by the host and every module. Pure C99.
 *
 * A module is a shared library exporting exactly one symbol, CALYX_MODULE_ENTRY (`calyx_module_v1`): a
 * function returning a static calyx_module_magic. The host reads the magic (sizes, ABI version) before any
 * other module code runs, then calls magic->init once with the host services table; init hands back the
 * module's description (calyx_module): identity, dependencies, routes, menus, widgets, roles, migrations,
 * hooks, job workers and lifecycle callbacks.
 *
 * Rules that hold for every type here (docs/abi.md is the full reference):
 * - Versioning: the major is in the entry symbol's name. Minor versions only append fields to the end of a
 *   struct or functions to the end of calyx_host_api. Every such struct starts with `struct_size`; a reader
 *   uses a field only if struct_size says it is there.
 * - Only C types cross. Strings are calyx_str views: UTF-8, (pointer, length), not NUL-terminated by
 *   contract. Whatever crosses is borrowed for the duration of the call that passes it; the receiver copies
 *   what it keeps. Nothing allocated on one side is freed on the other.
 * - Errors: functions return calyx_status; a module explains a failure with host->set_error before it
 *   returns. C++ exceptions never cross (the SDK catches them at every entry point).
 * - Threading: stated per callback below. Host services may be called only on the thread of the call whose
 *   calyx_call they are given, and only until that call returns. */
#ifndef CALYX_PLUGIN_API_H
#define CALYX_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version. A module built for another major is refused; one built for a newer minor than the host's
 * is refused; one built for an older minor is served. */
#define CALYX_ABI_VERSION_MAJOR 1
#define CALYX_ABI_VERSION_MINOR 1

/* The one symbol a module exports. The major is part of its name, so a v2 host cannot even find a v1 entry
 * by mistake. */
#define CALYX_MODULE_ENTRY calyx_module_v1
#define CALYX_MODULE_ENTRY_NAME "calyx_module_v1"

/* Marks the entry symbol as the library's one exported symbol (everything else is hidden). */
#if defined(_WIN32)
#define CALYX_EXPORT __declspec(dllexport)
#else
#define CALYX_EXPORT __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------------------------------------
 * Basic types
 * ------------------------------------------------------------------------------------------------------- */

/* Outcome of every call across the ABI.
 * OWNERSHIP: a plain value. THREADING: a plain value. */
typedef enum calyx_status {
  CALYX_OK = 0,
  CALYX_ERROR = 1,            /* failed; the callee set a message with set_error */
  CALYX_INVALID_ARGUMENT = 2, /* the caller passed something the callee cannot accept (HTTP 400) */
  CALYX_NOT_FOUND = 3,        /* the thing named does not exist (HTTP 404) */
  CALYX_DENIED = 4,           /* the caller may not do this (HTTP 403) */
  CALYX_UNAVAILABLE = 5,      /* a dependency (the database) cannot be reached now (HTTP 503) */
  CALYX_CONFLICT = 6          /* the operation contradicts stored state, e.g. a duplicate (HTTP 409) */
} calyx_status;

/* A string view: `len` bytes of UTF-8 at `data`, not necessarily NUL-terminated. {NULL, 0} is empty.
 * OWNERSHIP: borrowed; valid only during the call that passes it (module descriptions: see calyx_module).
 * THREADING: read it only on the thread of that call. */
typedef struct calyx_str {
  const char* data;
  size_t len;
} calyx_str;

/* Log severities for host->log. OWNERSHIP/THREADING: plain values. */
typedef enum calyx_log_level {
  CALYX_LOG_DEBUG = 0,
  CALYX_LOG_INFO = 1,
  CALYX_LOG_WARN = 2,
  CALYX_LOG_ERROR = 3
} calyx_log_level;

/* Type tag of a calyx_value. */
typedef enum calyx_value_type {
  CALYX_VALUE_NULL = 0,
  CALYX_VALUE_INT = 1,  /* as.i */
  CALYX_VALUE_REAL = 2, /* as.r */
  CALYX_VALUE_TEXT = 3, /* as.s, UTF-8 */
  CALYX_VALUE_BLOB = 4  /* as.s, raw bytes */
} calyx_value_type;

/* An SQL value: a bound parameter, or a column of a result row.
 * OWNERSHIP: text and blob bytes are borrowed: parameters for the db call they are passed to; column values
 * until the next rows_next or rows_close on their row set. THREADING: the thread of the call. */
typedef struct calyx_value {
  int32_t type; /* calyx_value_type */
  int32_t reserved0;
  union {
    int64_t i;
    double r;
    calyx_str s;
  } as;
} calyx_value;

/* The context of one call from the host into the module: an HTTP request, a hook, a lifecycle callback, a
 * job, a widget. Opaque; pass it back to host services.
 * OWNERSHIP: the host's; valid until the module callback it was given to returns.
 * THREADING: use it only on the thread of that callback. */
typedef struct calyx_call calyx_call;

/* A result set from host->db_query. Opaque.
 * OWNERSHIP: the host's; the module ends it with host->rows_close (at the latest when the call returns, when
 * the host closes whatever is left open). THREADING: the thread of the call that opened it. */
typedef struct calyx_rows calyx_rows;

/* The tenant a call runs for. Filled by host->call_tenant.
 * OWNERSHIP: strings borrowed for the call. THREADING: the thread of the call. */
typedef struct calyx_tenant_info {
  uint32_t struct_size;
  uint32_t reserved0;
  int64_t id;          /* stable numeric id; 0 when the call has no tenant */
  calyx_str slug;      /* e.g. "acme" */
  calyx_str name;      /* display name, e.g. "Acme Inc." */
  calyx_str isolation; /* "shared", "isolated" or "enterprise" */
} calyx_tenant_info;

/* The user a call runs for. Filled by host->call_user.
 * OWNERSHIP: strings borrowed for the call. THREADING: the thread of the call. */
typedef struct calyx_user_info {
  uint32_t struct_size;
  uint32_t reserved0;
  int64_t id;       /* 0 for an anonymous visitor */
  calyx_str email;
  calyx_str name;
} calyx_user_info;

/* ---------------------------------------------------------------------------------------------------------
 * Callbacks a module implements
 * ------------------------------------------------------------------------------------------------------- */

/* Answers one HTTP request routed to the module. Reads the request and writes the response through host
 * services. A status other than CALYX_OK without a response written becomes the matching HTTP error page.
 * THREADING: called on any worker thread, concurrently for different requests: must be thread-safe. */
typedef calyx_status (*calyx_handler_fn)(calyx_call* call, void* user_data);

/* Transforms the JSON `data` of a hook point; the result is set with host->set_result (no result: the data
 * passes on unchanged). THREADING: any worker thread, concurrently: must be thread-safe. */
typedef calyx_status (*calyx_hook_fn)(calyx_call* call, calyx_str hook_point, calyx_str data_json, void* user_data);

/* Renders a dashboard widget: an HTML fragment set with host->set_result.
 * THREADING: any worker thread, concurrently: must be thread-safe. */
typedef calyx_status (*calyx_widget_fn)(calyx_call* call, void* user_data);

/* Performs one background job with its JSON arguments. THREADING: any job thread, concurrently. */
typedef calyx_status (*calyx_job_fn)(calyx_call* call, calyx_str args_json, void* user_data);

/* Prepares the module for a tenant that enables it (after its migrations ran in the tenant's scope), with
 * the JSON options given at enable time. THREADING: any thread; never concurrently for the same tenant. */
typedef calyx_status (*calyx_setup_tenant_fn)(calyx_call* call, calyx_str options_json, void* user_data);

/* Removes what the module keeps for a tenant whose data is being purged.
 * THREADING: any thread; never concurrently for the same tenant. */
typedef calyx_status (*calyx_cleanup_tenant_fn)(calyx_call* call, void* user_data);

/* ---------------------------------------------------------------------------------------------------------
 * What a module declares (returned by init, read by the host)
 * OWNERSHIP for all of these: the module's. They must stay valid and unchanged from init until the process
 * ends (the host never unloads a module); the host copies what it needs at load time.
 * THREADING: written by init only; read by the host afterwards from any thread.
 * ------------------------------------------------------------------------------------------------------- */

/* Another module this one needs, with a version requirement: "1.2.3" (exactly), ">=1.2.0", "^1.2" (same
 * major, at least 1.2), "~1.2.3" (same major.minor, at least 1.2.3), "*" or empty (any). */
typedef struct calyx_dependency {
  uint32_t struct_size;
  uint32_t reserved0;
  calyx_str code;
  calyx_str version_requirement;
} calyx_dependency;

/* An entry of the module's menu (routes' menu items) or of the sidebar. The entry is shown only to users
 * holding `permission` (empty: anyone who may use the module). `icon` names a Heroicon, e.g. "hero-home". */
typedef struct calyx_menu_item {
  uint32_t struct_size;
  int32_t order; /* smaller first */
  calyx_str label;
  calyx_str path;
  calyx_str icon;
  calyx_str permission;
} calyx_menu_item;

/* Route flags. A host ignores flags newer than itself; a module built for a newer minor is refused anyway. */
#define CALYX_ROUTE_PUBLIC 1u    /* reachable without signing in (e.g. a public blog page) */
#define CALYX_ROUTE_NO_LAYOUT 2u /* the module's answer is sent as is, never wrapped in the tenant layout */
/* Since 1.1: the handler never waits (it computes its answer from the request and memory). The host may run
 * it on a network thread, for an anonymous request, with no hop to a worker; such a call has no database,
 * settings or hooks (those functions fail with CALYX_DENIED), since waiting there would stall other
 * connections. */
#define CALYX_ROUTE_NONBLOCKING 4u

/* One HTTP route. `path` is a pattern of segments: literal ("posts"), parameter (":slug"), or a final
 * catch-all ("*rest"). `permission` is what a user must hold (checked by the host before the handler runs);
 * empty means any member of the tenant (or anyone, with CALYX_ROUTE_PUBLIC). */
typedef struct calyx_route {
  uint32_t struct_size;
  uint32_t flags; /* CALYX_ROUTE_* */
  calyx_str method; /* "GET", "POST", "PUT", "PATCH", "DELETE" */
  calyx_str path;
  calyx_str permission;
  calyx_handler_fn handler;
  void* user_data;
} calyx_route;

/* A role the module defines; tenant admins grant it to members. Permissions are the strings routes,
 * menu items and widgets ask for, e.g. "blog.posts.edit". */
typedef struct calyx_role {
  uint32_t struct_size;
  uint32_t reserved0;
  calyx_str code; /* e.g. "blog.editor" */
  calyx_str name; /* e.g. "Blog editor" */
  const calyx_str* permissions;
  size_t permission_count;
} calyx_role;

/* One migration of the module's own tables. Versions increase; the text may differ per dialect (an empty
 * postgresql text means: same as sqlite). The host runs it in the tenant's scope and records it. */
typedef struct calyx_migration {
  uint32_t struct_size;
  uint32_t reserved0;
  int64_t version;
  calyx_str name; /* snake_case, e.g. "create_posts" */
  calyx_str sql_sqlite;
  calyx_str sql_postgresql;
} calyx_migration;

/* A handler for a hook point: the host's ("tenant_created", "user_created", "module_enabled",
 * "module_disabled", "dashboard_widgets", ...) or any module's own ("blog.post_published"). */
typedef struct calyx_hook {
  uint32_t struct_size;
  int32_t priority; /* among one module's handlers of a point, smaller first */
  calyx_str hook_point;
  calyx_hook_fn handler;
  void* user_data;
} calyx_hook;

/* A kind of background job the module performs. */
typedef struct calyx_job_worker {
  uint32_t struct_size;
  uint32_t max_attempts; /* 0: the host's default */
  uint32_t timeout_ms;   /* 0: the host's default */
  uint32_t reserved0;
  calyx_str name;        /* e.g. "blog.send_digest" */
  calyx_str queue;       /* empty: "default" */
  calyx_job_fn perform;
  void* user_data;
} calyx_job_worker;

/* A dashboard widget. Shown only to users holding `permission` (empty: any member). */
typedef struct calyx_widget {
  uint32_t struct_size;
  int32_t order; /* smaller first */
  calyx_str code;  /* unique within the module, e.g. "recent_posts" */
  calyx_str title;
  calyx_str permission;
  calyx_widget_fn render;
  void* user_data;
} calyx_widget;

/* The module: the seed's module behaviour. Arrays are arrays of pointers, so each element carries its own
 * struct_size. Optional parts may be NULL with a count of 0. */
typedef struct calyx_module {
  uint32_t struct_size;
  uint32_t reserved0;
  calyx_str code;        /* unique, [a-z][a-z0-9_]{1,31}; also the prefix of its permissions and roles */
  calyx_str name;
  calyx_str description;
  calyx_str version;     /* semantic version "MAJOR.MINOR.PATCH" */
  const calyx_dependency* const* dependencies;
  size_t dependency_count;
  calyx_str main_route;  /* path of the module's main page, e.g. "/blog" */
  const calyx_menu_item* const* menu_items;
  size_t menu_item_count;
  const calyx_route* const* routes;
  size_t route_count;
  const calyx_menu_item* const* sidebar_menu;
  size_t sidebar_item_count;
  const calyx_widget* const* dashboard_widgets;
  size_t dashboard_widget_count;
  const calyx_role* const* user_roles;
  size_t user_role_count;
  const calyx_migration* const* migrations;
  size_t migration_count;
  const calyx_hook* const* hooks;
  size_t hook_count;
  const calyx_job_worker* const* job_workers;
  size_t job_worker_count;
  calyx_setup_tenant_fn setup_tenant;     /* may be NULL */
  calyx_cleanup_tenant_fn cleanup_tenant; /* may be NULL */
  void* user_data;                        /* given to setup_tenant and cleanup_tenant */
} calyx_module;

/* ---------------------------------------------------------------------------------------------------------
 * Host services
 * OWNERSHIP: the table is the host's and lives as long as the process. Strings the host returns are valid
 * until the call that was given `call` returns, unless said otherwise.
 * THREADING: the table may be read from any thread; each function may be called only on the thread of the
 * call it is given, during that call. Functions marked "any call" work in every kind of call; the request
 * and response functions work in HTTP calls (elsewhere they see an empty request and ignore writes).
 * ------------------------------------------------------------------------------------------------------- */
typedef struct calyx_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t reserved0;

  /* Logging and errors (any call; `call` may be NULL in init) */
  void (*log)(calyx_call* call, int32_t level, calyx_str message);
  void (*set_error)(calyx_call* call, calyx_str message);

  /* Who the call is for (any call) */
  void (*call_tenant)(calyx_call* call, calyx_tenant_info* out);
  void (*call_user)(calyx_call* call, calyx_user_info* out);
  /* The user's roles in this tenant: writes the index-th to *out and returns 1, or returns 0 past the end. */
  int (*user_role)(calyx_call* call, size_t index, calyx_str* out);
  /* 1 when the user holds `permission` in this tenant (granted by one of their roles, not prohibited). */
  int (*user_can)(calyx_call* call, calyx_str permission);

  /* The request (HTTP calls) */
  calyx_str (*request_method)(calyx_call* call);
  calyx_str (*request_path)(calyx_call* call);
  calyx_str (*request_query)(calyx_call* call); /* raw, without '?' */
  calyx_str (*request_body)(calyx_call* call);
  /* The value of a path parameter (":slug") or header (case-insensitive): 1 and *out, or 0 if absent. */
  int (*request_param)(calyx_call* call, calyx_str name, calyx_str* out);
  int (*request_header)(calyx_call* call, calyx_str name, calyx_str* out);

  /* The response (HTTP calls). Status defaults to 200, content type to text/html. */
  void (*response_status)(calyx_call* call, int32_t status);
  void (*response_header)(calyx_call* call, calyx_str name, calyx_str value);
  void (*response_append)(calyx_call* call, calyx_str bytes);
  /* Answer with `html_fragment` rendered inside the tenant's layout, titled `title`. */
  void (*response_render)(calyx_call* call, calyx_str title, calyx_str html_fragment);

  /* Database (any call with a tenant). The host scopes every statement to the call's tenant: the module sees
   * its own tables of that tenant only, whatever its SQL says. Parameters are bound by position (`?`). */
  calyx_status (*db_execute)(calyx_call* call, calyx_str sql, const calyx_value* params, size_t param_count,
                             int64_t* rows_affected);
  calyx_status (*db_query)(calyx_call* call, calyx_str sql, const calyx_value* params, size_t param_count,
                           calyx_rows** out);
  /* Advances to the next row: 1 (a row), 0 (no more), -1 (error, message set). */
  int (*rows_next)(calyx_rows* rows);
  size_t (*rows_column_count)(calyx_rows* rows);
  calyx_str (*rows_column_name)(calyx_rows* rows, size_t column);
  /* The column's value in the current row (borrowed until the next rows_next or rows_close). */
  void (*rows_value)(calyx_rows* rows, size_t column, calyx_value* out);
  void (*rows_close)(calyx_rows* rows);
  /* A transaction around the following db calls of this call; the host rolls back one left open. */
  calyx_status (*db_begin)(calyx_call* call);
  calyx_status (*db_commit)(calyx_call* call);
  calyx_status (*db_rollback)(calyx_call* call);

  /* This module's settings for the call's tenant, as a JSON object ("{}" when none). */
  calyx_str (*settings_get)(calyx_call* call);
  calyx_status (*settings_set)(calyx_call* call, calyx_str json_object);

  /* Runs a hook point for the call's tenant: every handler of the tenant's modules, in dependency order, each
   * transforming the data. *out is the final JSON. */
  calyx_status (*run_hook)(calyx_call* call, calyx_str hook_point, calyx_str data_json, calyx_str* out);

  /* The result of a hook, widget or job call (JSON or HTML); replaces any earlier result of the call. */
  void (*set_result)(calyx_call* call, calyx_str value);

  /* Renders a template: {{name}} inserts the value of `name` from the JSON object `data_json`, HTML-escaped;
   * {{{name}}} inserts it raw; {{#name}}...{{/name}} repeats over an array or shows when truthy;
   * {{^name}}...{{/name}} shows when falsy or empty. Dotted names reach into objects. */
  calyx_status (*render_template)(calyx_call* call, calyx_str template_text, calyx_str data_json, calyx_str* out);
} calyx_host_api;

/* ---------------------------------------------------------------------------------------------------------
 * The entry point
 * ------------------------------------------------------------------------------------------------------- */

/* Called once, right after the magic passed its checks, before anything else of the module. Keeps `host`
 * (it stays valid for the life of the process) and points *out at the module's description.
 * THREADING: called once, on the loading thread, before any other callback. */
typedef calyx_status (*calyx_init_fn)(const calyx_host_api* host, const calyx_module** out);

/* The static block the entry symbol returns: checked before any module code runs. It must be a constant
 * (no code runs to produce it). */
typedef struct calyx_module_magic {
  uint32_t struct_size;  /* sizeof(calyx_module_magic) in the module's build */
  uint32_t abi_major;    /* CALYX_ABI_VERSION_MAJOR of the module's build */
  uint32_t abi_minor;    /* CALYX_ABI_VERSION_MINOR of the module's build */
  uint32_t reserved0;
  const char* sdk_version; /* NUL-terminated, static, e.g. "1.0.0" */
  calyx_init_fn init;
} calyx_module_magic;

/* The type of CALYX_MODULE_ENTRY. */
typedef const calyx_module_magic* (*calyx_module_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CALYX_PLUGIN_API_H */
