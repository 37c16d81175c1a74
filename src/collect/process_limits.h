// The "Max open files" limit of a process, from its /proc/PID/limits. Pure: the caller reads the
// file.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/result.h"
#include "model/process_info.h"

namespace tcpdoctor {

// RLIMIT_NOFILE; either may be kUnlimited.
struct NofileLimits {
  uint64_t soft = 0;
  uint64_t hard = 0;
};

// `text` is the whole of /proc/PID/limits, a table the kernel prints as
//   Limit                     Soft Limit           Hard Limit           Units
//   Max open files            1024                 524288               files
// with "unlimited" for RLIM_INFINITY (-> kUnlimited). `source` names the file in errors
// (e.g. "/proc/42/limits") and is the error's context. No "Max open files" line, or one
// without two limits, is a kParse error that quotes the line.
Result<NofileLimits> ParseNofileLimits(std::string_view source, std::string_view text);

}  // namespace tcpdoctor
