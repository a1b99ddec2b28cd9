#include "node/metrics.h"

#include <gtest/gtest.h>

namespace hc::node {
namespace {

TEST(Metrics, RendersCountersGaugesAndCumulativeHistogramBuckets) {
    Metrics m;
    Counter& txs = m.counter("hc_committed_transactions_total", "Committed transactions");
    Histogram& latency = m.histogram("hc_commit_latency_seconds", "Latency", {0.1, 1});
    double height = 3;
    m.gauge("hc_block_height", "Head", [&height] { return height; });
    uint64_t recoveries = 7;
    m.counter("hc_recoveries_total", "Kept elsewhere", [&recoveries] { return recoveries; });
    txs.add(5);
    txs.add();
    latency.observe(0.05);
    latency.observe(0.1);  // on a bound: counted in that bucket (le)
    latency.observe(0.5);
    latency.observe(7);
    height = 4;  // read at render time
    recoveries = 9;

    EXPECT_EQ(m.render(),
              "# HELP hc_block_height Head\n"
              "# TYPE hc_block_height gauge\n"
              "hc_block_height 4\n"
              "# HELP hc_commit_latency_seconds Latency\n"
              "# TYPE hc_commit_latency_seconds histogram\n"
              "hc_commit_latency_seconds_bucket{le=\"0.1\"} 2\n"
              "hc_commit_latency_seconds_bucket{le=\"1\"} 3\n"
              "hc_commit_latency_seconds_bucket{le=\"+Inf\"} 4\n"
              "hc_commit_latency_seconds_sum 7.65\n"
              "hc_commit_latency_seconds_count 4\n"
              "# HELP hc_committed_transactions_total Committed transactions\n"
              "# TYPE hc_committed_transactions_total counter\n"
              "hc_committed_transactions_total 6\n"
              "# HELP hc_recoveries_total Kept elsewhere\n"
              "# TYPE hc_recoveries_total counter\n"
              "hc_recoveries_total 9\n");
}

TEST(Metrics, LatencyBucketsDoubleFromAMillisecond) {
    const auto b = latency_buckets();
    ASSERT_GE(b.size(), 10u);
    EXPECT_DOUBLE_EQ(b.front(), 0.001);
    for (size_t i = 1; i < b.size(); ++i)
        EXPECT_DOUBLE_EQ(b[i], b[i - 1] * 2);
    EXPECT_GT(b.back(), 60.0);
}

}  // namespace
}  // namespace hc::node
