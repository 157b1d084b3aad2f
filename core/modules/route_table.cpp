// The route trie. Matching tries a literal child first, then the parameter child, then a catch-all, and
// backtracks, so "/blog/new" (literal) wins over "/blog/:slug" for "new" but not for "hello".
#include <calyx/modules/route_table.hpp>

#include <fmt/format.h>

#include <functional>

namespace calyx::modules {

struct RouteTable::Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
  std::unique_ptr<Node> param;     // ":name" — names may differ per route; each route keeps its own
  std::unique_ptr<Node> catch_all;  // "*name"
  std::map<std::string, RouteTarget, std::less<>> by_method;
};

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes one path segment; a malformed escape is kept as it is.
std::string decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int high = hex_value(text[i + 1]), low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// The parameter names of a pattern, in order.
std::vector<std::string> param_names(std::string_view pattern) {
  std::vector<std::string> names;
  for (auto segment : split_path(pattern)) {
    if (segment.front() == ':' || segment.front() == '*') names.emplace_back(segment.substr(1));
  }
  return names;
}

}  // namespace

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = path.starts_with('/') ? 1 : 0;
  while (start < path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

RouteTable::RouteTable() : root_(std::make_unique<Node>()) {}
RouteTable::~RouteTable() = default;
RouteTable::RouteTable(RouteTable&&) noexcept = default;
RouteTable& RouteTable::operator=(RouteTable&&) noexcept = default;

Status RouteTable::add(const ModuleInfo& module, const RouteSpec& route) {
  Node* node = root_.get();
  for (auto segment : split_path(route.pattern)) {
    std::unique_ptr<Node>* next;
    if (segment.front() == ':') {
      next = &node->param;
    } else if (segment.front() == '*') {
      next = &node->catch_all;
    } else {
      auto it = node->literals.find(segment);
      if (it == node->literals.end()) it = node->literals.emplace(std::string(segment), nullptr).first;
      next = &it->second;
    }
    if (!*next) *next = std::make_unique<Node>();
    node = next->get();
  }
  auto [it, inserted] = node->by_method.emplace(route.method, RouteTarget{&module, &route});
  if (!inserted) {
    const auto& holder = it->second;
    return Error::conflict(fmt::format("route {} {} clashes with {} {} of module '{}'", route.method, route.pattern,
                                       holder.route->method, holder.route->pattern, holder.module->code));
  }
  return Ok{};
}

namespace {

// Depth-first match with backtracking; `values` collects parameter values in pattern order.
const RouteTable::Node* match(const RouteTable::Node* node, const std::vector<std::string_view>& segments,
                              std::size_t index, std::vector<std::string>& values,
                              const std::function<bool(const RouteTable::Node&)>& accept) {
  if (index == segments.size()) {
    if (accept(*node)) return node;
  } else {
    std::string_view segment = segments[index];
    if (auto it = node->literals.find(segment); it != node->literals.end()) {
      if (auto* found = match(it->second.get(), segments, index + 1, values, accept)) return found;
    }
    if (node->param && !segment.empty()) {
      values.push_back(decode(segment));
      if (auto* found = match(node->param.get(), segments, index + 1, values, accept)) return found;
      values.pop_back();
    }
  }
  if (node->catch_all && index < segments.size()) {
    std::string rest;
    for (std::size_t i = index; i < segments.size(); ++i) rest += (i > index ? "/" : "") + decode(segments[i]);
    values.push_back(rest);
    if (accept(*node->catch_all)) return node->catch_all.get();
    values.pop_back();
  }
  return nullptr;
}

}  // namespace

std::optional<RouteMatch> RouteTable::find(std::string_view method, std::string_view path) const {
  auto segments = split_path(path);
  std::vector<std::string> values;
  const Node* node = match(root_.get(), segments, 0, values,
                           [&](const Node& n) { return n.by_method.find(method) != n.by_method.end(); });
  if (!node) return std::nullopt;
  RouteMatch result;
  result.target = node->by_method.find(method)->second;
  auto names = param_names(result.target.route->pattern);
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    result.params.emplace_back(names[i], std::move(values[i]));
  }
  return result;
}

bool RouteTable::path_exists(std::string_view path) const {
  std::vector<std::string> values;
  return match(root_.get(), split_path(path), 0, values, [](const Node& n) { return !n.by_method.empty(); }) !=
         nullptr;
}

}  // namespace calyx::modules
