if(ATTEST_TESTS)
  enable_testing()
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()

# attest_unit_test(NAME name SOURCES ... LIBS ...)
# One gtest binary per module; tests run from the repository root so that vectors resolve as
# ../shared/vectors/... like everywhere else in the project.
function(attest_unit_test)
  if(NOT ATTEST_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} attest_testing GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${T_NAME} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                       PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()
