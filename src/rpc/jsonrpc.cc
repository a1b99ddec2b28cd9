#include "rpc/jsonrpc.h"

#include <atomic>
#include <exception>
#include <optional>
#include <utility>

#include "rpc/plain_batch.h"

namespace hc::rpc {

using json = nlohmann::json;

RpcError parse_error(std::string message) {
    return {kParseError, std::move(message)};
}
RpcError invalid_request(std::string message) {
    return {kInvalidRequest, std::move(message)};
}
RpcError method_not_found(std::string message) {
    return {kMethodNotFound, std::move(message)};
}
RpcError invalid_params(std::string message, json data) {
    return {kInvalidParams, std::move(message), std::move(data)};
}
RpcError internal_error(std::string message) {
    return {kInternalError, std::move(message)};
}
RpcError invalid_input(std::string message, json data) {
    return {kInvalidInput, std::move(message), std::move(data)};
}
RpcError execution_reverted(std::string message, json data) {
    return {kExecutionReverted, std::move(message), std::move(data)};
}
RpcError resource_not_found(std::string message) {
    return {kResourceNotFound, std::move(message)};
}
RpcError resource_unavailable(std::string message) {
    return {kResourceUnavailable, std::move(message)};
}
RpcError transaction_rejected(std::string message, json data) {
    return {kTransactionRejected, std::move(message), std::move(data)};
}
RpcError method_not_supported(std::string message) {
    return {kMethodNotSupported, std::move(message)};
}
RpcError limit_exceeded(std::string message) {
    return {kLimitExceeded, std::move(message)};
}

namespace {

// Serialises without ever throwing on invalid UTF-8 (a method may return arbitrary bytes).
std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// "[json.exception.type_error.302] type must be string" -> "type must be string".
std::string strip_json_prefix(std::string_view what) {
    if (what.starts_with("[json.exception.")) {
        auto end = what.find("] ");
        if (end != std::string_view::npos) what.remove_prefix(end + 2);
    }
    return std::string(what);
}

// Keeps client-controlled text echoed in messages short.
std::string truncated(std::string_view s, size_t max = 200) {
    if (s.size() <= max) return std::string(s);
    return std::string(s.substr(0, max)) + "...";
}

std::string error_response(std::string_view id, const RpcError& error) {
    std::string out = R"({"jsonrpc":"2.0","id":)";
    out += id;
    out += R"(,"error":)";
    out += dump(to_json(error));
    out += '}';
    return out;
}

std::string result_response(std::string_view id, const json& result) {
    std::string out = R"({"jsonrpc":"2.0","id":)";
    out += id;
    out += R"(,"result":)";
    out += dump(result);
    out += '}';
    return out;
}

// A SAX handler that builds the document like nlohmann's own DOM parser, with two additions:
// it stops as soon as a container would nest deeper than max_depth (so no deep tree is ever
// built, whatever the input), and it keeps the spelling of request ids that are non-integer
// numbers, which a double cannot reproduce.
class Builder {
  public:
    explicit Builder(size_t max_depth) : max_depth_(max_depth) {}

    json root;
    bool too_deep = false;
    std::string error;
    // (request index, spelling): index 0 for a single request, the batch position otherwise.
    std::vector<std::pair<size_t, std::string>> raw_ids;

    bool null() { return put(nullptr) != nullptr; }
    bool boolean(bool v) { return put(v) != nullptr; }
    bool number_integer(json::number_integer_t v) { return put(v) != nullptr; }
    bool number_unsigned(json::number_unsigned_t v) { return put(v) != nullptr; }
    bool number_float(json::number_float_t v, const json::string_t& spelling) {
        if (at_request_id()) raw_ids.emplace_back(request_index(), spelling);
        return put(v) != nullptr;
    }
    bool string(json::string_t& v) { return put(std::move(v)) != nullptr; }
    bool binary(json::binary_t& v) { return put(json::binary(std::move(v))) != nullptr; }
    bool start_object(std::size_t) { return open(json::value_t::object); }
    bool key(json::string_t& k) {
        key_is_id_ = k == "id";
        slot_ = &(*stack_.back())[std::move(k)];
        return true;
    }
    bool end_object() { return close(); }
    bool start_array(std::size_t) { return open(json::value_t::array); }
    bool end_array() { return close(); }
    bool parse_error(std::size_t, const std::string&, const json::exception& e) {
        error = truncated(strip_json_prefix(e.what()));
        return false;
    }

