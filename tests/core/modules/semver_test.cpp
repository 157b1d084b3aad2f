// Module versions and dependency requirements.
#include <calyx/modules/semver.hpp>

#include <doctest/doctest.h>

using calyx::modules::Version;
using calyx::modules::VersionRequirement;

namespace {
bool allows(const char* requirement, const char* version) {
  return VersionRequirement::parse(requirement).value().allows(Version::parse(version).value());
}
}  // namespace

TEST_CASE("versions parse as MAJOR.MINOR.PATCH and compare numerically") {
  CHECK(Version::parse("1.10.0").value() > Version::parse("1.9.3").value());
  CHECK(Version::parse("2.0.0-beta+7").value().to_string() == "2.0.0");
  CHECK_FALSE(Version::parse("1.2").ok());
  CHECK_FALSE(Version::parse("1.2.x").ok());
  CHECK_FALSE(Version::parse("").ok());
  CHECK_FALSE(Version::parse("1.2.3.4").ok());
}

TEST_CASE("requirements") {
  CHECK(allows("*", "0.0.1"));
  CHECK(allows("", "3.0.0"));
  CHECK(allows("1.2.3", "1.2.3"));
  CHECK_FALSE(allows("1.2.3", "1.2.4"));
  CHECK(allows(">=1.2", "1.2.0"));
  CHECK_FALSE(allows(">=1.2", "1.1.9"));
  CHECK(allows("<2.0.0", "1.99.0"));
  CHECK_FALSE(allows(">1.0.0", "1.0.0"));
  CHECK(allows("^1.2", "1.9.0"));
  CHECK_FALSE(allows("^1.2", "2.0.0"));
  CHECK_FALSE(allows("^1.2", "1.1.0"));
  CHECK(allows("^0.2.1", "0.2.5"));
  CHECK_FALSE(allows("^0.2.1", "0.3.0"));
  CHECK(allows("~1.2.3", "1.2.9"));
  CHECK_FALSE(allows("~1.2.3", "1.3.0"));
  CHECK_FALSE(VersionRequirement::parse(">=banana").ok());
}
