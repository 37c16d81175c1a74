#include "present/text_table.h"

#include <algorithm>

namespace tcpdoctor {

std::string TextTable::Render(bool with_header) const {
  std::vector<size_t> widths(columns_.size(), 0);
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (with_header) widths[c] = columns_[c].header.size();
    for (const auto& row : rows_) {
      if (c < row.size()) widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string out;
  const auto emit = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < columns_.size(); ++c) {
      const std::string& cell = c < cells.size() ? cells[c] : std::string();
      const std::string pad(widths[c] - cell.size(), ' ');
      if (c > 0) line += "  ";
      line += columns_[c].align == Align::kRight ? pad + cell : cell + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  if (with_header) {
    std::vector<std::string> headers;
    for (const auto& col : columns_) headers.push_back(col.header);
    emit(headers);
  }
  for (const auto& row : rows_) emit(row);
  return out;
}

}  // namespace tcpdoctor
