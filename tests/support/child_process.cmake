# hc_test_process: the child-process and `honeycomb dev` helpers (child_process.h), used with
# rpc::Client by the integration tests (tests/) and the load generator (bench/). Both directories
# include this file, because either may be configured without the other (the asan preset builds
# tests without bench; -DHC_BUILD_TESTS=OFF builds bench without tests); whichever comes first
# defines the target.
if(NOT TARGET hc_test_process)
    add_library(hc_test_process STATIC ${PROJECT_SOURCE_DIR}/tests/support/child_process.cc)
    target_include_directories(hc_test_process PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
    target_link_libraries(hc_test_process PUBLIC hc_rpc hc_ledger hc_common Boost::headers
                                                 Threads::Threads)
    hc_warnings(hc_test_process)
endif()
