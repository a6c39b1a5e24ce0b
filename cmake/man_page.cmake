# Man pages for the Debian packages, made from each binary's usage text (cmake/manpage.sh). Only
# with ATTEST_PACKAGE, so that ordinary builds do not run the binaries.
option(ATTEST_PACKAGE "Make man pages and install the packages' files (scripts/package)" OFF)

# attest_man_page(target section component summary): TARGET.SECTION.gz, installed with component.
function(attest_man_page target section component summary)
  if(NOT ATTEST_PACKAGE)
    return()
  endif()
  set(page ${CMAKE_CURRENT_BINARY_DIR}/${target}.${section}.gz)
  add_custom_command(OUTPUT ${page}
    COMMAND ${PROJECT_SOURCE_DIR}/cmake/manpage.sh ${page} ${target} ${section} ${summary}
            ${PROJECT_VERSION} $<TARGET_FILE:${target}>
    DEPENDS ${target} ${PROJECT_SOURCE_DIR}/cmake/manpage.sh VERBATIM)
  add_custom_target(${target}_man ALL DEPENDS ${page})
  install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT ${component})
endfunction()
