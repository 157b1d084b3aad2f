// Private to core/modules: what the loader needs from the host services implementation.
#pragma once

#include <string>

namespace calyx::modules::detail {

// The message a module passed to set_error with no call (i.e. during init) on this thread, cleared.
std::string take_init_error();

}  // namespace calyx::modules::detail
