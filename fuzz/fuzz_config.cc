// The consortium genesis and node config parsers must reject or accept any text without
// crashing, and whatever they accept must survive a write and re-read unchanged: a file that
// `honeycomb init` or an operator's tool writes back must mean the same thing.
#include <cstdlib>
#include <string_view>

#include "node/consortium_config.h"

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    if (auto genesis = hc::node::parse_consortium_genesis(text)) {
        auto again =
            hc::node::parse_consortium_genesis(hc::node::consortium_genesis_to_json(*genesis));
        require(again.ok() && *again == *genesis);
        require(hc::node::consortium_id(*again) == hc::node::consortium_id(*genesis));
        (void)hc::node::to_chain_config(*genesis);
        require(hc::node::organisation_cas(*genesis).ok());
    }

    // A relative base directory: paths resolve without touching the file system.
    const std::filesystem::path base = "cfg/node";
    if (auto config = hc::node::parse_node_config(text, base)) {
        auto again =
            hc::node::parse_node_config(hc::node::node_config_to_json(*config, base), base);
        require(again.ok() && *again == *config);
    }

    if (auto address = hc::node::parse_net_address(text)) {
        auto again = hc::node::parse_net_address(address->to_string());
        require(again.ok() && *again == *address);
    }
    return 0;
}
