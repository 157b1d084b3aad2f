// Tenancy: themes, their uploaded images, custom-JS permission and language — tenant settings that every
// host holds in memory, so each change moves the tenancy version like any other.
#include <calyx/digest.hpp>
#include <calyx/i18n/i18n.hpp>
#include <calyx/tenancy/tenancy.hpp>
#include <calyx/text.hpp>

#include "tenancy/records.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>

namespace calyx::tenancy {
namespace {


std::string base64(std::string_view bytes) {
  std::string encoded(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  encoded.resize(encoded.size() - 1);  // the terminating NUL
  return encoded;
}

Result<std::string> unbase64(std::string_view text) {
  std::string bytes(text.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(), text.size(), nullptr,
                        &length, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return Error::internal("a stored theme image is not valid base64");
  }
  bytes.resize(length);
  return bytes;
}

Status check_locale(std::string_view locale) {
  if (i18n::supported(locale)) return Ok{};
  return Error::invalid_argument(fmt::format("'{}' is not a supported language ({})", locale, i18n::supported_list()));
}

}  // namespace

Status Tenancy::set_theme(std::string_view slug, const themes::Values& values) {
  auto checked = themes::validate_all(values);
  if (!checked.refusals.empty()) {
    std::string message;
    for (const auto& refusal : checked.refusals) message += (message.empty() ? "" : "; ") + refusal.message;
    return Error::invalid_argument(message);
  }
  return change(slug, "saving the theme", [&](soci::session& s, const Tenant& tenant) -> Status {
    std::string json = themes::to_json(checked.values), now = utc_now();
    long long id = tenant.id;
    s << "UPDATE calyx_tenants SET theme = :theme, updated_at = :now WHERE id = :id", soci::use(json), soci::use(now),
        soci::use(id);
    // An uploaded image the theme no longer points at goes: it would otherwise answer for an image the tenant
    // now inherits (the same /theme/files/<field> path on its host).
    for (std::string_view field : themes::kImageFields) {
      auto value = checked.values.find(field);
      std::string own = fmt::format("/theme/files/{}?", field);
      if (value != checked.values.end() && value->second.starts_with(own)) continue;
      std::string name(field);
      s << "DELETE FROM calyx_theme_files WHERE tenant_id = :id AND field = :field", soci::use(id), soci::use(name);
    }
    return Ok{};
  });
}

Status Tenancy::set_custom_js_allowed(std::string_view slug, bool allowed) {
  return change(slug, "changing the custom JavaScript permission", [&](soci::session& s, const Tenant& tenant) -> Status {
    int flag = allowed ? 1 : 0;
    long long id = tenant.id;
    s << "UPDATE calyx_tenants SET allow_custom_js = :flag WHERE id = :id", soci::use(flag), soci::use(id);
    return Ok{};
  });
}

Status Tenancy::set_locale(std::string_view slug, std::string_view locale) {
  if (auto ok = check_locale(locale); !ok) return ok;
  return change(slug, "changing the language", [&](soci::session& s, const Tenant& tenant) -> Status {
    std::string text(locale);
    long long id = tenant.id;
    s << "UPDATE calyx_tenants SET locale = :locale WHERE id = :id", soci::use(text), soci::use(id);
    return Ok{};
  });
}

Status Tenancy::set_workspace_settings(std::string_view slug, const WorkspaceSettings& settings) {
  std::string name(text::trim(settings.name));
  if (name.empty() || name.size() > 120) return Error::invalid_argument("a workspace name has 1 to 120 characters");
  if (std::any_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return Error::invalid_argument("a workspace name may not contain control characters");
  }
  if (auto ok = check_locale(settings.locale); !ok) return ok;
  return change(slug, "saving the workspace settings", [&](soci::session& s, const Tenant& tenant) -> Status {
    long long id = tenant.id;
    int signup = settings.allow_signup ? 1 : 0;
    std::string now = utc_now();
    s << "UPDATE calyx_tenants SET name = :name, locale = :locale, allow_signup = :signup, updated_at = :now "
         "WHERE id = :id",
        soci::use(name), soci::use(settings.locale), soci::use(signup), soci::use(now), soci::use(id);
    return Ok{};
  });
}

Result<std::string> Tenancy::put_theme_image(std::string_view slug, std::string_view field, std::string_view bytes) {
  if (!themes::is_image_field(field)) return Error::invalid_argument(fmt::format("'{}' does not take an image", field));
  auto image = themes::check_image(bytes);
  if (!image) return Error::invalid_argument(fmt::format("{}: {}", themes::find_field(field)->label, image.error().message()));
  std::string digest = hex_digest(bytes, 16);
  std::string url = fmt::format("/theme/files/{}?v={}", field, digest.substr(0, 12));
  auto stored = change(slug, "storing the image", [&](soci::session& s, const Tenant& tenant) -> Status {
    themes::Values values = tenant.theme;
    values[std::string(field)] = url;
    long long id = tenant.id;
    std::string name(field), content = base64(bytes), now = utc_now(), json = themes::to_json(values);
    s << "DELETE FROM calyx_theme_files WHERE tenant_id = :id AND field = :field", soci::use(id), soci::use(name);
    s << "INSERT INTO calyx_theme_files (tenant_id, field, content_type, content, digest, updated_at) "
         "VALUES (:id, :field, :type, :content, :digest, :now)",
        soci::use(id), soci::use(name), soci::use(image->content_type), soci::use(content), soci::use(digest), soci::use(now);
    s << "UPDATE calyx_tenants SET theme = :theme, updated_at = :now WHERE id = :id", soci::use(json), soci::use(now),
        soci::use(id);
    return Ok{};
  });
  if (!stored) return stored.error();
  return url;
}

Result<Tenancy::ThemeImage> Tenancy::theme_image(std::int64_t tenant_id, std::string_view field) {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    ThemeImage image;
    std::string content, name(field);
    long long id = tenant_id;
    lease->session() << "SELECT content_type, content, digest FROM calyx_theme_files WHERE tenant_id = :id AND field = :field",
        soci::use(id), soci::use(name), soci::into(image.content_type), soci::into(content), soci::into(image.digest);
    if (!lease->session().got_data()) return Error::not_found(fmt::format("no {} image", field));
    auto bytes = unbase64(content);
    if (!bytes) return bytes.error();
    image.content = std::move(*bytes);
    return image;
  } catch (const std::exception& e) {
    return Error::failed("reading the image", e);
  }
}

}  // namespace calyx::tenancy
