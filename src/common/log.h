// Structured logs: one line per event, `time level component event key=value ...` (logfmt
// values, quoted when they contain spaces or quotes), written to stderr. The level comes from
// the node's configuration; lines below it cost one atomic load.
//
//   log::info("consensus", "committed", {{"height", 12}, {"round", 40}});
//   2026-11-29T05:50:00.123Z info consensus committed height=12 round=40
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/error.h"

namespace hc::log {

enum class Level : uint8_t { trace, debug, info, warn, error, off };

// "trace", "debug", "info", "warn", "error", "off".
const char* level_name(Level level) noexcept;
Result<Level> parse_level(std::string_view name);

void set_level(Level level) noexcept;
Level level() noexcept;
inline bool enabled(Level l) noexcept {
    return l >= level();
}

// One key=value field; numbers and strings convert implicitly.
struct Field {
    Field(std::string_view k, std::string_view v) : key(k), value(v) {}
    Field(std::string_view k, const char* v) : key(k), value(v) {}
    Field(std::string_view k, const std::string& v) : key(k), value(v) {}
    template <typename T>
    requires std::is_arithmetic_v<T> Field(std::string_view k, T v)
        : key(k), value(std::to_string(v)) {}
    std::string_view key;
    std::string value;
};
using Fields = std::initializer_list<Field>;

// Formats one line (without the trailing newline), for tests and custom sinks.
std::string format_line(Level level, std::string_view component, std::string_view event,
                        Fields fields);

// Where lines go: stderr unless replaced (tests capture lines this way). Thread-safe.
using Sink = void (*)(std::string_view line);
void set_sink(Sink sink) noexcept;

void write(Level level, std::string_view component, std::string_view event, Fields fields = {});

inline void trace(std::string_view c, std::string_view e, Fields f = {}) {
    if (enabled(Level::trace)) write(Level::trace, c, e, f);
}
inline void debug(std::string_view c, std::string_view e, Fields f = {}) {
    if (enabled(Level::debug)) write(Level::debug, c, e, f);
}
inline void info(std::string_view c, std::string_view e, Fields f = {}) {
    if (enabled(Level::info)) write(Level::info, c, e, f);
}
inline void warn(std::string_view c, std::string_view e, Fields f = {}) {
    if (enabled(Level::warn)) write(Level::warn, c, e, f);
}
inline void error(std::string_view c, std::string_view e, Fields f = {}) {
    if (enabled(Level::error)) write(Level::error, c, e, f);
}

}  // namespace hc::log
