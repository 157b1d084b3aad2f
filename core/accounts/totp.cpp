// HOTP/TOTP with OpenSSL's HMAC (libsodium has no HMAC-SHA1, which authenticator apps use).
#include <calyx/accounts/totp.hpp>

#include <calyx/accounts/passwords.hpp>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <cctype>

namespace calyx::accounts {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string url_escape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace

std::string totp_code(std::string_view secret, std::int64_t unix_time, int digits, TotpAlgorithm algorithm, int step) {
  std::uint64_t counter = static_cast<std::uint64_t>(unix_time / step);
  unsigned char message[8];
  for (int i = 7; i >= 0; --i) {
    message[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  const EVP_MD* md = algorithm == TotpAlgorithm::sha1 ? EVP_sha1() : algorithm == TotpAlgorithm::sha256 ? EVP_sha256() : EVP_sha512();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()), message, sizeof message, mac, &length);
  int offset = mac[length - 1] & 0x0f;  // RFC 4226 dynamic truncation
  std::uint32_t binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  std::uint32_t modulo = 1;
  for (int i = 0; i < digits; ++i) modulo *= 10;
  return fmt::format("{:0{}}", binary % modulo, digits);
}

bool totp_matches(std::string_view secret, std::string_view code, std::int64_t unix_time) {
  bool matched = false;
  for (int drift : {-1, 0, 1}) matched |= same_secret(totp_code(secret, unix_time + drift * 30), code);
  return matched;
}

std::string base32_encode(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

Result<std::string> base32_decode(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char raw : text) {
    if (raw == '=' || raw == ' ' || raw == '-') continue;
    auto at = kAlphabet.find(static_cast<char>(std::toupper(static_cast<unsigned char>(raw))));
    if (at == std::string_view::npos) return Error::invalid_argument("not base32 text");
    buffer = (buffer << 5) | static_cast<std::uint32_t>(at);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

std::string new_totp_secret() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  std::string secret(20, '\0');
  randombytes_buf(secret.data(), secret.size());
  return secret;
}

std::string totp_uri(std::string_view secret, std::string_view issuer, std::string_view account) {
  return fmt::format("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30", url_escape(issuer),
                     url_escape(account), base32_encode(secret), url_escape(issuer));
}

std::vector<std::string> new_backup_codes() {
  std::vector<std::string> codes;
  for (int i = 0; i < 10; ++i) {
    std::string hex = random_token().substr(0, 12);
    codes.push_back(hex.substr(0, 4) + "-" + hex.substr(4, 4) + "-" + hex.substr(8, 4));
  }
  return codes;
}

}  // namespace calyx::accounts
