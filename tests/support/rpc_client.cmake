# hc_test_rpc: the JSON-RPC client and `honeycomb dev` process helpers (rpc_client.h), used by the
# integration tests (tests/) and the load generator (bench/). Both directories include this file,
# because either may be configured without the other (the asan preset builds tests without bench;
# -DHC_BUILD_TESTS=OFF builds bench without tests); whichever comes first defines the target.
if(NOT TARGET hc_test_rpc)
    add_library(hc_test_rpc STATIC ${PROJECT_SOURCE_DIR}/tests/support/rpc_client.cc)
    target_include_directories(hc_test_rpc PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
    target_link_libraries(hc_test_rpc PUBLIC hc_ledger hc_common nlohmann_json::nlohmann_json
                                             Boost::headers Threads::Threads)
    hc_warnings(hc_test_rpc)
endif()
