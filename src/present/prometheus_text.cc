#include "present/prometheus_text.h"

#include <cassert>
#include <charconv>
#include <cmath>

namespace tcpdoctor {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong
// forms, no surrogates, nothing past U+10FFFF), or 0 when it is not one.
size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = byte(0);
  if (c < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80;  // the range of the second byte
  unsigned char high = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0) low = 0xA0;   // overlong
    if (c == 0xED) high = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0) low = 0x90;   // overlong
    if (c == 0xF4) high = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (!IsContinuation(byte(i))) return 0;
  }
  return length;
}

// Appends `text` with `escape_quote` deciding whether '"' is escaped (label values) or not
// (HELP); backslash and newline always are.
void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      const size_t length = Utf8SequenceLength(text.substr(i));
      if (length == 0) {
        out += kReplacement;
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    ++i;
  }
}

template <typename T>
void AppendChars(std::string& out, T value) {
  char buf[32];  // enough for any int64, uint64 and the shortest form of any double
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  assert(ec == std::errc());
  (void)ec;
  out.append(buf, end);
}

std::string_view TypeName(MetricType type) {
  return type == MetricType::kCounter ? "counter" : "gauge";
}

}  // namespace

void MetricValue::AppendTo(std::string& out) const {
  if (const auto* u = std::get_if<uint64_t>(&value_)) return AppendChars(out, *u);
  if (const auto* i = std::get_if<int64_t>(&value_)) return AppendChars(out, *i);
  const double d = std::get<double>(value_);
  if (std::isnan(d)) {
    out += "NaN";
  } else if (std::isinf(d)) {
    out += d > 0 ? "+Inf" : "-Inf";
  } else if (std::trunc(d) == d && std::fabs(d) < 9.2e18) {
    // A whole number: as an integer, not "1e+06" (-0 becomes 0). 9.2e18 < 2^63 keeps the cast
    // defined.
    AppendChars(out, static_cast<int64_t>(d));
  } else {
    AppendChars(out, d);
  }
}

std::string MetricValue::ToString() const {
  std::string out;
  AppendTo(out);
  return out;
}

MetricFamily::MetricFamily(std::string name, std::string help, MetricType type)
    : name_(std::move(name)), help_(std::move(help)), type_(type) {
  assert(IsValidMetricName(name_));
}

void MetricFamily::Add(std::span<const Label> labels, MetricValue value) {
  body_ += name_;
  if (!labels.empty()) {
    body_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      assert(IsValidLabelName(labels[i].name));
      if (i > 0) body_ += ',';
      body_ += labels[i].name;
      body_ += "=\"";
      AppendEscaped(body_, labels[i].value, true);
      body_ += '"';
    }
    body_ += '}';
  }
  body_ += ' ';
  value.AppendTo(body_);
  body_ += '\n';
  ++samples_;
}

void MetricFamily::AppendTo(std::string& out) const {
  if (samples_ == 0) return;
  out += "# HELP ";
  out += name_;
  out += ' ';
  AppendEscaped(out, help_, false);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += TypeName(type_);
  out += '\n';
  out += body_;
}

MetricFamily& PrometheusText::Family(std::string_view name, std::string_view help,
                                     MetricType type) {
  for (MetricFamily& f : families_) {
    if (f.name() == name) {
      assert(f.type() == type);
      return f;
    }
  }
  return families_.emplace_back(std::string(name), std::string(help), type);
}

std::string PrometheusText::Render() const {
  std::string out;
  for (const MetricFamily& f : families_) f.AppendTo(out);
  return out;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  return IsValidMetricName(name) && name.find(':') == std::string_view::npos &&
         !name.starts_with("__");
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  AppendEscaped(out, value, true);
  return out;
}

std::string EscapeHelp(std::string_view text) {
  std::string out;
  AppendEscaped(out, text, false);
  return out;
}

}  // namespace tcpdoctor
