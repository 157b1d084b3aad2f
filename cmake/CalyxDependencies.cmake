# Finds every third-party dependency from the Debian packages named in docs/development.md.
# SOCI ships no CMake package on Debian 12, so its libraries are found by name and wrapped in imported targets.
find_package(Boost 1.81 REQUIRED COMPONENTS json url)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)

find_path(SOCI_INCLUDE_DIR soci/soci.h REQUIRED)
foreach(part core sqlite3 postgresql)
  find_library(SOCI_${part}_LIBRARY NAMES soci_${part} REQUIRED)
  add_library(Soci::${part} UNKNOWN IMPORTED)
  set_target_properties(Soci::${part} PROPERTIES
    IMPORTED_LOCATION ${SOCI_${part}_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${SOCI_INCLUDE_DIR})
endforeach()
set_property(TARGET Soci::sqlite3 APPEND PROPERTY INTERFACE_LINK_LIBRARIES Soci::core SQLite::SQLite3)
set_property(TARGET Soci::postgresql APPEND PROPERTY INTERFACE_LINK_LIBRARIES Soci::core PostgreSQL::PostgreSQL)
set_property(TARGET Soci::core APPEND PROPERTY INTERFACE_LINK_LIBRARIES ${CMAKE_DL_LIBS})
