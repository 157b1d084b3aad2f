// Pins the ABI: the layout of every struct (x86-64 / LP64), and the header's code as a whole. Changing the
// header without moving CALYX_ABI_VERSION_MINOR fails here; so does a change that moves an existing field.
#include <calyx/plugin_api.h>

#include <doctest/doctest.h>
#include <sodium.h>

#include <cstddef>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

// Layout of ABI 1.0. Minor versions may only append: these offsets never change within major 1.
static_assert(sizeof(calyx_str) == 16 && offsetof(calyx_str, len) == 8);
static_assert(sizeof(calyx_value) == 24 && offsetof(calyx_value, as) == 8);
static_assert(sizeof(calyx_tenant_info) == 64 && offsetof(calyx_tenant_info, id) == 8 &&
              offsetof(calyx_tenant_info, slug) == 16 && offsetof(calyx_tenant_info, isolation) == 48);
static_assert(sizeof(calyx_user_info) == 48 && offsetof(calyx_user_info, email) == 16);
static_assert(sizeof(calyx_dependency) == 40 && offsetof(calyx_dependency, version_requirement) == 24);
static_assert(sizeof(calyx_menu_item) == 72 && offsetof(calyx_menu_item, order) == 4 &&
              offsetof(calyx_menu_item, permission) == 56);
static_assert(sizeof(calyx_route) == 72 && offsetof(calyx_route, flags) == 4 && offsetof(calyx_route, method) == 8 &&
              offsetof(calyx_route, handler) == 56 && offsetof(calyx_route, user_data) == 64);
static_assert(sizeof(calyx_role) == 56 && offsetof(calyx_role, permissions) == 40);
static_assert(sizeof(calyx_migration) == 64 && offsetof(calyx_migration, version) == 8 &&
              offsetof(calyx_migration, sql_postgresql) == 48);
static_assert(sizeof(calyx_hook) == 40 && offsetof(calyx_hook, handler) == 24);
static_assert(sizeof(calyx_job_worker) == 64 && offsetof(calyx_job_worker, name) == 16 &&
              offsetof(calyx_job_worker, perform) == 48);
static_assert(sizeof(calyx_widget) == 72 && offsetof(calyx_widget, render) == 56);
static_assert(sizeof(calyx_module) == 256 && offsetof(calyx_module, code) == 8 &&
              offsetof(calyx_module, dependencies) == 72 && offsetof(calyx_module, routes) == 120 &&
              offsetof(calyx_module, migrations) == 184 && offsetof(calyx_module, setup_tenant) == 232 &&
              offsetof(calyx_module, user_data) == 248);
static_assert(sizeof(calyx_module_magic) == 32 && offsetof(calyx_module_magic, sdk_version) == 16 &&
              offsetof(calyx_module_magic, init) == 24);
static_assert(offsetof(calyx_host_api, log) == 16 && offsetof(calyx_host_api, request_method) == 64 &&
              offsetof(calyx_host_api, db_execute) == 144 && offsetof(calyx_host_api, render_template) == 256 &&
              sizeof(calyx_host_api) == 264);

namespace {

// The header's code without comments and whitespace: editing prose does not count as an ABI change.
std::string normalized_header(const char* path = CALYX_PLUGIN_API_HEADER) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string source = text.str(), code;
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source.compare(i, 2, "/*") == 0) {
      i = source.find("*/", i + 2) + 1;
    } else if (source.compare(i, 2, "//") == 0) {
      i = source.find('\n', i);
    } else if (!std::isspace(static_cast<unsigned char>(source[i]))) {
      code += source[i];
    }
  }
  return code;
}

std::string sha256_hex(const std::string& data) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

// The code of plugin_api.h as released at each minor of major 1. Append the new minor's hash when releasing
// it; never edit an existing line.
const std::map<int, std::string> kReleasedHeaders = {
    {0, "afc260bc82bed95451305a1797d858d8eec461a64aa822e0abecf0c30d3f4bdc"},
    {1, "1605ecfa5899aa1be612ef76afdfc71094cb99a67f4e5f45dc5509fb257463c5"},
};

}  // namespace

TEST_CASE("plugin_api.h does not change without CALYX_ABI_VERSION_MINOR moving") {
  std::string hash = sha256_hex(normalized_header());
  auto released = kReleasedHeaders.find(CALYX_ABI_VERSION_MINOR);
  INFO("the header's code hash is ", hash);
  REQUIRE_MESSAGE(released != kReleasedHeaders.end(),
                  "ABI minor ", CALYX_ABI_VERSION_MINOR, " has no pinned header: add it to kReleasedHeaders");
  CHECK_MESSAGE(released->second == hash,
                "plugin_api.h changed but CALYX_ABI_VERSION_MINOR is still ", CALYX_ABI_VERSION_MINOR,
                ": append fields only, bump the minor, and pin the new hash");
}

TEST_CASE("the ABI 1.0 header the compatibility fixture is built with is the released one") {
  // tests/fixtures/modules/abi_1_0.c compiles against this copy: newer hosts must keep serving what it builds.
  CHECK(sha256_hex(normalized_header(CALYX_PLUGIN_API_1_0_HEADER)) == kReleasedHeaders.at(0));
}
