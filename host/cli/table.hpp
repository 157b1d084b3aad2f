// Plain-text tables for command output.
#pragma once

#include <string>
#include <vector>

namespace calyx::cli {

// Prints rows with each column as wide as its widest cell.
void print_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace calyx::cli
