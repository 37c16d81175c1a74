// One factory per command; the table in app.cc lists them.
#pragma once

#include "cli/command.h"

namespace tcpdoctor {

Command CheckupCommand();
Command StatesCommand();
Command TopCommand();
Command CountersCommand();
Command ListenersCommand();
Command PortsCommand();
Command ProcsCommand();
Command ExplainCommand();
Command ServeCommand();
Command LabCommand();

}  // namespace tcpdoctor
