// Sending one email over SMTP (RFC 5321): plain for a local relay, or upgraded with STARTTLS (OpenSSL, the
// server's certificate verified against the system's CAs), with AUTH PLAIN when credentials are given.
// CALYX_SMTP_URL names the server: smtp://[user:pass@]host[:25] or smtp+starttls://[user:pass@]host[:587],
// optionally ?ca=/path/to/ca.pem to trust a private CA instead of the system's.
// Thread-safety: functions of their arguments; each call opens its own connection.
#pragma once

#include <calyx/mail/outbox.hpp>
#include <calyx/result.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace calyx::mail {

struct SmtpServer {
  std::string host;
  std::uint16_t port = 25;
  bool starttls = false;
  std::string user, password;
  std::string ca_file;  // empty: the system's CAs
  std::string helo_name = "calyx.localhost";
  std::chrono::milliseconds timeout{10000};

  static Result<SmtpServer> parse(std::string_view url);
};

// The message as sent: RFC 5322 headers (From, To, Subject in UTF-8 encoded-words, Date, Message-ID,
// MIME text/plain; charset=utf-8) and the body with CRLF line ends and dot-stuffing.
std::string format_message(const Message& message, std::string_view message_id_domain);

Status send_smtp(const SmtpServer& server, const Message& message);

// One delivery pass: sends the outbox's due messages (at most `limit`), recording each outcome. Returns how
// many were sent.
std::size_t deliver_due(Outbox& outbox, const SmtpServer& server, std::size_t limit = 20);

}  // namespace calyx::mail
