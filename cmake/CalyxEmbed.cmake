# calyx_embed_files(<target> <function> <dir> <glob>...) compiles the files of <dir> matching the globs into
# <target> and defines `std::vector<calyx::EmbeddedFile> <function>()` returning them (names relative to
# <dir>), so the production binary needs no source tree beside it: the host's migrations, the generator's
# templates.
set(CALYX_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_files.cmake)

function(calyx_embed_files target function dir)
  set(patterns "")
  foreach(glob IN LISTS ARGN)
    list(APPEND patterns ${dir}/${glob})
  endforeach()
  file(GLOB_RECURSE files CONFIGURE_DEPENDS ${patterns})
  list(SORT files)
  calyx_embed_built_files(${target} ${function} ${dir} ${files})
endfunction()

# calyx_embed_built_files(<target> <function> <dir> <file>...): the same for files a build step makes (named
# one by one, since they do not exist when CMake configures).
function(calyx_embed_built_files target function dir)
  set(files ${ARGN})
  set(output ${CMAKE_CURRENT_BINARY_DIR}/${function}.cpp)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} -DFUNCTION=${function} -DBASE=${dir} "-DFILES=${files}"
            -P ${CALYX_EMBED_SCRIPT}
    DEPENDS ${files} ${CALYX_EMBED_SCRIPT}
    COMMENT "Embedding ${dir}"
    VERBATIM)
  target_sources(${target} PRIVATE ${output})
endfunction()
