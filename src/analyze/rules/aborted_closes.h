// Rule aborted-closes: Connections reset at close: data thrown away (SO_LINGER 0, unread data).
#pragma once

#include "analyze/rule.h"

namespace tcpdoctor {

Rule AbortedClosesRule();

}  // namespace tcpdoctor
