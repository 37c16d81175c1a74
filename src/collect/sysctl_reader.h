// Reads the settings of model/sysctls.h from /proc/sys. The parsers are pure and take the
// key only to name it in errors; ReadSysctls only fetches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/proc_fs.h"
#include "core/result.h"
#include "model/sysctls.h"

namespace tcpdoctor {

// "net.core.somaxconn" -> "sys/net/core/somaxconn", relative to the proc root.
std::string SysctlPath(std::string_view key);

// The keys ReadSysctls reads, in its order, e.g. "net.ipv4.tcp_mem", "fs.file-nr".
std::vector<std::string_view> SysctlKeys();

// Parsers for a sysctl file's text (surrounding whitespace and the newline are ignored). Each
// failure is a kParse error whose message names `key` and shows the text, context = key.
// One decimal integer: "4096\n".
Result<int64_t> ParseSysctlInt(std::string_view key, std::string_view text);
// Exactly `count` integers separated by tabs or spaces: tcp_mem "287901\t383869\t575802".
Result<std::vector<int64_t>> ParseSysctlInts(std::string_view key, std::string_view text,
                                             size_t count);
// ip_local_port_range "32768\t60999": two ports, first <= last.
Result<PortRange> ParsePortRange(std::string_view key, std::string_view text);
// A port list as ip_local_reserved_ports prints it: "8080,9000-9010"; empty text is no ports.
Result<PortSet> ParsePortList(std::string_view key, std::string_view text);

// Parses `text` as the value of `key` (one of SysctlKeys()) into its field of `out`. An
// unknown key is kInvalidArgument.
Status ApplySysctl(std::string_view key, std::string_view text, Sysctls& out);

// Every key of SysctlKeys() under proc's root. A key with no file is recorded in `missing`
// and left nullopt: not on this kernel, or global and so absent in a child netns. Any other
// read failure (EACCES, a directory in the way) is returned with the file's path, and so is a
// malformed value (kParse, naming the key).
Result<Sysctls> ReadSysctls(const ProcFs& proc);

}  // namespace tcpdoctor
