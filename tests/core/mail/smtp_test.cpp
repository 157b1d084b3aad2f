// SMTP delivery from the outbox to a local SMTP server: formatting, authentication, retries on refusal.
#include "support/smtp_sink.hpp"
#include "support/tenancy_world.hpp"

#include <calyx/mail/outbox.hpp>
#include <calyx/mail/smtp.hpp>

#include <doctest/doctest.h>
#include <soci/soci.h>

using namespace calyx;
using calyx::testing::TestDatabase;

TEST_CASE("CALYX_SMTP_URL is parsed with its credentials; bad URLs are refused with why") {
  auto plain = mail::SmtpServer::parse("smtp://relay.internal").value();
  CHECK(plain.host == "relay.internal");
  CHECK(plain.port == 25);
  CHECK_FALSE(plain.starttls);
  auto secure = mail::SmtpServer::parse("smtp+starttls://ann%40acme.test:p%3Ass@mail.example.com").value();
  CHECK(secure.starttls);
  CHECK(secure.port == 587);
  CHECK(secure.user == "ann@acme.test");
  CHECK(secure.password == "p:ss");
  CHECK(mail::SmtpServer::parse("http://x").error().message() == "CALYX_SMTP_URL must start with smtp:// or smtp+starttls://");
  CHECK(mail::SmtpServer::parse("smtp://host:99999").error().message() == "CALYX_SMTP_URL has a bad port");
  CHECK(mail::SmtpServer::parse("smtp://").error().message() == "CALYX_SMTP_URL names no host");
}

TEST_CASE("the outbox is delivered by SMTP, and a refused message is retried later, then given up") {
  testing::every_backend([](TestDatabase& database) {
    testing::TenancyWorld world(database);
    testing::SmtpSink sink;
    mail::Outbox outbox(*world.pool);
    auto server = mail::SmtpServer::parse("smtp://mailer:secret@127.0.0.1:" + std::to_string(sink.port())).value();
    REQUIRE(outbox.enqueue({0, std::nullopt, "ann@example.com", "no-reply@acme.test", "Réinitialiser ton mot de passe",
                            "Hello Ann,\n.hidden line\nBye\n", "", "", ""})
                .ok());
    CHECK(mail::deliver_due(outbox, server) == 1);
    auto received = sink.mail();
    REQUIRE(received.size() == 1);
    CHECK(received[0].from == "<no-reply@acme.test>");
    CHECK(received[0].to == "<ann@example.com>");
    CHECK(received[0].auth == "AG1haWxlcgBzZWNyZXQ=");  // \0mailer\0secret
    CHECK(received[0].data.find("Subject: =?utf-8?B?") != std::string::npos);
    CHECK(received[0].data.find("Content-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
    CHECK(received[0].data.find("\r\n\r\nHello Ann,\r\n.hidden line\r\nBye\r\n") != std::string::npos);
    CHECK(outbox.latest().value().front().sent_at.size() == 20);
    CHECK(mail::deliver_due(outbox, server) == 0);  // nothing twice

    sink.refuse_recipients(true);
    REQUIRE(outbox.enqueue({0, std::nullopt, "nobody@example.com", "no-reply@acme.test", "Hi", "x", "", "", ""}).ok());
    auto id = outbox.latest().value().front().id;
    CHECK(mail::deliver_due(outbox, server) == 0);
    auto failed = outbox.delivery(id).value();
    CHECK(failed.attempts == 1);
    CHECK(failed.last_error == "SMTP RCPT TO: the server answered 550 no such mailbox");
    CHECK(outbox.due(10).value().empty());  // the retry waits
    {
      auto lease = world.pool->acquire();
      lease->session() << "UPDATE calyx_outbox SET next_attempt_at = 0, attempts = 7";
    }
    CHECK(mail::deliver_due(outbox, server) == 0);
    CHECK(outbox.delivery(id)->attempts == 8);
    {
      auto lease = world.pool->acquire();
      lease->session() << "UPDATE calyx_outbox SET next_attempt_at = 0";
    }
    CHECK(outbox.due(10).value().empty());  // given up after 8 attempts
    // An unreachable server is a failure like any other.
    auto nowhere = mail::SmtpServer::parse("smtp://127.0.0.1:1").value();
    REQUIRE(outbox.enqueue({0, std::nullopt, "ann@example.com", "no-reply@acme.test", "Hi", "x", "", "", ""}).ok());
    CHECK(mail::deliver_due(outbox, nowhere) == 0);
    CHECK(outbox.delivery(outbox.latest().value().front().id)->last_error.find("cannot connect") != std::string::npos);
  });
}

TEST_CASE("STARTTLS: the client upgrades, verifies the server's certificate, and refuses one it cannot trust") {
  testing::every_backend([](TestDatabase& database) {
    testing::TenancyWorld world(database);
    testing::SmtpSink sink(/*starttls=*/true);
    mail::Outbox outbox(*world.pool);
    REQUIRE(outbox.enqueue({0, std::nullopt, "ann@example.com", "no-reply@acme.test", "Secret", "over TLS\n", "", "", ""}).ok());
    auto id = outbox.latest().value().front().id;

    // The system's CAs do not know the sink's certificate: no mail goes out in clear instead.
    auto untrusted = mail::SmtpServer::parse("smtp+starttls://127.0.0.1:" + std::to_string(sink.port())).value();
    CHECK(mail::deliver_due(outbox, untrusted) == 0);
    CHECK(outbox.delivery(id)->last_error.find("TLS with the SMTP server failed") != std::string::npos);
    CHECK(sink.mail().empty());

    // Trusting its CA, the mail goes through the encrypted channel.
    {
      auto lease = world.pool->acquire();
      lease->session() << "UPDATE calyx_outbox SET next_attempt_at = 0";
    }
    auto trusted = mail::SmtpServer::parse("smtp+starttls://mailer:secret@127.0.0.1:" + std::to_string(sink.port()) +
                                           "?ca=" + sink.ca_file())
                       .value();
    CHECK(mail::deliver_due(outbox, trusted) == 1);
    CHECK(sink.upgraded());
    REQUIRE(sink.mail().size() == 1);
    CHECK(sink.mail()[0].data.find("over TLS") != std::string::npos);
  });
}

TEST_CASE("an email with an HTML alternative goes out as multipart/alternative, the text first") {
  testing::every_backend([](TestDatabase& database) {
    testing::TenancyWorld world(database);
    testing::SmtpSink sink;
    mail::Outbox outbox(*world.pool);
    auto server = mail::SmtpServer::parse("smtp://127.0.0.1:" + std::to_string(sink.port())).value();
    mail::Message message;
    message.to = "ann@example.com";
    message.from = "no-reply@acme.test";
    message.subject = "Themed";
    message.body = "Plain words\n";
    message.html = "<p style=\"color:#c2410c\">Themed words</p>\n.dotted line\n";
    REQUIRE(outbox.enqueue(message).ok());
    CHECK(outbox.latest().value().front().html == message.html);
    CHECK(mail::deliver_due(outbox, server) == 1);
    auto received = sink.mail();
    REQUIRE(received.size() == 1);
    const auto& data = received[0].data;
    auto boundary_at = data.find("Content-Type: multipart/alternative; boundary=\"");
    REQUIRE(boundary_at != std::string::npos);
    auto text_at = data.find("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nPlain words\r\n");
    auto html_at = data.find("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<p style=\"color:#c2410c\">");
    CHECK(text_at != std::string::npos);
    CHECK(html_at != std::string::npos);
    CHECK(text_at < html_at);
    CHECK(data.find("--\r\n", html_at) != std::string::npos);  // the closing boundary
  });
}
