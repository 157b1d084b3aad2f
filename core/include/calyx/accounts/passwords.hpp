// Passwords: argon2id hashes (libsodium's crypto_pwhash_str, with its own salt and parameters in the string),
// verification in constant time, re-hashing when the parameters move, and minimum strength rules.
// Thread-safety: pure functions (libsodium is initialised once, thread-safely).
#pragma once

#include <calyx/result.hpp>

#include <string>
#include <string_view>

namespace calyx::accounts {

// At least 10 characters and 3 distinct ones, at most 256 bytes, not the email address (nor its local part).
Status check_password_strength(std::string_view password, std::string_view email);

Result<std::string> hash_password(std::string_view password);
bool verify_password(std::string_view hash, std::string_view password);
// True when `hash` was made with other parameters than today's: hash again after a successful sign-in.
bool password_needs_rehash(std::string_view hash);

// A random token for cookies and links (32 bytes, hex), and the digest stored instead of it (BLAKE2b, hex).
std::string random_token();
std::string token_digest(std::string_view token);
// Constant-time equality for secrets of any length.
bool same_secret(std::string_view a, std::string_view b);

}  // namespace calyx::accounts
