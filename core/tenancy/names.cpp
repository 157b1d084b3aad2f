// Slug and domain validation.
#include <calyx/tenancy/names.hpp>
#include <calyx/text.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace calyx::tenancy {

Status validate_slug(std::string_view slug, const std::vector<std::string>& reserved) {
  if (slug.size() < 2 || slug.size() > 40) {
    return Error::invalid_argument(fmt::format("slug '{}' must be 2 to 40 characters long", slug));
  }
  if (!(slug.front() >= 'a' && slug.front() <= 'z')) {
    return Error::invalid_argument(fmt::format("slug '{}' must start with a lower-case letter", slug));
  }
  bool allowed = std::all_of(slug.begin(), slug.end(),
                             [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
  if (!allowed) {
    return Error::invalid_argument(
        fmt::format("slug '{}' may hold only lower-case letters, digits and dashes", slug));
  }
  if (slug.back() == '-' || slug.find("--") != std::string_view::npos) {
    return Error::invalid_argument(fmt::format("slug '{}' must not end with a dash or hold two in a row", slug));
  }
  bool postgres_name = slug.starts_with("pg-") || slug == "information-schema" || slug == "public";
  if (postgres_name || std::find(reserved.begin(), reserved.end(), slug) != reserved.end()) {
    return Error::invalid_argument(fmt::format("slug '{}' is reserved (CALYX_RESERVED_TENANTS and PostgreSQL's own "
                                               "names cannot be tenants)",
                                               slug));
  }
  return Ok{};
}

Result<std::string> normalize_domain(std::string_view host) {
  if (host.starts_with('[')) return Error::invalid_argument("a tenant domain cannot be an IP address");
  std::string name = text::ascii_lower(host.substr(0, host.rfind(':')));
  if (!name.empty() && name.back() == '.') name.pop_back();
  bool valid = !name.empty() && name.size() <= 253;
  std::size_t start = 0;
  while (valid) {
    auto dot = name.find('.', start);
    std::string_view label = std::string_view(name).substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    valid = !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-' &&
            std::all_of(label.begin(), label.end(),
                        [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!valid) return Error::invalid_argument(fmt::format("'{}' is not a valid domain name", host));
  return name;
}

}  // namespace calyx::tenancy