  private:
    json* put(json v) {
        if (stack_.empty()) {
            root = std::move(v);
            return &root;
        }
        json& top = *stack_.back();
        if (top.is_array()) {
            top.push_back(std::move(v));
            return &top.back();
        }
        *slot_ = std::move(v);
        return slot_;
    }
    bool open(json::value_t type) {
        if (stack_.size() >= max_depth_) {
            too_deep = true;
            return false;
        }
        stack_.push_back(put(json(type)));
        return true;
    }
    bool close() {
        stack_.pop_back();
        return true;
    }
    // True when the value being read is the "id" member of a request object: the root object,
    // or an object directly inside the root array.
    bool at_request_id() const {
        if (!key_is_id_ || stack_.empty() || !stack_.back()->is_object()) return false;
        return stack_.size() == 1 || (stack_.size() == 2 && stack_.front()->is_array());
    }
    size_t request_index() const { return stack_.size() == 1 ? 0 : stack_.front()->size() - 1; }

    size_t max_depth_;
    std::vector<json*> stack_;  // the open containers, outermost first
    json* slot_ = nullptr;      // where the next value of the innermost object goes
    bool key_is_id_ = false;
};

std::atomic<uint64_t> next_session_id{1};

}  // namespace

json to_json(const RpcError& error) {
    json j = {{"code", error.code}, {"message", error.message}};
    if (!error.data.is_null()) j["data"] = error.data;
    return j;
}

std::string make_notification(std::string_view method, const json& params) {
    std::string out = R"({"jsonrpc":"2.0","method":)";
    out += dump(json(method));
    out += R"(,"params":)";
    out += dump(params);
    out += '}';
    return out;
}

// ---- Session ----

Session::Session(size_t max_subscriptions)
    : id_(next_session_id.fetch_add(1, std::memory_order_relaxed)),
      max_subscriptions_(max_subscriptions) {}

void Session::on_close(std::function<void()> fn) {
    if (!fn) return;
    {
        std::lock_guard lock(mu_);
        if (!closed_) {
            on_close_.push_back(std::move(fn));
            return;
        }
    }
    try {
        fn();
    } catch (...) {
    }
}

bool Session::closed() const {
    std::lock_guard lock(mu_);
    return closed_;
}

bool Session::try_add_subscription() {
    std::lock_guard lock(mu_);
    if (closed_ || subscriptions_ >= max_subscriptions_) return false;
    ++subscriptions_;
    return true;
}

void Session::remove_subscription() {
    std::lock_guard lock(mu_);
    if (subscriptions_ > 0) --subscriptions_;
}

size_t Session::subscription_count() const {
    std::lock_guard lock(mu_);
    return subscriptions_;
}

void Session::close_session() noexcept {
    std::vector<std::function<void()>> callbacks;
    {
        std::lock_guard lock(mu_);
        if (closed_) return;
        closed_ = true;
        callbacks.swap(on_close_);
    }
    for (auto& fn : callbacks) {
        try {
            fn();
        } catch (...) {
        }
    }
}

LocalSession::LocalSession(bool websocket, size_t max_subscriptions)
    : Session(max_subscriptions), websocket_(websocket) {}

LocalSession::~LocalSession() {
    close_session();
}

bool LocalSession::send(std::string text) {
    if (!websocket_ || closed()) return false;
    std::lock_guard lock(sent_mu_);
    sent_.push_back(std::move(text));
    return true;
}

std::vector<std::string> LocalSession::sent() const {
    std::lock_guard lock(sent_mu_);
    return sent_;
}

// ---- Dispatcher ----

void Dispatcher::add(std::string name, Method method) {
    batched_.erase(name);
    methods_[std::move(name)] = std::move(method);
}

void Dispatcher::add_batched(std::string name, BatchMethod method) {
    methods_.erase(name);
    batched_[std::move(name)] = std::move(method);
}

bool Dispatcher::contains(std::string_view name) const {
    return methods_.find(name) != methods_.end() || batched_.find(name) != batched_.end();
}

// raw_id, when given, is the spelling of a non-integer numeric id.
std::variant<Dispatcher::Call, std::string> Dispatcher::parse_call(
    const json& request, const std::string* raw_id) const {
    if (!request.is_object())
        return error_response("null", invalid_request("request must be a JSON object"));

    Call call;
    const auto id_it = request.find("id");
    call.notification = id_it == request.end();
    call.id = "null";
    if (!call.notification) {
        if (id_it->is_number_float() && raw_id != nullptr) {
            call.id = *raw_id;
        } else if (id_it->is_number() || id_it->is_string() || id_it->is_null()) {
            call.id = dump(*id_it);
        } else {
            return error_response("null",
                                  invalid_request(R"("id" must be a number, a string or null)"));
        }
    }

    const auto version = request.find("jsonrpc");
    if (version == request.end() || !version->is_string() ||
        version->get_ref<const std::string&>() != "2.0") {
        return error_response(call.id, invalid_request(R"("jsonrpc" must be "2.0")"));
    }
    const auto method = request.find("method");
    if (method == request.end() || !method->is_string()) {
        return error_response(call.id, invalid_request(R"("method" must be a string)"));
    }
    call.method = &method->get_ref<const std::string&>();
    static const json kNoParams = json::array();
    call.params = &kNoParams;
    if (const auto p = request.find("params"); p != request.end() && !p->is_null()) {
        if (!p->is_array() && !p->is_object()) {
            return error_response(call.id,
                                  invalid_request(R"("params" must be an array or an object)"));
        }
        call.params = &*p;
    }
    return call;
}

namespace {

// What a method's exception means to the client.
template <typename F>
auto mapping_exceptions(F&& run) -> decltype(run()) {
    try {
        return run();
    } catch (const json::type_error& e) {
        return invalid_params("invalid params: " + strip_json_prefix(e.what()));
    } catch (const json::out_of_range& e) {
        return invalid_params("invalid params: " + strip_json_prefix(e.what()));
    } catch (const std::exception& e) {
        return internal_error(e.what());
    } catch (...) {
        return internal_error("internal error");
    }
}

}  // namespace

MethodResult Dispatcher::invoke(const Call& call, Session& session) const {
    const std::string& name = *call.method;
    if (const auto m = methods_.find(std::string_view(name)); m != methods_.end())
        return mapping_exceptions(
            [&]() -> MethodResult { return m->second(*call.params, session); });
    if (const auto m = batched_.find(std::string_view(name)); m != batched_.end()) {
        const Call* one = &call;
        return std::move(invoke_batched(m->second, std::span(&one, 1), session).front());
    }
    return method_not_found("the method " + truncated(name) + " does not exist/is not available");
}

std::vector<MethodResult> Dispatcher::invoke_batched(const BatchMethod& method,
                                                     std::span<const Call* const> calls,
                                                     Session& session) const {
    std::vector<const json*> params;
    params.reserve(calls.size());
    for (const Call* c : calls)
        params.push_back(c->params);
    std::optional<RpcError> failed;
    std::vector<MethodResult> results;
    try {
        results = method(params, session);
    } catch (...) {
        failed = std::get<RpcError>(mapping_exceptions([]() -> MethodResult { throw; }));
    }
    if (!failed && results.size() != calls.size())
        failed = internal_error("the method " + *calls.front()->method + " answered " +
                                std::to_string(results.size()) + " of " +
                                std::to_string(calls.size()) + " requests");
    if (failed) results.assign(calls.size(), *failed);
    return results;
}

std::string Dispatcher::respond(const Call& call, const MethodResult& result) const {
    if (call.notification) return {};
    if (const auto* error = std::get_if<RpcError>(&result)) return error_response(call.id, *error);
    const json& value = std::get<json>(result);
    if (value.is_discarded()) {
        return error_response(call.id,
                              internal_error("the method " + *call.method + " returned no value"));
    }
    return result_response(call.id, value);
}

// Answers one request object (or whatever stands in its place in a batch); "" for a
// notification.
std::string Dispatcher::handle_request(const json& request, const std::string* raw_id,
                                       Session& session) const {
    auto parsed = parse_call(request, raw_id);
    if (auto* error = std::get_if<std::string>(&parsed)) return std::move(*error);
    const Call& call = std::get<Call>(parsed);
    return respond(call, invoke(call, session));
}

std::string Dispatcher::handle_body(std::string_view body, Session& session) const {
    if (body.size() > limits_.max_body_bytes) {
        return error_response("null",
                              limit_exceeded("request of " + std::to_string(body.size()) +
                                             " bytes exceeds the limit of " +
                                             std::to_string(limits_.max_body_bytes) + " bytes"));
    }
    Builder builder(limits_.max_depth);
    // A plain batch (a load generator's) skips the general parser; it has no fractional ids, so
    // no raw spellings to keep.
    if (auto plain = parse_plain_batch(body, limits_.max_depth)) {
        builder.root = std::move(*plain);
    } else if (!json::sax_parse(body.data(), body.data() + body.size(), &builder)) {
        if (builder.too_deep) {
            return error_response("null",
                                  limit_exceeded("JSON nesting exceeds the limit of " +
                                                 std::to_string(limits_.max_depth) + " levels"));
        }
        return error_response("null", parse_error(builder.error));
    }
    const json& root = builder.root;
    auto raw_id = [&](size_t index) -> const std::string* {
        const std::string* found = nullptr;  // the last spelling wins, like the last duplicate key
        for (const auto& [i, spelling] : builder.raw_ids) {
            if (i == index) found = &spelling;
        }
        return found;
    };
    if (!root.is_array()) return handle_request(root, raw_id(0), session);

    if (root.empty()) return error_response("null", invalid_request("empty batch"));
    if (root.size() > limits_.max_batch) {
        return error_response("null", limit_exceeded("batch of " + std::to_string(root.size()) +
                                                     " requests exceeds the limit of " +
                                                     std::to_string(limits_.max_batch)));
    }
    std::vector<std::variant<Call, std::string>> parsed;
    parsed.reserve(root.size());
    for (size_t i = 0; i < root.size(); ++i)
        parsed.push_back(parse_call(root[i], raw_id(i)));
    std::vector<std::string> responses(root.size());
    std::vector<bool> done(root.size(), false);
    for (size_t i = 0; i < root.size(); ++i) {
        if (done[i]) continue;
        done[i] = true;
        if (auto* error = std::get_if<std::string>(&parsed[i])) {
            responses[i] = std::move(*error);
            continue;
        }
        const Call& call = std::get<Call>(parsed[i]);
        const auto batched = batched_.find(std::string_view(*call.method));
        if (batched == batched_.end()) {
            responses[i] = respond(call, invoke(call, session));
            continue;
        }
        // This request and every later one for the same method, in one call.
        std::vector<size_t> group = {i};
        for (size_t j = i + 1; j < root.size(); ++j) {
            const Call* other = std::get_if<Call>(&parsed[j]);
            if (other && !done[j] && *other->method == *call.method) {
                group.push_back(j);
                done[j] = true;
            }
        }
        std::vector<const Call*> calls;
        calls.reserve(group.size());
        for (size_t j : group)
            calls.push_back(&std::get<Call>(parsed[j]));
        const std::vector<MethodResult> results = invoke_batched(batched->second, calls, session);
        for (size_t k = 0; k < group.size(); ++k)
            responses[group[k]] = respond(*calls[k], results[k]);
    }
    std::string out = "[";
    for (std::string& response : responses) {
        if (response.empty()) continue;
        if (out.size() > 1) out += ',';
        out += response;
    }
    if (out.size() == 1) return {};  // only notifications
    out += ']';
    return out;
}

std::string Dispatcher::handle(std::string_view body, Session& session) const noexcept {
    try {
        return handle_body(body, session);
    } catch (...) {  // out of memory, most likely
    }
    try {
        return error_response("null", internal_error("internal error"));
    } catch (...) {
        return {};
    }
}

}  // namespace hc::rpc
