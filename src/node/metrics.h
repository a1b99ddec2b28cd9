// Prometheus metrics of a node, served as text at GET /metrics on the RPC port.
//
// A small registry: counters and histograms the node updates as things happen, and gauges read
// when scraped (chain height, pool size, peers), so a value is never stale and nothing has to
// push it. Thread-safe: updates are atomic or under the histogram's lock; render() may run on
// any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hc::node {

class Counter {
  public:
    void add(uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<uint64_t> value_{0};
};

// Observations counted into buckets with the given upper bounds (an implicit +Inf bucket last).
class Histogram {
  public:
    // REQUIRES: bounds strictly increasing.
    explicit Histogram(std::vector<double> bounds);
    void observe(double value);

    struct Snapshot {
        std::vector<double> bounds;
        std::vector<uint64_t> cumulative;  // per bound, then +Inf
        double sum = 0;
        uint64_t count = 0;
    };
    Snapshot snapshot() const;

  private:
    mutable std::mutex mu_;
    std::vector<double> bounds_;
    std::vector<uint64_t> counts_;  // per bucket, not cumulative; last is +Inf
    double sum_ = 0;
    uint64_t count_ = 0;
};

class Metrics {
  public:
    // Registration happens while the node is set up, before render() runs concurrently.
    // Names follow Prometheus conventions (hc_ prefix, _total for counters, base units).
    Counter& counter(const std::string& name, const std::string& help);
    Histogram& histogram(const std::string& name, const std::string& help,
                         std::vector<double> bounds);
    void gauge(const std::string& name, const std::string& help, std::function<double()> read);
    // A counter kept elsewhere (it only grows), read when rendered.
    void counter(const std::string& name, const std::string& help, std::function<double()> read);

    // The Prometheus text exposition format (version 0.0.4), metrics in name order.
    std::string render() const;

  private:
    struct Entry {
        std::string help;
        std::unique_ptr<Counter> counter;
        std::unique_ptr<Histogram> histogram;
        std::function<double()> gauge;  // or a counter read from elsewhere, with read_counter
        bool read_counter = false;
    };
    std::map<std::string, Entry> entries_;
};

// Bucket bounds in seconds from 1 ms to about 65 s, doubling: commit latencies on a LAN network
// sit in the first half, and a stalled network still lands in a finite bucket.
std::vector<double> latency_buckets();

}  // namespace hc::node
