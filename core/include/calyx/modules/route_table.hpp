// Matches METHOD + PATH against the routes of every loaded module: a segment trie where a literal segment
// beats a ":param", which beats a "*rest". Built once, then only read: lookups take no lock.
// Thread-safety: add() before sharing; find() from any number of threads afterwards.
#pragma once

#include <calyx/modules/module_info.hpp>
#include <calyx/result.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace calyx::modules {

struct RouteTarget {
  const ModuleInfo* module = nullptr;
  const RouteSpec* route = nullptr;
};

struct RouteMatch {
  RouteTarget target;
  std::vector<std::pair<std::string, std::string>> params;  // name → percent-decoded value
};

class RouteTable {
 public:
  RouteTable();
  ~RouteTable();
  RouteTable(RouteTable&&) noexcept;
  RouteTable& operator=(RouteTable&&) noexcept;

  // Adds a route; refuses one whose method and shape (literals equal, parameters in the same places) are
  // already taken, naming the route that holds it.
  Status add(const ModuleInfo& module, const RouteSpec& route);

  // The route serving METHOD PATH, with its parameters; nullopt when none does.
  std::optional<RouteMatch> find(std::string_view method, std::string_view path) const;
  // True when some route matches PATH with another method (for 405 answers).
  bool path_exists(std::string_view path) const;

  struct Node;  // defined in route_table.cpp

 private:
  std::unique_ptr<Node> root_;
};

// Splits a pattern or a path into its segments ("/a/b" → {"a", "b"}; "/" → {}).
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace calyx::modules
