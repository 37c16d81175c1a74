// Rule port-exhaustion: A destination using up the ephemeral port range.
#pragma once

#include "analyze/rule.h"

namespace tcpdoctor {

Rule PortExhaustionRule();

}  // namespace tcpdoctor
