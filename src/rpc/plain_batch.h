#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

namespace hc::rpc {

// The fast path for the batches a load generator or an indexer sends: a JSON array of objects
// whose members are ASCII strings without escapes, unsigned integers below 10^19, true, false,
// null, or arrays of those (one level). Such a body is read here into the same value json::parse
// gives, at about a third of the general parser's cost (bench/rpc_bench).
//
// Returns nullopt for anything else (escapes, non-ASCII, fractions, exponents, negative or longer
// numbers, nested objects, deeper arrays, an empty batch, a syntax error): the caller then runs
// the general parser, which also reports every error. A value returned is exactly
// json::parse(body) (plain_batch_test checks it against the general parser).
// REQUIRES: max_depth is the request's nesting limit; below 3 nothing is taken here.
std::optional<nlohmann::json> parse_plain_batch(std::string_view body, size_t max_depth);

}  // namespace hc::rpc
