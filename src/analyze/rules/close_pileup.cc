#include "analyze/rules/close_pileup.h"

namespace tcpdoctor {

// Not written yet: finds nothing.
Rule ClosePileupRule() {
  return Rule{
      "close-pileup",
      "FIN_WAIT2 / LAST_ACK piling up, orphans near tcp_max_orphans, TCP memory near pressure",
      {},
      [](const Snapshot&, const RuleSettings&) { return std::vector<Finding>{}; }};
}

}  // namespace tcpdoctor
