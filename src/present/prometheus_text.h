// A writer for the Prometheus text exposition format 0.0.4: metric families (name, HELP, TYPE)
// and their samples. General: it knows nothing of tcpdoctor's metrics. Each family's HELP and
// TYPE are written once, its samples together, whichever order they were added in; a family
// without samples is not written (Prometheus reads a lone HELP/TYPE as a metric with no data).
#pragma once

#include <concepts>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace tcpdoctor {

enum class MetricType : uint8_t { kGauge, kCounter };

// A sample's value. Integers are written exactly, every digit past 2^53 included; doubles that
// are whole numbers (within int64) as integers, others in the shortest form that reads back as
// the same double; NaN, +Inf and -Inf as Prometheus spells them.
class MetricValue {
 public:
  template <std::integral T>
  requires(!std::same_as<T, bool>)
      MetricValue(T v) {  // NOLINT(google-explicit-constructor): a value is a number
    if constexpr (std::is_signed_v<T>) {
      value_ = static_cast<int64_t>(v);
    } else {
      value_ = static_cast<uint64_t>(v);
    }
  }
  MetricValue(double v) : value_(v) {}  // NOLINT(google-explicit-constructor)

  void AppendTo(std::string& out) const;
  std::string ToString() const;

 private:
  std::variant<uint64_t, int64_t, double> value_;
};

struct Label {
  std::string_view name;
  std::string_view value;
};

class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, MetricType type);

  // Appends a sample. Labels are written in the order given; values are escaped (and bytes that
  // are not UTF-8 replaced by U+FFFD, which Prometheus requires). The caller keeps label sets
  // unique within the family: Prometheus rejects a scrape with a repeated series.
  void Add(std::span<const Label> labels, MetricValue value);
  void Add(std::initializer_list<Label> labels, MetricValue value) {
    Add(std::span<const Label>(labels.begin(), labels.size()), value);
  }

  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }
  size_t size() const { return samples_; }
  // "# HELP", "# TYPE" and the samples; nothing when there is no sample.
  void AppendTo(std::string& out) const;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::string body_;  // the sample lines, written as they are added
  size_t samples_ = 0;
};

class PrometheusText {
 public:
  // The family `name`, declared with `help` and `type` on the first call; later calls return the
  // same family (they must agree on help and type). The reference stays valid as long as this
  // object. Families are written in the order of their first declaration.
  MetricFamily& Family(std::string_view name, std::string_view help, MetricType type);

  std::string Render() const;

 private:
  std::deque<MetricFamily> families_;  // a deque: Family() hands out stable references
};

// Names as the exposition format allows them: a metric [a-zA-Z_:][a-zA-Z0-9_:]*, a label
// [a-zA-Z_][a-zA-Z0-9_]* not starting with "__" (reserved for Prometheus itself). The writer
// asserts them in debug builds; tests check rendered output with them.
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

// `value` as it goes between a label's double quotes: \ " and newline escaped, bytes that are not
// UTF-8 replaced by U+FFFD.
std::string EscapeLabelValue(std::string_view value);
// `text` as it goes after "# HELP name ": \ and newline escaped.
std::string EscapeHelp(std::string_view text);

}  // namespace tcpdoctor
