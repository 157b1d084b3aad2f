// libsodium's password hashing and randomness.
#include <calyx/accounts/passwords.hpp>

#include <fmt/format.h>
#include <sodium.h>

#include <set>

namespace calyx::accounts {
namespace {

// Interactive limits: about 50 ms and 64 MiB per hash on the development machine.
constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

void ensure_sodium() {
  static const int ready = sodium_init();
  if (ready < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::string hex(const unsigned char* bytes, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

}  // namespace

Status check_password_strength(std::string_view password, std::string_view email) {
  if (password.size() < 10) return Error::invalid_argument("the password must have at least 10 characters");
  if (password.size() > 256) return Error::invalid_argument("the password must have at most 256 characters");
  std::set<char> distinct(password.begin(), password.end());
  if (distinct.size() < 3) return Error::invalid_argument("the password must not repeat one or two characters");
  std::string_view local = email.substr(0, email.find('@'));
  if (password == email || (!local.empty() && password == local)) {
    return Error::invalid_argument("the password must not be the email address");
  }
  return Ok{};
}

Result<std::string> hash_password(std::string_view password) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOpsLimit, kMemLimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Error::unavailable("out of memory while hashing the password");
  }
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  ensure_sodium();
  std::string text(hash);  // NUL-terminated
  return crypto_pwhash_str_verify(text.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(std::string_view hash) {
  ensure_sodium();
  std::string text(hash);
  return crypto_pwhash_str_needs_rehash(text.c_str(), kOpsLimit, kMemLimit) != 0;
}

std::string random_token() {
  ensure_sodium();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  return hex(bytes, sizeof bytes);
}

std::string token_digest(std::string_view token) {
  ensure_sodium();
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
  return hex(digest, sizeof digest);
}

bool same_secret(std::string_view a, std::string_view b) {
  // Compare digests, so the time taken says nothing about the length or the common prefix.
  std::string da = token_digest(a), db = token_digest(b);
  return sodium_memcmp(da.data(), db.data(), da.size()) == 0;
}

}  // namespace calyx::accounts
