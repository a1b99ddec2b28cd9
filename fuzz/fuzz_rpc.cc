// JSON-RPC bodies come straight from the network: the Dispatcher must answer any bytes without
// crashing, and what it answers must be well-formed JSON-RPC: nothing (all notifications), one
// response object, or a non-empty array of them, each with "jsonrpc":"2.0", an id, and exactly
// one of result and error.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "rpc/jsonrpc.h"

namespace {

using json = nlohmann::json;
using hc::rpc::MethodResult;
using hc::rpc::Session;

hc::rpc::Dispatcher make_dispatcher() {
    hc::rpc::Limits limits;
    limits.max_batch = 64;
    hc::rpc::Dispatcher d(limits);
    d.add("echo", [](const json& params, Session&) -> MethodResult { return params; });
    // Positional params of fixed types (wrong types throw nlohmann type_error).
    d.add("add", [](const json& params, Session&) -> MethodResult {
        return params.at(0).get<uint64_t>() + params.at(1).get<uint64_t>();
    });
    // Named params.
    d.add("get_string", [](const json& params, Session&) -> MethodResult {
        return "hello " + params.at("name").get<std::string>();
    });
    d.add("subscribe", [](const json& params, Session& session) -> MethodResult {
        if (!session.try_add_subscription()) return hc::rpc::limit_exceeded("too many");
        session.send(hc::rpc::make_notification("sub", params));
        return "0x1";
    });
    d.add("fail", [](const json& params, Session&) -> MethodResult {
        return hc::rpc::invalid_input("failed", params);
    });
    d.add("throw",
          [](const json&, Session&) -> MethodResult { throw std::runtime_error("thrown"); });
    return d;
}

void check_response(const json& r) {
    if (!r.is_object()) std::abort();
    auto version = r.find("jsonrpc");
    if (version == r.end() || *version != "2.0") std::abort();
    if (!r.contains("id")) std::abort();
    if (r.contains("result") == r.contains("error")) std::abort();
    if (r.contains("error") && !r["error"]["code"].is_number_integer()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const hc::rpc::Dispatcher dispatcher = make_dispatcher();
    hc::rpc::LocalSession session(true, 4);
    std::string out =
        dispatcher.handle(std::string_view(reinterpret_cast<const char*>(data), size), session);
    if (out.empty()) return 0;
    json parsed = json::parse(out, nullptr, false);
    if (parsed.is_discarded()) std::abort();
    if (parsed.is_array()) {
        if (parsed.empty()) std::abort();
        for (const auto& r : parsed)
            check_response(r);
    } else {
        check_response(parsed);
    }
    return 0;
}
