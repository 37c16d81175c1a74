// Rule fd-exhaustion: A process near its nofile limit, or the host near fs.file-max.
#pragma once

#include "analyze/rule.h"

namespace tcpdoctor {

Rule FdExhaustionRule();

}  // namespace tcpdoctor
