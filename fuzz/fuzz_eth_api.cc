// The Ethereum methods behind the JSON-RPC dispatcher: any request body, with any params, must get
// a well-formed answer and never crash the node. An in-memory node with funded accounts serves
// every input; it commits what is pending now and then so block, receipt and filter paths hold
// data.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "node/dev_accounts.h"
#include "node/eth_api.h"

namespace {

struct Harness {
    std::unique_ptr<hc::node::Node> node;
    std::unique_ptr<hc::node::EthApi> api;
    hc::rpc::Dispatcher dispatcher;

    Harness() {
        hc::node::NodeConfig config;
        for (const auto& a : hc::node::kDevAccounts)
            config.chain.alloc.push_back({*hc::parse_address(a.address), hc::uint256(1) << 80});
        config.pool.capacity = 256;
        auto n = hc::node::Node::open(config);
        if (!n) std::abort();
        node = std::move(*n);
        hc::node::EthApiConfig api_config;
        api_config.max_filters = 64;
        api = std::make_unique<hc::node::EthApi>(*node, api_config);
        api->register_methods(dispatcher);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Harness h;
    static uint64_t calls = 0;
    hc::rpc::LocalSession session(true, 4);
    std::string out =
        h.dispatcher.handle(std::string_view(reinterpret_cast<const char*>(data), size), session);
    if (!out.empty()) {
        auto reply = nlohmann::json::parse(out, nullptr, false);
        if (reply.is_discarded()) std::abort();
    }
    if (++calls % 64 == 0 && !h.node->run_until_idle()) std::abort();
    return 0;
}
