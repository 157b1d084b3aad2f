// The error vocabulary of Calyx: an Error is a code plus a message a person can act on; Result<T> holds
// either a value or an Error. Every fallible operation of core/ returns one of these instead of throwing.
// Thread-safety: plain values; share them like any other value type.
#pragma once

#include <cassert>
#include <exception>
#include <string>
#include <utility>
#include <variant>

namespace calyx {

class [[nodiscard]] Error {
 public:
  enum class Code {
    invalid_argument,  // the caller's input is wrong (a bad setting, a bad URL, a bad name)
    not_found,         // the thing named does not exist
    conflict,          // the operation contradicts what is stored (an edited migration, a duplicate)
    denied,            // who asks may not do this (a wrong password, a missing permission)
    unavailable,       // a dependency (the database, the network) cannot be reached right now
    timeout,           // waited as long as allowed
    failed,            // the operation ran and failed (an SQL error inside a migration)
    internal,          // a bug: an invariant did not hold
  };

  static Error invalid_argument(std::string message) { return {Code::invalid_argument, std::move(message)}; }
  static Error not_found(std::string message) { return {Code::not_found, std::move(message)}; }
  static Error conflict(std::string message) { return {Code::conflict, std::move(message)}; }
  static Error denied(std::string message) { return {Code::denied, std::move(message)}; }
  static Error unavailable(std::string message) { return {Code::unavailable, std::move(message)}; }
  static Error timeout(std::string message) { return {Code::timeout, std::move(message)}; }
  static Error failed(std::string message) { return {Code::failed, std::move(message)}; }
  static Error internal(std::string message) { return {Code::internal, std::move(message)}; }
  // "<what>: <the exception's message>" (trailing newlines of database drivers removed), code failed.
  static Error failed(std::string_view what, const std::exception& e) {
    std::string message = e.what();
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return {Code::failed, std::string(what) + ": " + message};
  }

  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns the same error with `context: ` put in front of its message.
  Error with_context(const std::string& context) const { return {code_, context + ": " + message_}; }

 private:
  Error(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor): Result<T> r = value;
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

// Result of an operation that yields nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace calyx
