// The exposition writer and the concurrent histogram; see prometheus_text.hpp. Format:
// https://prometheus.io/docs/instrumenting/exposition_formats/ (text format 0.0.4).
#include "proxy/prometheus_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace pgrelay::proxy {
namespace {

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Metric names allow ':', label names do not; neither may start with a digit.
std::string sanitized(std::string_view name, bool colon_ok) {
    std::string out;
    out.reserve(name.size() + 1);
    for (char c : name) {
        const bool ok = is_alpha(c) || is_digit(c) || (colon_ok && c == ':');
        out += ok ? c : '_';
    }
    if (out.empty() || is_digit(out.front())) out.insert(out.begin(), '_');
    return out;
}

std::string family_name(const metric_family& f) {
    std::string name = sanitized(f.name, true);
    constexpr std::string_view total = "_total";
    if (f.type == metric_type::counter &&
        (name.size() < total.size() ||
         name.compare(name.size() - total.size(), total.size(), total) != 0)) {
        name += total;
    }
    return name;
}

void append_help(std::string& out, std::string_view help) {
    for (char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
}

void append_label_value(std::string& out, std::string_view v) {
    for (char c : v) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
}

void append_number(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
    } else if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
    } else if (v == std::trunc(v) && std::fabs(v) < 1e15) {
        // Whole numbers (counts, bytes) as integers: "1000000", not "1e+06".
        out += std::to_string(static_cast<std::int64_t>(v));
    } else {
        // Shortest exact digits in %g style, as Go's strconv 'g' -1: "0.0005", "1e-09".
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
        out.append(buf, ec == std::errc{} ? end : buf);
    }
}

// The labels of one sample, sanitized and deduplicated, plus an optional trailing `le`.
void append_labels(std::string& out, const std::vector<metric_label>& labels, bool histogram,
                   std::string_view le = {}) {
    std::vector<std::string> names;
    bool any = false;
    for (const auto& [raw_name, value] : labels) {
        std::string name = sanitized(raw_name, false);
        if (histogram && name == "le") continue;
        if (std::find(names.begin(), names.end(), name) != names.end()) continue;
        out += any ? ',' : '{';
        any = true;
        out += name;
        out += "=\"";
        append_label_value(out, value);
        out += '"';
        names.push_back(std::move(name));
    }
    if (!le.empty()) {
        out += any ? ',' : '{';
        any = true;
        out += "le=\"";
        out += le;
        out += '"';
    }
    if (any) out += '}';
}

void append_line(std::string& out, std::string_view name, std::string_view suffix,
                 const std::vector<metric_label>& labels, bool histogram, double value,
                 std::string_view le = {}) {
    out += name;
    out += suffix;
    append_labels(out, labels, histogram, le);
    out += ' ';
    append_number(out, value);
    out += '\n';
}

std::string_view type_name(metric_type t) {
    switch (t) {
        case metric_type::counter:
            return "counter";
        case metric_type::gauge:
            return "gauge";
        case metric_type::histogram:
            return "histogram";
    }
    return "untyped";
}

void append_histogram(std::string& out, std::string_view name, const metric_sample& s) {
    const histogram_snapshot& h = s.histogram;
    std::uint64_t cumulative = 0;
    std::string le;
    for (std::size_t i = 0; i < h.bounds.size(); ++i) {
        if (i < h.bucket_counts.size()) cumulative += h.bucket_counts[i];
        le.clear();
        append_number(le, h.bounds[i]);
        append_line(out, name, "_bucket", s.labels, true, static_cast<double>(cumulative), le);
    }
    const std::uint64_t count = h.count();  // every bucket, also those past the bounds
    append_line(out, name, "_bucket", s.labels, true, static_cast<double>(count), "+Inf");
    append_line(out, name, "_sum", s.labels, true, h.sum);
    append_line(out, name, "_count", s.labels, true, static_cast<double>(count));
}

}  // namespace

std::uint64_t histogram_snapshot::count() const {
    std::uint64_t n = 0;
    for (auto c : bucket_counts) {
        n += c;
    }
    return n;
}

void write_prometheus(std::string& out, std::span<const metric_family> families) {
    for (const metric_family& f : families) {
        const std::string name = family_name(f);
        out += "# HELP ";
        out += name;
        out += ' ';
        append_help(out, f.help);
        out += "\n# TYPE ";
        out += name;
        out += ' ';
        out += type_name(f.type);
        out += '\n';
        for (const metric_sample& s : f.samples) {
            if (f.type == metric_type::histogram) {
                append_histogram(out, name, s);
            } else {
                append_line(out, name, "", s.labels, false, s.value);
            }
        }
    }
}

std::string write_prometheus(std::span<const metric_family> families) {
    std::string out;
    write_prometheus(out, families);
    return out;
}

std::vector<double> default_latency_bounds() {
    return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

histogram::histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
    std::erase_if(bounds_, [](double b) { return !std::isfinite(b); });
    std::sort(bounds_.begin(), bounds_.end());
    bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
    counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
}

void histogram::observe(double seconds) noexcept {
    if (std::isnan(seconds)) return;
    if (seconds < 0) seconds = 0;
    // The first bucket whose bound is >= seconds (le is inclusive); past the end: +Inf only.
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
    const auto index = static_cast<std::size_t>(it - bounds_.begin());
    counts_[index].fetch_add(1, std::memory_order_relaxed);
    // Microseconds, capped so the conversion stays defined (about 31 years per observation).
    constexpr double max_micros = 1e15;
    const double micros = std::min(seconds * 1e6, max_micros);
    sum_micros_.fetch_add(static_cast<std::uint64_t>(std::llround(micros)),
                          std::memory_order_relaxed);
}

void histogram::observe(std::chrono::nanoseconds d) noexcept {
    observe(std::chrono::duration<double>(d).count());
}

histogram_snapshot histogram::snapshot() const {
    histogram_snapshot s;
    s.bounds = bounds_;
    s.bucket_counts.reserve(bounds_.size() + 1);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        s.bucket_counts.push_back(counts_[i].load(std::memory_order_relaxed));
    }
    s.sum = static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
    return s;
}

}  // namespace pgrelay::proxy
