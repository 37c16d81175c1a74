// Non-fatal conditions the user should hear about once (slow path in use, dump inconsistent,
// processes not readable). The library reports them here; cli/ decides where they go.
#pragma once

#include <functional>
#include <string>

namespace tcpdoctor {

using WarningSink = std::function<void(const std::string&)>;

}  // namespace tcpdoctor
