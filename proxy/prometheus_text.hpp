// Prometheus text exposition format 0.0.4 (the /metrics body): metric families of counters,
// gauges and histograms with labelled samples, and a histogram many threads observe into with
// relaxed atomics. The writer is correct by construction: names are sanitized, counters end in
// _total, label values and help text escaped, histogram buckets cumulative up to +Inf. Pure.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgrelay::proxy {

// The Content-Type of the body write_prometheus produces.
inline constexpr std::string_view prometheus_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

enum class metric_type : std::uint8_t { counter, gauge, histogram };

// (name, value). Names are sanitized to [a-zA-Z_][a-zA-Z0-9_]*; in a histogram a label named
// "le" is dropped (the writer adds its own), and so is a repeated name (the first one counts).
using metric_label = std::pair<std::string, std::string>;

// A histogram's state at one instant: `bucket_counts[i]` observations fell in
// (bounds[i-1], bounds[i]] (not cumulative), the last one above every bound; so
// bucket_counts.size() == bounds.size() + 1. Bounds are finite and ascending.
struct histogram_snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> bucket_counts;
    double sum = 0;  // of all observations, in seconds

    [[nodiscard]] std::uint64_t count() const;
};

struct metric_sample {
    std::vector<metric_label> labels;
    double value = 0;              // counters and gauges
    histogram_snapshot histogram;  // histograms
};

struct metric_family {
    // [a-zA-Z_:][a-zA-Z0-9_:]*, "pgrelay_..." by convention, other characters become '_'.
    // A counter's name gets "_total" appended unless it ends so; a histogram's should name its
    // unit ("..._seconds").
    std::string name;
    std::string help;  // one line; a backslash or newline in it is escaped
    metric_type type = metric_type::gauge;
    std::vector<metric_sample> samples;  // written in this order
};

// Appends the exposition text of `families`, in the order given: for each, # HELP and # TYPE
// lines, then its samples; histograms as _bucket{le=...} (cumulative, +Inf last), _sum and
// _count lines. Values in Go float syntax (+Inf, -Inf, NaN).
void write_prometheus(std::string& out, std::span<const metric_family> families);
[[nodiscard]] std::string write_prometheus(std::span<const metric_family> families);

// Bucket upper bounds for request latencies, in seconds: 0.5 ms .. 10 s.
[[nodiscard]] std::vector<double> default_latency_bounds();

// A latency histogram shared by worker threads: observe() is wait-free (relaxed atomic adds,
// one per bucket count and one for the sum in whole microseconds); snapshot() reads each
// atomic once, so a snapshot taken during observations may be off by those in flight.
class histogram {
  public:
    // Bounds in seconds; sorted, with duplicates and non-finite values dropped.
    explicit histogram(std::vector<double> bounds);
    histogram(const histogram&) = delete;
    histogram& operator=(const histogram&) = delete;

    // A negative duration counts as 0; NaN is ignored.
    void observe(double seconds) noexcept;
    void observe(std::chrono::nanoseconds d) noexcept;

    [[nodiscard]] histogram_snapshot snapshot() const;
    [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }

  private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1
    std::atomic<std::uint64_t> sum_micros_{0};
};

}  // namespace pgrelay::proxy
