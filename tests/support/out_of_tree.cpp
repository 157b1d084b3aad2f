#include "support/out_of_tree.hpp"

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

namespace calyx::testing {
namespace {

void run_cmake(const std::vector<std::string>& args, const std::string& what) {
  Process cmake(CALYX_CMAKE, args, {}, "/");
  auto code = cmake.wait(std::chrono::minutes(5));
  REQUIRE_MESSAGE(code.has_value(), what, " did not finish");
  REQUIRE_MESSAGE(*code == 0, what, " failed:\n", cmake.output(), cmake.errors());
}

}  // namespace

const std::string& installed_sdk() {
  static TempDir prefix;
  static bool installed = false;
  if (!installed) {
    run_cmake({"--install", CALYX_BUILD_DIR, "--prefix", prefix.path().string()}, "installing the SDK");
    installed = true;
  }
  static const std::string path = prefix.path().string();
  return path;
}

void build_module_project(const std::string& source, const std::string& build) {
  run_cmake({"-S", source, "-B", build, "-G", CALYX_CMAKE_GENERATOR, "-DCMAKE_MAKE_PROGRAM=" CALYX_MAKE_PROGRAM,
             "-DCMAKE_PREFIX_PATH=" + installed_sdk(), "-DCMAKE_BUILD_TYPE=Debug"},
            "configuring " + source);
  run_cmake({"--build", build}, "building " + source);
}

}  // namespace calyx::testing
