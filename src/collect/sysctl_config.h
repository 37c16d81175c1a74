// Reads what the admin asked the kernel for: /etc/sysctl.d/*.conf and friends, then
// /etc/sysctl.conf, in the order systemd-sysctl and `sysctl --system` apply them, with the comment
// above each setting so the sysctl audit can say what the admin believed a key does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/proc_fs.h"
#include "core/result.h"

namespace tcpdoctor {

struct SysctlSetting {
  std::string key;      // dotted, as `sysctl -a` prints it; globs kept: "net.ipv4.conf.*.rp_filter"
  std::string value;    // trimmed, otherwise as written
  std::string file;     // the path it was read from (with the root prefix)
  int line = 0;         // 1-based
  std::string comment;  // the comment lines directly above, without '#'/';', joined by spaces
  bool ignore_failure = false;  // written "-key = value": a failed write is not an error
};

// One file's settings, in file order, and the lines systemd would ignore with a warning, each as
// "file:line: message".
struct SysctlConfigFile {
  std::vector<SysctlSetting> settings;
  std::vector<std::string> problems;
};

// Every file's settings in application order (a later setting of a key overrides an earlier one)
// and the problems met: ignored lines, unreadable files.
struct SysctlConfig {
  std::vector<SysctlSetting> settings;
  std::vector<std::string> problems;

  // The setting that wins for `key` (either spelling), nullptr if none. Exact match only: a glob
  // setting such as "net.ipv4.conf.*.rp_filter" is not expanded.
  const SysctlSetting* Effective(std::string_view key) const;
};

// systemd's key spelling rule, towards dots: if the first separator is a slash, slashes and dots
// are swapped ("net/ipv4/conf/eth0.1/rp_filter" -> "net.ipv4.conf.eth0/1.rp_filter", the form
// `sysctl -a` prints), otherwise the key is kept.
std::string NormalizeSysctlKey(std::string_view key);

// Parses one file's text; `file` only labels the settings and problems. Never fails: as in
// systemd, a line that is not an assignment is reported in `problems` and skipped. A line "-key"
// without '=' (systemd's exclusion of a key from globs) sets nothing and is skipped silently.
SysctlConfigFile ParseSysctlConfig(std::string_view text, const std::string& file);

// Reads, under `root`: *.conf in /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d,
// /usr/lib/sysctl.d, /lib/sysctl.d (a name in an earlier directory masks it in later ones, e.g.
// with a link to /dev/null; the files apply in lexicographic order of name), then
// /etc/sysctl.conf, which procps applies last. Debian's /etc/sysctl.d/99-sysctl.conf link to
// ../sysctl.conf is skipped so its settings count once, in last place. Missing directories and
// files are fine; an unreadable file is a problem. Fails only when a directory exists but cannot
// be listed, since masking and order are then unknown.
Result<SysctlConfig> ReadSysctlConfig(const std::string& root = "/");

// Whether `key` (either spelling; a glob matches if any key does) exists under proc's sys/. Like
// systemd, dots separate path components and slashes stand for dots inside one, so a VLAN
// interface is "net.ipv4.conf.eth0/1.rp_filter"; the all-dots "net.ipv4.conf.eth0.1.rp_filter"
// names a path that does not exist (systemd would not find it either).
bool KeyExists(const ProcFs& proc, std::string_view key);

}  // namespace tcpdoctor
