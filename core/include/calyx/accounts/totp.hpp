// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP) for two-factor sign-in, with the secrets'
// base32 form (RFC 4648) that authenticator apps read from an otpauth:// URI, and single-use backup codes.
// Thread-safety: pure functions.
#pragma once

#include <calyx/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace calyx::accounts {

enum class TotpAlgorithm { sha1, sha256, sha512 };

// The `digits`-digit code for `secret` at `unix_time` (30-second steps from the Unix epoch).
std::string totp_code(std::string_view secret, std::int64_t unix_time, int digits = 6,
                      TotpAlgorithm algorithm = TotpAlgorithm::sha1, int step = 30);
// True when `code` is the code of the current step or of one step either side (clock drift).
bool totp_matches(std::string_view secret, std::string_view code, std::int64_t unix_time);

std::string base32_encode(std::string_view bytes);
Result<std::string> base32_decode(std::string_view text);  // case and padding insensitive, spaces ignored

// A new random 20-byte secret.
std::string new_totp_secret();
// otpauth://totp/<issuer>:<account>?secret=...&issuer=... for QR codes and authenticator apps.
std::string totp_uri(std::string_view secret, std::string_view issuer, std::string_view account);

// Ten backup codes like "4f7c-91ad-e2b0".
std::vector<std::string> new_backup_codes();

}  // namespace calyx::accounts
