#include "node/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace hc::node {

namespace {

std::string number(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
    const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    std::lock_guard lock(mu_);
    ++counts_[bucket];
    sum_ += value;
    ++count_;
}

Histogram::Snapshot Histogram::snapshot() const {
    std::lock_guard lock(mu_);
    Snapshot s;
    s.bounds = bounds_;
    uint64_t running = 0;
    for (uint64_t c : counts_) {
        running += c;
        s.cumulative.push_back(running);
    }
    s.sum = sum_;
    s.count = count_;
    return s;
}

Counter& Metrics::counter(const std::string& name, const std::string& help) {
    Entry& e = entries_[name];
    e.help = help;
    if (!e.counter) e.counter = std::make_unique<Counter>();
    return *e.counter;
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help,
                              std::vector<double> bounds) {
    Entry& e = entries_[name];
    e.help = help;
    if (!e.histogram) e.histogram = std::make_unique<Histogram>(std::move(bounds));
    return *e.histogram;
}

void Metrics::gauge(const std::string& name, const std::string& help,
                    std::function<double()> read) {
    Entry& e = entries_[name];
    e.help = help;
    e.gauge = std::move(read);
}

void Metrics::counter(const std::string& name, const std::string& help,
                      std::function<double()> read) {
    gauge(name, help, std::move(read));
    entries_[name].read_counter = true;
}

std::string Metrics::render() const {
    std::string out;
    for (const auto& [name, e] : entries_) {
        out += "# HELP " + name + " " + e.help + "\n";
        if (e.counter) {
            out += "# TYPE " + name + " counter\n";
            out += name + " " + std::to_string(e.counter->value()) + "\n";
        } else if (e.histogram) {
            out += "# TYPE " + name + " histogram\n";
            const Histogram::Snapshot s = e.histogram->snapshot();
            for (size_t i = 0; i < s.bounds.size(); ++i)
                out += name + "_bucket{le=\"" + number(s.bounds[i]) + "\"} " +
                       std::to_string(s.cumulative[i]) + "\n";
            out += name + "_bucket{le=\"+Inf\"} " + std::to_string(s.cumulative.back()) + "\n";
            out += name + "_sum " + number(s.sum) + "\n";
            out += name + "_count " + std::to_string(s.count) + "\n";
        } else if (e.gauge) {
            out += "# TYPE " + name + (e.read_counter ? " counter\n" : " gauge\n");
            out += name + " " + number(e.gauge()) + "\n";
        }
    }
    return out;
}

std::vector<double> latency_buckets() {
    std::vector<double> b;
    for (double v = 0.001; v < 70; v *= 2)
        b.push_back(v);
    return b;
}

}  // namespace hc::node
