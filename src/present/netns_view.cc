#include "present/netns_view.h"

namespace tcpdoctor {

nlohmann::ordered_json NetnsJson(const std::string& label, const NetnsEntry& entry) {
  nlohmann::ordered_json out = {{"label", label}};
  if (entry.inode != 0) out["inode"] = entry.inode;
  if (!entry.name.empty()) out["name"] = entry.name;
  if (entry.pid != 0) out["pid"] = entry.pid;
  if (!entry.comm.empty()) out["comm"] = entry.comm;
  if (!entry.unit.empty()) out["unit"] = entry.unit;
  out["current"] = entry.current;
  return out;
}

std::string NetnsHeading(const std::string& label) { return "== netns " + label + " ==\n"; }

}  // namespace tcpdoctor
