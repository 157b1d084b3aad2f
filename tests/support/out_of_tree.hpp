// Building module projects the way a third party does: against the SDK installed (cmake --install) into a
// temporary prefix, with a separate CMake invocation.
#pragma once

#include <string>

namespace calyx::testing {

// The install prefix of the SDK, installed from this build tree on first use.
const std::string& installed_sdk();

// Configures and builds the CMake project `source` in `build` against installed_sdk(); fails the test with
// CMake's output when either step fails.
void build_module_project(const std::string& source, const std::string& build);

}  // namespace calyx::testing
