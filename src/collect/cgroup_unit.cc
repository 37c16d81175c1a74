#include "collect/cgroup_unit.h"

#include <array>
#include <cstddef>
#include <optional>

namespace tcpdoctor {
namespace {

constexpr size_t kShortId = 12;  // as `docker ps` shortens container ids

// A container id: hex, long enough to shorten. Docker, containerd, CRI-O and podman all use
// 64 hex digits; shorter ones are accepted since the label shows 12 anyway.
bool IsHexId(std::string_view s) {
  if (s.size() < kShortId) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string IdLabel(std::string_view kind, std::string_view id) {
  return std::string(kind) + ":" + std::string(id.substr(0, kShortId));
}

std::string_view WithoutSuffix(std::string_view s, std::string_view suffix) {
  if (s.ends_with(suffix)) s.remove_suffix(suffix.size());
  return s;
}

// Runtimes that name one cgroup per container "<prefix><id>", as a systemd scope or, with the
// cgroupfs driver, as a bare directory. Longer prefixes first: "crio-conmon-" before "crio-".
struct RuntimePrefix {
  std::string_view prefix;
  std::string_view kind;
};
constexpr std::array<RuntimePrefix, 7> kRuntimePrefixes = {{
    {"docker-", "docker"},
    {"cri-containerd-", "cri-containerd"},
    {"crio-conmon-", "crio-conmon"},
    {"crio-", "crio"},
    {"cri-o-", "crio"},
    {"libpod-conmon-", "podman-conmon"},  // podman's conmon, which watches the container
    {"libpod-", "podman"},
}};

// Walks the components of a cgroup path ("/a/b/c" -> "a", "b", "c"), skipping empty ones.
class PathComponents {
 public:
  explicit PathComponents(std::string_view path) : rest_(path) {}
  std::optional<std::string_view> Next() {
    while (rest_.starts_with('/')) rest_.remove_prefix(1);
    if (rest_.empty()) return std::nullopt;
    const size_t slash = rest_.find('/');
    const std::string_view component = rest_.substr(0, slash);
    rest_ = slash == std::string_view::npos ? std::string_view{} : rest_.substr(slash);
    return component;
  }

 private:
  std::string_view rest_;
};

// The outermost container in `path`, or "". Outermost, because a container running its own
// systemd has services inside it, and the operator of this host wants the container.
std::string ContainerOf(std::string_view path) {
  PathComponents components(path);
  std::string_view previous;
  bool under_kubepods = false;
  while (auto c = components.Next()) {
    const std::string_view base = WithoutSuffix(*c, ".scope");
    for (const RuntimePrefix& runtime : kRuntimePrefixes) {
      if (!base.starts_with(runtime.prefix)) continue;
      const std::string_view id = base.substr(runtime.prefix.size());
      if (IsHexId(id)) return IdLabel(runtime.kind, id);
      break;  // "docker-compose@x.service" is a service, not a container
    }
    if (c->starts_with("lxc.payload.") && c->size() > 12)
      return "lxc:" + std::string(c->substr(12));
    if (previous == "lxc") return "lxc:" + std::string(*c);
    if (previous == "docker" && IsHexId(*c)) return IdLabel("docker", *c);
    // The cgroupfs driver: /kubepods/<qos>/pod<uid>/<id>, which names no runtime.
    if (under_kubepods && IsHexId(*c)) return IdLabel("kubepods", *c);
    if (*c == "kubepods") under_kubepods = true;
    previous = *c;
  }
  return "";
}

// The innermost systemd unit that holds processes (a service or a scope), or "". An
// init.scope inside a service is that service's own manager (user@1000.service/init.scope is
// the user's systemd), so it names the service.
std::string SystemdUnitOf(std::string_view path) {
  PathComponents components(path);
  std::string_view unit;
  while (auto c = components.Next()) {
    const bool own_manager = *c == "init.scope" && unit.ends_with(".service");
    if (c->ends_with(".service") || (c->ends_with(".scope") && !own_manager)) unit = *c;
  }
  return std::string(unit);
}

std::string LabelOf(std::string_view path) {
  // v2 marks a cgroup removed while a zombie was still in it.
  path = WithoutSuffix(path, " (deleted)");
  std::string label = ContainerOf(path);
  return label.empty() ? SystemdUnitOf(path) : label;
}

// Whether the comma-separated v1 controller list holds `name`: "cpu,cpuacct" holds "cpu".
bool HasController(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (list.substr(0, comma) == name) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// The hierarchies to look at, most telling first; the index is the preference.
constexpr std::array<std::string_view, 4> kV1Controllers = {"name=systemd", "pids", "memory",
                                                            "cpu"};
constexpr size_t kRanks = 1 + kV1Controllers.size();

// The rank of a line's hierarchy ("0", "" is v2), or kRanks when it is not one to look at.
size_t RankOf(std::string_view id, std::string_view controllers) {
  if (id == "0" && controllers.empty()) return 0;
  for (size_t i = 0; i < kV1Controllers.size(); ++i) {
    if (HasController(controllers, kV1Controllers[i])) return 1 + i;
  }
  return kRanks;
}

}  // namespace

std::string UnitFromCgroup(std::string_view cgroup_file) {
  std::array<std::optional<std::string_view>, kRanks> paths;
  std::string_view rest = cgroup_file;
  while (!rest.empty()) {
    const size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    line = WithoutSuffix(line, "\r");
    // "ID:CONTROLLERS:PATH"; the path may itself hold colons.
    const size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    const size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const size_t rank = RankOf(line.substr(0, first), line.substr(first + 1, second - first - 1));
    if (rank < kRanks && !paths[rank]) paths[rank] = line.substr(second + 1);
  }
  for (const auto& path : paths) {
    if (!path) continue;
    std::string label = LabelOf(*path);
    if (!label.empty()) return label;
  }
  return "";
}

}  // namespace tcpdoctor
