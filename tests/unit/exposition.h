// A reader of the Prometheus text format for tests: HELP and TYPE lines (counted, to catch a
// family declared twice), and samples with their labels unescaped, so that tests assert values
// by labels rather than by searching text. Malformed lines fail the test.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace tcpdoctor::test_util {

struct ExpoSample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;  // as written
  size_t line = 0;
};

struct Exposition {
  std::map<std::string, std::string> help;  // family -> HELP text (escaped as written)
  std::map<std::string, std::string> type;
  std::map<std::string, int> help_lines;  // how many HELP lines each family has
  std::map<std::string, int> type_lines;
  std::map<std::string, size_t> type_line;  // where its TYPE line is
  std::vector<ExpoSample> samples;

  // The samples of `name` whose labels include every pair of `match`.
  std::vector<const ExpoSample*> Find(const std::string& name,
                                      const std::map<std::string, std::string>& match = {}) const {
    std::vector<const ExpoSample*> found;
    for (const ExpoSample& s : samples) {
      if (s.name != name) continue;
      bool all = true;
      for (const auto& [k, v] : match) {
        auto it = s.labels.find(k);
        all = all && it != s.labels.end() && it->second == v;
      }
      if (all) found.push_back(&s);
    }
    return found;
  }
  // The value of the one sample of `name` with exactly `labels`; nullopt when there is none.
  std::optional<std::string> Value(const std::string& name,
                                   const std::map<std::string, std::string>& labels) const {
    std::optional<std::string> value;
    for (const ExpoSample& s : samples) {
      if (s.name != name || s.labels != labels) continue;
      EXPECT_FALSE(value.has_value()) << "series repeated: " << name;
      value = s.value;
    }
    return value;
  }
  // The sum of the values of the samples Find() returns.
  double Sum(const std::string& name, const std::map<std::string, std::string>& match = {}) const {
    double sum = 0;
    for (const ExpoSample* s : Find(name, match)) sum += std::stod(s->value);
    return sum;
  }
};

// Reads a label value up to its closing quote, unescaping \\ \" \n; advances `i` past it.
inline std::string ReadLabelValue(const std::string& line, size_t& i) {
  std::string value;
  while (i < line.size() && line[i] != '"') {
    if (line[i] == '\\' && i + 1 < line.size()) {
      const char next = line[++i];
      value += next == 'n' ? '\n' : next;
      EXPECT_TRUE(next == 'n' || next == '\\' || next == '"') << "bad escape in: " << line;
    } else {
      value += line[i];
    }
    ++i;
  }
  EXPECT_LT(i, line.size()) << "unterminated label value: " << line;
  ++i;
  return value;
}

inline ExpoSample ParseSampleLine(const std::string& line) {
  ExpoSample s;
  size_t i = line.find_first_of("{ ");
  s.name = line.substr(0, i);
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const size_t eq = line.find("=\"", i);
      if (eq == std::string::npos) break;
      const std::string key = line.substr(i, eq - i);
      i = eq + 2;
      const std::string value = ReadLabelValue(line, i);
      EXPECT_TRUE(s.labels.emplace(key, value).second) << "label twice: " << line;
      if (i < line.size() && line[i] == ',') ++i;
    }
    EXPECT_LT(i, line.size()) << "no closing brace: " << line;
    ++i;
  }
  EXPECT_TRUE(i < line.size() && line[i] == ' ') << "no value: " << line;
  s.value = i < line.size() ? line.substr(i + 1) : "";
  EXPECT_EQ(s.value.find(' '), std::string::npos) << "more than a value: " << line;
  return s;
}

inline Exposition ParseExposition(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const size_t name_end = line.find(' ', 7);
      const std::string name = line.substr(7, name_end - 7);
      const std::string rest = name_end == std::string::npos ? "" : line.substr(name_end + 1);
      if (line[2] == 'H') {
        ++e.help_lines[name];
        e.help[name] = rest;
      } else {
        ++e.type_lines[name];
        e.type[name] = rest;
        e.type_line[name] = number;
      }
      continue;
    }
    EXPECT_FALSE(line.empty() || line[0] == '#') << "line " << number << ": " << line;
    ExpoSample s = ParseSampleLine(line);
    s.line = number;
    e.samples.push_back(std::move(s));
  }
  return e;
}

}  // namespace tcpdoctor::test_util
