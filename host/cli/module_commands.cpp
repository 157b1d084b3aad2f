// `calyx module list`: every library of CALYX_MODULES_DIR with what it declares and whether it is used.
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/table.hpp"
#include "modules/module_catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace calyx::cli {

int module_list(const std::string& config_file) {
  auto settings = load_settings(config_file);
  if (!settings) return fail(settings.error().message());
  auto catalog = host::ModuleCatalog::load(*settings, /*log=*/false);  // the table says it all
  const auto& statuses = catalog->registry().statuses();
  if (statuses.empty()) {
    std::printf("no modules in %s\n", settings->modules_dir.c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"CODE", "NAME", "VERSION", "ABI", "DEPENDS ON", "FILE", "STATUS"}};
  for (const auto& status : statuses) {
    const auto* m = status.module.get();
    std::string dependencies;
    if (m) {
      for (const auto& d : m->dependencies) {
        if (!dependencies.empty()) dependencies += ", ";
        dependencies += d.code + (d.requirement.text().empty() ? "" : " " + d.requirement.text());
      }
    }
    rows.push_back({m ? m->code : "-", m ? m->name : "-", m ? m->version.to_string() : "-",
                    m ? fmt::format("{}.{}", m->abi_major, m->abi_minor) : "-", dependencies.empty() ? "-" : dependencies,
                    status.file, status.loaded ? "loaded" : "refused: " + status.reason});
  }
  print_table(rows);
  return 0;
}

}  // namespace calyx::cli
