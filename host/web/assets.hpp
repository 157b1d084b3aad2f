// The browser assets compiled into the binary (web/build.mjs → host/CMakeLists.txt): Tailwind CSS, Alpine.js,
// htmx, our calyx.js, and the Heroicons outline set. Served under /assets/ on every host; a URL carries the
// content's hash (?v=…), so browsers may keep it for a year, and a new build changes every URL it affects.
// Thread-safety: immutable after the first call to instance().
#pragma once

#include "http/router.hpp"

#include <map>
#include <string>
#include <string_view>

namespace calyx::web {

class Assets {
 public:
  static const Assets& instance();

  // The versioned address of an asset: "/assets/app.css?v=1a2b3c4d5e6f".
  std::string url(std::string_view name) const;
  // GET /assets/<name>: the file (long-lived when ?v= names this build's content), 304 when the ETag
  // matches, 404 for anything else.
  http::Response serve(const http::Request& request, std::string_view name) const;
  // The SVG of a Heroicons outline icon, by its name ("home") or the seed's form ("hero-home"); empty if none.
  std::string_view icon(std::string_view name) const;

 private:
  Assets();
  struct File {
    std::string_view content;
    std::string content_type, hash;
  };
  std::map<std::string, File, std::less<>> files_;
  std::map<std::string, std::string, std::less<>> icons_;
};

// GET /assets/<name> for every embedded asset, answered on the I/O thread (memory only).
void add_asset_routes(http::Router& router);

// A response for content that may be cached and revalidated: ETag, Cache-Control (`immutable`: a year;
// otherwise revalidate every time), and 304 Not Modified when the request's If-None-Match matches.
http::Response cacheable_response(const http::Request& request, std::string_view body, std::string_view content_type,
                                  std::string_view etag, bool immutable);

}  // namespace calyx::web
