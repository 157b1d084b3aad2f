// A browser of one host for HTTP tests: keeps the cookies it is given, signs in, finds CSRF tokens.
#pragma once

#include "support/front_world.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <string>

namespace calyx::testing {

// A browser of one host: keeps the cookies it is given.
struct Browser {
  Browser(FrontWorld& world, std::string host) : world(world), host(std::move(host)) {}

  HttpResponse request(const std::string& method, const std::string& target, const std::string& body = "",
                       const std::string& extra = "") {
    std::string headers = extra;
    std::string jar;
    for (const auto& [name, value] : cookies) jar += (jar.empty() ? "" : "; ") + name + "=" + value;
    if (!jar.empty()) headers += "Cookie: " + jar + "\r\n";
    if (!body.empty() && extra.find("Content-Type:") == std::string::npos) {
      headers += "Content-Type: application/x-www-form-urlencoded\r\n";
    }
    auto response = http_request(world.server->port(), method, target, headers, body, host);
    REQUIRE(response);
    // The client keeps one Set-Cookie per name (the test client folds repeated headers with ", ").
    std::string set = response->headers["set-cookie"];
    std::regex pair(R"((calyx_\w+)=([0-9a-z-]*);)");
    for (std::sregex_iterator it(set.begin(), set.end(), pair), end; it != end; ++it) {
      if ((*it)[2].str().empty()) cookies.erase((*it)[1].str());
      else cookies[(*it)[1].str()] = (*it)[2].str();
    }
    return *response;
  }

  HttpResponse sign_in(const std::string& email, const std::string& password) {
    auto form = request("GET", "/sign-in");
    std::smatch csrf;
    std::regex_search(form.body, csrf, std::regex(R"re(name="_csrf" value="([0-9a-f]+)")re"));
    std::string encoded = password;
    std::replace(encoded.begin(), encoded.end(), ' ', '+');  // as a browser encodes the form
    return request("POST", "/sign-in", "_csrf=" + csrf[1].str() + "&email=" + email + "&password=" + encoded + "&next=/blog/editor");
  }

  // The CSRF token the last page's forms carry.
  static std::string csrf_of(const HttpResponse& page) {
    std::smatch match;
    std::regex_search(page.body, match, std::regex(R"re(name="_csrf" value="([0-9a-f]+)")re"));
    return match.size() > 1 ? match[1].str() : std::string();
  }

  FrontWorld& world;
  std::string host;
  std::map<std::string, std::string> cookies;
};

}  // namespace calyx::testing
