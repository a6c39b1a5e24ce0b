# Test sources need no -O2: with it, service/store/store_test.cc takes 11.8 s of CPU to compile,
# with -O1 3.0 s. scripts/test sets -O1 here; the code under test keeps the build's flags.
set(ATTEST_TEST_COMPILE_OPTIONS "" CACHE STRING "Extra compile options for unit test sources")

if(ATTEST_TESTS)
  enable_testing()
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()

# attest_unit_test(NAME name SOURCES ... LIBS ... [ENV VAR=value] [INTEGRATION_FILTER pattern])
# One gtest binary per module; tests run from the repository root so that vectors resolve as
# ../shared/vectors/... like everywhere else in the project. ENV is one variable set for each of
# its tests. Tests matching INTEGRATION_FILTER (a gtest filter, e.g. "*/Postgres") need a service
# scripts/services.sh starts: they are labelled integration, so the sanitizer tree, which runs
# only `unit` after the services are stopped, leaves them out.
function(attest_unit_test)
  if(NOT ATTEST_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "NAME;ENV;INTEGRATION_FILTER" "SOURCES;LIBS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} attest_testing GTest::gtest_main GTest::gmock)
  target_compile_options(${T_NAME} PRIVATE ${ATTEST_TEST_COMPILE_OPTIONS})
  set(env_property)
  if(DEFINED T_ENV)
    set(env_property ENVIRONMENT "${T_ENV}")
  endif()
  if(DEFINED T_INTEGRATION_FILTER)
    gtest_discover_tests(${T_NAME} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                         TEST_FILTER "-${T_INTEGRATION_FILTER}"
                         DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit ${env_property})
    gtest_discover_tests(${T_NAME} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                         TEST_FILTER "${T_INTEGRATION_FILTER}"
                         DISCOVERY_TIMEOUT 60 PROPERTIES LABELS integration ${env_property})
  else()
    gtest_discover_tests(${T_NAME} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                         DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit ${env_property})
  endif()
  attest_unit_target(${T_NAME})
endfunction()

# attest_unit_target(target...) adds targets that tests labelled `unit` run (test binaries, and
# programs a unit test executes) to `unit_tests`, the aggregate target the sanitizer tree builds
# instead of everything: scripts/test runs only `ctest -L unit` there.
function(attest_unit_target)
  set_property(GLOBAL APPEND PROPERTY ATTEST_UNIT_TARGETS ${ARGN})
endfunction()

# attest_define_aggregate_targets() defines `unit_tests` (see attest_unit_target) and, in fuzzing
# builds, `fuzz_targets` (every libFuzzer target and what it links). Called once, after every
# subdirectory has registered its targets.
function(attest_define_aggregate_targets)
  get_property(units GLOBAL PROPERTY ATTEST_UNIT_TARGETS)
  if(ATTEST_TESTS AND units)
    add_custom_target(unit_tests)
    add_dependencies(unit_tests ${units})
  endif()
  get_property(fuzzers GLOBAL PROPERTY ATTEST_FUZZ_TARGETS)
  if(ATTEST_FUZZ AND fuzzers)
    add_custom_target(fuzz_targets)
    add_dependencies(fuzz_targets ${fuzzers})
  endif()
endfunction()
