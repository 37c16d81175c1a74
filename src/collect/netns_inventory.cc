#include "collect/netns_inventory.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "collect/cgroup_unit.h"

namespace tcpdoctor {
namespace {

constexpr long kNsfsMagic = 0x6e736673;  // NSFS_MAGIC: a live namespace file

bool IsPid(const char* name) {
  if (*name == '\0') return false;
  for (const char* c = name; *c != '\0'; ++c) {
    if (*c < '0' || *c > '9') return false;
  }
  return true;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<NetnsInventory> ListNetworkNamespaces(const ProcFs& proc, const std::string& run_netns) {
  NetnsInventory inventory;
  std::map<uint64_t, NetnsEntry> by_inode;

  struct stat self {};
  const uint64_t current =
      ::stat(proc.Path("self/ns/net").c_str(), &self) == 0 ? static_cast<uint64_t>(self.st_ino) : 0;

  if (DIR* dir = ::opendir(run_netns.c_str())) {
    while (const dirent* e = ::readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      const std::string path = run_netns + "/" + e->d_name;
      struct statfs fs {};
      struct stat st {};
      // A name whose mount is gone (the namespace was deleted uncleanly) is a plain file.
      if (::statfs(path.c_str(), &fs) != 0 || fs.f_type != kNsfsMagic) continue;
      if (::stat(path.c_str(), &st) != 0) continue;
      NetnsEntry& entry = by_inode[st.st_ino];
      if (entry.name.empty() || entry.name > e->d_name) {
        entry.name = e->d_name;
        entry.path = path;
      }
    }
    ::closedir(dir);
  }

  DIR* procdir = ::opendir(proc.root().c_str());
  if (procdir == nullptr) {
    return Error::FromErrno(errno, "cannot list processes", proc.root());
  }
  while (const dirent* e = ::readdir(procdir)) {
    if (!IsPid(e->d_name)) continue;
    const int32_t pid = std::stoi(e->d_name);
    struct stat st {};
    if (::stat(proc.Path(std::string(e->d_name) + "/ns/net").c_str(), &st) != 0) {
      if (errno == EACCES || errno == EPERM) ++inventory.unreadable;
      continue;  // ENOENT: exited, or a kernel thread without one
    }
    NetnsEntry& entry = by_inode[st.st_ino];
    if (entry.pid == 0 || pid < entry.pid) entry.pid = pid;
  }
  ::closedir(procdir);

  for (auto& [inode, entry] : by_inode) {
    entry.inode = inode;
    entry.current = inode == current;
    if (entry.pid != 0) {
      const std::string pid = std::to_string(entry.pid);
      if (auto comm = proc.ReadFile(pid + "/comm")) entry.comm = Trimmed(std::move(*comm));
      if (auto cgroup = proc.ReadFile(pid + "/cgroup")) entry.unit = UnitFromCgroup(*cgroup);
      if (entry.path.empty()) entry.path = proc.Path(pid + "/ns/net");
    }
    inventory.entries.push_back(std::move(entry));
  }
  std::sort(inventory.entries.begin(), inventory.entries.end(),
            [](const NetnsEntry& a, const NetnsEntry& b) {
              if (a.current != b.current) return a.current;
              if (a.name.empty() != b.name.empty()) return !a.name.empty();
              if (a.name != b.name) return a.name < b.name;
              return a.pid < b.pid;
            });
  return inventory;
}

std::string NetnsLabel(const NetnsEntry& entry) {
  if (!entry.name.empty()) return entry.name;
  if (entry.current) return "current";
  const std::string who = entry.comm.empty() ? "pid " + std::to_string(entry.pid)
                                             : entry.comm + ", pid " + std::to_string(entry.pid);
  if (!entry.unit.empty() && entry.unit.find(':') != std::string::npos) {
    return entry.unit + " (" + who + ")";  // a container
  }
  return entry.comm.empty() ? who : entry.comm + " (pid " + std::to_string(entry.pid) + ")";
}

}  // namespace tcpdoctor
