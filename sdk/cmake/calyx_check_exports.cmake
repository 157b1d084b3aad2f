# Script mode helper of calyx_add_module: fails the build unless LIBRARY exports exactly calyx_module_v1.
execute_process(COMMAND ${NM} -D --defined-only ${LIBRARY} OUTPUT_VARIABLE symbols RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cannot list the symbols of ${LIBRARY}")
endif()
string(REPLACE "\n" ";" lines "${symbols}")
set(exported "")
foreach(line IN LISTS lines)
  # "0000000000001139 T calyx_module_v1": keep global code and data symbols.
  if(line MATCHES "^[0-9a-fA-F]+ [TDBRVWiu] (.+)$")
    list(APPEND exported ${CMAKE_MATCH_1})
  endif()
endforeach()
if(NOT exported STREQUAL "calyx_module_v1")
  message(FATAL_ERROR "${LIBRARY} must export only calyx_module_v1, but exports: ${exported}\n"
                      "Build modules with calyx_add_module() and keep symbols hidden.")
endif()
