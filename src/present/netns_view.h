// How a network namespace is named in --all-netns output.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "model/netns_entry.h"

namespace tcpdoctor {

// {"label", "inode", "name", "pid", "comm", "unit", "current"}; empty fields are left out.
nlohmann::ordered_json NetnsJson(const std::string& label, const NetnsEntry& entry);

// "== netns blue ==" and its variants, the heading of one namespace's section.
std::string NetnsHeading(const std::string& label);

}  // namespace tcpdoctor
