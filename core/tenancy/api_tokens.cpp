// API tokens of tenants: issued as random secrets, kept as BLAKE2b hashes, revoked by name.
#include <calyx/tenancy/tenancy.hpp>

#include "tenancy/records.hpp"

#include <sodium.h>

namespace calyx::tenancy {
namespace {

std::string hex(const unsigned char* bytes, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

Status validate_token_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 60;
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
  if (!ok) return Error::invalid_argument(fmt::format("token name '{}' is invalid: 1-60 of a-z, 0-9, '-', '_'", name));
  return Ok{};
}

}  // namespace

std::string hash_api_token(std::string_view token) {
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
  return hex(digest, sizeof digest);
}

Result<std::string> Tenancy::issue_token(std::string_view slug, std::string_view name) {
  if (auto ok = validate_token_name(name); !ok) return ok.error();
  auto tenant = find(slug);
  if (!tenant) return tenant.error();
  if (tenant->status == TenantStatus::deleted) return Error::conflict(fmt::format("tenant '{}' is deleted", slug));
  if (sodium_init() < 0) return Error::internal("libsodium could not be initialised");
  unsigned char secret[32];
  randombytes_buf(secret, sizeof secret);
  std::string token = "calyx_" + hex(secret, sizeof secret);
  std::string hash = hash_api_token(token), prefix = token.substr(0, 12), token_name(name), now = utc_now();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    long long id = tenant->id;
    int taken = 0;
    lease->session() << "SELECT COUNT(*) FROM calyx_api_tokens WHERE tenant_id = :t AND name = :n", soci::use(id),
        soci::use(token_name), soci::into(taken);
    if (taken) return Error::conflict(fmt::format("tenant '{}' already has a token named '{}'", slug, name));
    lease->session() << "INSERT INTO calyx_api_tokens (tenant_id, name, token_hash, prefix, created_at) "
                        "VALUES (:t, :n, :h, :p, :c)",
        soci::use(id), soci::use(token_name), soci::use(hash), soci::use(prefix), soci::use(now);
    bump_version(lease->session(), host_.backend());
    tx.commit();
  } catch (const std::exception& e) {
    return Error::failed("issuing the token", e);
  }
  return token;
}

Result<std::vector<ApiToken>> Tenancy::tokens(std::string_view slug) {
  auto tenant = find(slug);
  if (!tenant) return tenant.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  std::vector<ApiToken> out;
  try {
    ApiToken row;
    long long id = tenant->id, token_id = 0;
    soci::statement st = (lease->session().prepare << "SELECT id, name, prefix, created_at FROM calyx_api_tokens "
                                                      "WHERE tenant_id = :t ORDER BY name",
                          soci::into(token_id), soci::into(row.name), soci::into(row.prefix), soci::into(row.created_at),
                          soci::use(id));
    st.execute();
    while (st.fetch()) {
      row.id = token_id;
      out.push_back(row);
    }
  } catch (const std::exception& e) {
    return Error::failed("listing tokens", e);
  }
  return out;
}

Status Tenancy::revoke_token(std::string_view slug, std::string_view name) {
  auto tenant = find(slug);
  if (!tenant) return tenant.error();
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  try {
    db::Transaction tx(*lease);
    long long id = tenant->id;
    std::string token_name(name);
    soci::statement st = (lease->session().prepare << "DELETE FROM calyx_api_tokens WHERE tenant_id = :t AND name = :n",
                          soci::use(id), soci::use(token_name));
    st.execute(true);
    if (st.get_affected_rows() == 0) return Error::not_found(fmt::format("tenant '{}' has no token named '{}'", slug, name));
    bump_version(lease->session(), host_.backend());
    tx.commit();
    return Ok{};
  } catch (const std::exception& e) {
    return Error::failed("revoking the token", e);
  }
}

Result<std::map<std::string, std::int64_t, std::less<>>> Tenancy::token_hashes() {
  auto lease = host_.acquire();
  if (!lease) return lease.error();
  std::map<std::string, std::int64_t, std::less<>> out;
  try {
    std::string hash;
    long long tenant = 0;
    soci::statement st = (lease->session().prepare << "SELECT token_hash, tenant_id FROM calyx_api_tokens",
                          soci::into(hash), soci::into(tenant));
    st.execute();
    while (st.fetch()) out.emplace(hash, tenant);
  } catch (const std::exception& e) {
    return Error::failed("reading tokens", e);
  }
  return out;
}

}  // namespace calyx::tenancy
