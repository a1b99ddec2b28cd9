#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace hc::log {

namespace {

std::atomic<Level> g_level{Level::info};
std::atomic<Sink> g_sink{nullptr};
std::mutex g_write_mu;  // whole lines, never interleaved

void append_value(std::string& out, std::string_view v) {
    const bool quote = v.empty() || v.find_first_of(" \"=\t\n") != std::string_view::npos;
    if (!quote) {
        out += v;
        return;
    }
    out += '"';
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    out += '"';
}

}  // namespace

const char* level_name(Level level) noexcept {
    switch (level) {
        case Level::trace:
            return "trace";
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warn:
            return "warn";
        case Level::error:
            return "error";
        case Level::off:
            return "off";
    }
    return "unknown";
}

Result<Level> parse_level(std::string_view name) {
    for (Level l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error, Level::off})
        if (name == level_name(l)) return l;
    return make_error(Errc::invalid_argument, "unknown log level \"" + std::string(name) +
                                                  "\": use trace, debug, info, warn, error or off");
}

void set_level(Level level) noexcept {
    g_level.store(level, std::memory_order_relaxed);
}

Level level() noexcept {
    return g_level.load(std::memory_order_relaxed);
}

void set_sink(Sink sink) noexcept {
    g_sink.store(sink);
}

std::string format_line(Level level, std::string_view component, std::string_view event,
                        Fields fields) {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t secs = system_clock::to_time_t(now);
    const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[96];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(millis));
    std::string line = stamp;
    line += ' ';
    line += level_name(level);
    line += ' ';
    line += component;
    line += ' ';
    line += event;
    for (const Field& f : fields) {
        line += ' ';
        line += f.key;
        line += '=';
        append_value(line, f.value);
    }
    return line;
}

void write(Level level, std::string_view component, std::string_view event, Fields fields) {
    const std::string line = format_line(level, component, event, fields);
    if (Sink sink = g_sink.load()) return sink(line);
    std::lock_guard lock(g_write_mu);
    std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace hc::log
