// The seam to /proc: every read of a proc file goes through here, so tests can root it at a
// fixture tree (and `--proc-root` can point at a saved copy of another host's /proc).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tcpdoctor {

class ProcFs {
 public:
  explicit ProcFs(std::string root = "/proc") : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  // root + "/" + relative, e.g. Path("net/tcp") == "/proc/net/tcp".
  std::string Path(std::string_view relative) const;

  // The whole file; for small files (sysctls, limits, sockstat).
  Result<std::string> ReadFile(std::string_view relative) const;

  // Streams a large file line by line (without the newline), holding one buffer, not the file:
  // /proc/net/tcp at a million sockets is ~150 MB. `on_line` returns false to stop early.
  Status ForEachLine(std::string_view relative,
                     const std::function<bool(std::string_view)>& on_line) const;

 private:
  std::string root_;
};

}  // namespace tcpdoctor
