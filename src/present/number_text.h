// Numbers as text for tables: one printf-style conversion of a double.
#pragma once

#include <cstdio>
#include <string>

namespace tcpdoctor {

// FormatNumber(12.345, "%.1f") == "12.3".
inline std::string FormatNumber(double value, const char* format) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

}  // namespace tcpdoctor
