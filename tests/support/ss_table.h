// `ss -tan` run in the current namespace, parsed into sockets: the reference tcpdoctor is
// compared with.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "support/socket_tuple.h"

namespace tcpdoctor::itest {

struct SsResult {
  std::vector<SocketTuple> rows;
  std::string error;  // empty when ss ran and every row parsed
};

// Runs `ss -tan ARGS...`. ss leaves out the State column when its filter names one state; the
// rows then get `implied`.
SsResult RunSs(const std::vector<std::string>& args = {},
               std::optional<State> implied = std::nullopt);

}  // namespace tcpdoctor::itest
