// Aligned plain-text tables: a header row, then rows; numbers right-aligned.
#pragma once

#include <string>
#include <vector>

namespace tcpdoctor {

class TextTable {
 public:
  enum class Align { kLeft, kRight };

  void AddColumn(std::string header, Align align) {
    columns_.push_back({std::move(header), align});
  }
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // Two spaces between columns; no trailing spaces.
  std::string Render(bool with_header = true) const;

 private:
  struct Column {
    std::string header;
    Align align;
  };
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace tcpdoctor
