// The template engine: parse into a tree once per render, then walk it against a stack of JSON contexts.
#include <calyx/templates/template.hpp>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <memory>
#include <vector>

namespace calyx::templates {
namespace {

struct Node {
  enum class Kind { text, escaped, raw, section, inverted } kind;
  std::string text;  // literal text, or the name
  std::vector<Node> children;
};

Result<std::vector<Node>> parse(std::string_view text) {
  std::vector<Node> root;
  std::vector<std::pair<std::vector<Node>*, std::string>> open;  // containers being filled, section names
  std::vector<Node>* current = &root;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto start = text.find("{{", pos);
    if (start == std::string_view::npos) {
      current->push_back({Node::Kind::text, std::string(text.substr(pos)), {}});
      break;
    }
    if (start > pos) current->push_back({Node::Kind::text, std::string(text.substr(pos, start - pos)), {}});
    bool triple = text.substr(start).starts_with("{{{");
    std::string_view close = triple ? "}}}" : "}}";
    auto end = text.find(close, start + close.size());
    if (end == std::string_view::npos) {
      return Error::invalid_argument(fmt::format("template: tag opened at offset {} is never closed", start));
    }
    std::string_view tag = text.substr(start + close.size(), end - start - close.size());
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    pos = end + close.size();
    if (triple) {
      current->push_back({Node::Kind::raw, std::string(tag), {}});
      continue;
    }
    if (tag.empty()) return Error::invalid_argument(fmt::format("template: empty tag at offset {}", start));
    char sigil = tag.front();
    std::string name(sigil == '#' || sigil == '^' || sigil == '/' || sigil == '!' || sigil == '&' ? tag.substr(1) : tag);
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    if (sigil == '!') continue;
    if (sigil == '&') {
      current->push_back({Node::Kind::raw, name, {}});
    } else if (sigil == '#' || sigil == '^') {
      current->push_back({sigil == '#' ? Node::Kind::section : Node::Kind::inverted, name, {}});
      open.emplace_back(current, name);
      current = &current->back().children;
    } else if (sigil == '/') {
      if (open.empty() || open.back().second != name) {
        return Error::invalid_argument(fmt::format("template: {{{{/{}}}}} at offset {} closes no open section", name, start));
      }
      current = open.back().first;
      open.pop_back();
    } else {
      current->push_back({Node::Kind::escaped, name, {}});
    }
  }
  if (!open.empty()) {
    return Error::invalid_argument(fmt::format("template: section '{}' is never closed", open.back().second));
  }
  return root;
}

using Stack = std::vector<const boost::json::value*>;

const boost::json::value* lookup(const Stack& stack, const std::string& name) {
  if (name == ".") return stack.back();
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto dot = name.find('.', start);
    parts.push_back(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    const auto* object = (*it)->if_object();
    if (!object || !object->contains(parts.front())) continue;
    const boost::json::value* value = &object->at(parts.front());
    for (std::size_t i = 1; i < parts.size() && value; ++i) {
      const auto* inner = value->if_object();
      value = inner && inner->contains(parts[i]) ? &inner->at(parts[i]) : nullptr;
    }
    return value;
  }
  return nullptr;
}

std::string to_text(const boost::json::value* value) {
  if (!value || value->is_null()) return {};
  if (const auto* s = value->if_string()) return std::string(s->begin(), s->end());
  if (value->is_bool()) return value->get_bool() ? "true" : "false";
  return boost::json::serialize(*value);
}

bool truthy(const boost::json::value* value) {
  if (!value || value->is_null()) return false;
  if (value->is_bool()) return value->get_bool();
  if (const auto* a = value->if_array()) return !a->empty();
  if (const auto* s = value->if_string()) return !s->empty();
  if (value->is_int64()) return value->get_int64() != 0;
  if (value->is_uint64()) return value->get_uint64() != 0;
  if (value->is_double()) return value->get_double() != 0.0;
  return true;
}

void render_nodes(const std::vector<Node>& nodes, Stack& stack, std::string& out) {
  for (const auto& node : nodes) {
    switch (node.kind) {
      case Node::Kind::text: out += node.text; break;
      case Node::Kind::escaped: out += escape_html(to_text(lookup(stack, node.text))); break;
      case Node::Kind::raw: out += to_text(lookup(stack, node.text)); break;
      case Node::Kind::inverted:
        if (!truthy(lookup(stack, node.text))) render_nodes(node.children, stack, out);
        break;
      case Node::Kind::section: {
        const boost::json::value* value = lookup(stack, node.text);
        if (!truthy(value)) break;
        if (const auto* array = value->if_array()) {
          for (const auto& item : *array) {
            stack.push_back(&item);
            render_nodes(node.children, stack, out);
            stack.pop_back();
          }
        } else {
          stack.push_back(value);
          render_nodes(node.children, stack, out);
          stack.pop_back();
        }
        break;
      }
    }
  }
}

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Result<std::string> render(std::string_view text, const boost::json::value& data) {
  auto nodes = parse(text);
  if (!nodes) return nodes.error();
  Stack stack{&data};
  std::string out;
  render_nodes(*nodes, stack, out);
  return out;
}

}  // namespace calyx::templates
