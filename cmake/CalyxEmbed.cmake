# calyx_embed_migrations(<target> <dir> <function>) compiles every *.sql file of <dir> into <target>
# and defines `std::vector<calyx::migrations::MigrationFile> <function>()` returning them, so migrations run
# from the production binary with no source tree beside it.
set(CALYX_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_sql.cmake)

function(calyx_embed_migrations target dir function)
  file(GLOB sql_files CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT sql_files)
  set(output ${CMAKE_CURRENT_BINARY_DIR}/${function}.cpp)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} -DFUNCTION=${function} "-DFILES=${sql_files}"
            -P ${CALYX_EMBED_SCRIPT}
    DEPENDS ${sql_files} ${CALYX_EMBED_SCRIPT}
    COMMENT "Embedding migrations of ${dir}"
    VERBATIM)
  target_sources(${target} PRIVATE ${output})
endfunction()
