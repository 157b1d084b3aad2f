// Tenancy: themes, their uploaded images, custom-JS permission and language — tenant settings that every
// host holds in memory, so each change moves the tenancy version like any other.
#include <calyx/i18n/i18n.hpp>
#include <calyx/tenancy/tenancy.hpp>

#include "tenancy/records.hpp"

#include <fmt/format.h>
#include <sodium.h>

namespace calyx::tenancy {
namespace {

std::string hex_digest(std::string_view bytes) {
  unsigned char digest[16];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr, 0);
  std::string hex;
  for (unsigned char byte : digest) hex += fmt::format("{:02x}", byte);
  return hex;
}

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

}  // namespace

Status Tenancy::set_theme(std::string_view slug, const themes::Values& values) {
  auto checked = themes::validate_all(values);
  if (!checked.refusals.empty()) {
    std::string message;
    for (const auto& refusal : checked.refusals) message += (message.empty() ? "" : "; ") + refusal.message;
    return Error::invalid_argument(message);
  }
  auto tenant = find(slug);
  if (!tenant) return tenant.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    std::string json = themes::to_json(checked.values);
    long long id = tenant->id;
    std::string now = utc_now();
    lease->session() << "UPDATE calyx_tenants SET theme = :theme, updated_at = :now WHERE id = :id", soci::use(json),
        soci::use(now), soci::use(id);
    bump_version(lease->session(), host_.backend());
    tx.commit();
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("saving the theme", e);
  }
}

Status Tenancy::set_custom_js_allowed(std::string_view slug, bool allowed) {
  auto tenant = find(slug);
  if (!tenant) return tenant.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    int flag = allowed ? 1 : 0;
    long long id = tenant->id;
    lease->session() << "UPDATE calyx_tenants SET allow_custom_js = :flag WHERE id = :id", soci::use(flag), soci::use(id);
    bump_version(lease->session(), host_.backend());
    tx.commit();
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("changing the custom JavaScript permission", e);
  }
}

Status Tenancy::set_locale(std::string_view slug, std::string_view locale) {
  if (!i18n::supported(locale)) {
    return Error::invalid_argument(fmt::format("'{}' is not a supported language ({})", locale, i18n::supported_list()));
  }
  auto tenant = find(slug);
  if (!tenant) return tenant.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    std::string text(locale);
    long long id = tenant->id;
    lease->session() << "UPDATE calyx_tenants SET locale = :locale WHERE id = :id", soci::use(text), soci::use(id);
    bump_version(lease->session(), host_.backend());
    tx.commit();
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("changing the language", e);
  }
}

Result<std::string> Tenancy::put_theme_image(std::string_view slug, std::string_view field, std::string_view bytes) {
  if (!themes::is_image_field(field)) return Error::invalid_argument(fmt::format("'{}' does not take an image", field));
  auto image = themes::check_image(bytes);
  if (!image) return Error::invalid_argument(fmt::format("{}: {}", themes::find_field(field)->label, image.error().message()));
  auto tenant = find(slug);
  if (!tenant) return tenant.error();
  std::string digest = hex_digest(bytes);
  std::string url = fmt::format("/theme/files/{}?v={}", field, digest.substr(0, 12));
  themes::Values values = tenant->theme;
  values[std::string(field)] = url;
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    auto& session = lease->session();
    long long id = tenant->id;
    std::string name(field), content = base64(bytes), now = utc_now(), json = themes::to_json(values);
    session << "DELETE FROM calyx_theme_files WHERE tenant_id = :id AND field = :field", soci::use(id), soci::use(name);
    session << "INSERT INTO calyx_theme_files (tenant_id, field, content_type, content, digest, updated_at) "
               "VALUES (:id, :field, :type, :content, :digest, :now)",
        soci::use(id), soci::use(name), soci::use(image->content_type), soci::use(content), soci::use(digest), soci::use(now);
    session << "UPDATE calyx_tenants SET theme = :theme, updated_at = :now WHERE id = :id", soci::use(json), soci::use(now),
        soci::use(id);
    bump_version(session, host_.backend());
    tx.commit();
    return url;
  } catch (const std::exception& e) {
    return Error::failed("storing the image", e);
  }
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
