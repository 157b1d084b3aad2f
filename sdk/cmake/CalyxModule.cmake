# calyx_add_module(<name> SOURCES <files...> [MIGRATIONS <sql files...>])
#
# Builds a Calyx module: a shared library named <name>.so that exports exactly one symbol, the ABI entry
# point. Sets hidden visibility and a linker version script that exports only the entry, links static libraries without re-exporting them (--exclude-libs,ALL),
# refuses undefined symbols (a module never links against the host), embeds the migration files, and checks
# after linking that calyx_module_v1 is the only exported symbol.
#
# Migration files are named NNNN_snake_name.sql (both backends) or NNNN_snake_name.sqlite.sql +
# NNNN_snake_name.postgresql.sql; a badly named file stops the build.
include_guard(GLOBAL)
set(_CALYX_MODULE_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR} CACHE INTERNAL "Where CalyxModule.cmake lives")

function(calyx_add_module name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "" "SOURCES;MIGRATIONS")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "calyx_add_module(${name}): SOURCES is required")
  endif()
  set(migrations "")
  foreach(file IN LISTS ARG_MIGRATIONS)
    get_filename_component(absolute ${file} ABSOLUTE)
    list(APPEND migrations ${absolute})
  endforeach()
  set(embedded ${CMAKE_CURRENT_BINARY_DIR}/${name}_migrations.c)
  add_custom_command(
    OUTPUT ${embedded}
    COMMAND ${CMAKE_COMMAND} "-DOUTPUT=${embedded}" "-DFILES=${migrations}"
            -P ${_CALYX_MODULE_CMAKE_DIR}/calyx_embed_module_migrations.cmake
    DEPENDS ${migrations} ${_CALYX_MODULE_CMAKE_DIR}/calyx_embed_module_migrations.cmake
    COMMENT "Embedding migrations of module ${name}"
    VERBATIM)

  add_library(${name} MODULE ${ARG_SOURCES} ${embedded})
  target_link_libraries(${name} PRIVATE CalyxSDK::sdk)
  target_compile_features(${name} PRIVATE cxx_std_20)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${name} PRIVATE "LINKER:--exclude-libs,ALL" "LINKER:--no-undefined"
    "LINKER:--version-script=${_CALYX_MODULE_CMAKE_DIR}/calyx_module.map")
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${_CALYX_MODULE_CMAKE_DIR}/calyx_module.map)
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND ${CMAKE_COMMAND} "-DLIBRARY=$<TARGET_FILE:${name}>" "-DNM=${CMAKE_NM}"
            -P ${_CALYX_MODULE_CMAKE_DIR}/calyx_check_exports.cmake
    VERBATIM)
endfunction()
