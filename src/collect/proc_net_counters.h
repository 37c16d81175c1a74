// The kernel's protocol counters and socket totals: /proc/net/netstat, /proc/net/snmp and
// /proc/net/sockstat{,6}. All four are per network namespace (sockstat's TCP orphan, alloc and
// mem are global), so read them through a ProcFs rooted in the target's namespace.
#pragma once

#include <string_view>

#include "core/proc_fs.h"
#include "core/result.h"
#include "model/counters.h"

namespace tcpdoctor {

// The "Section: name name ..." / "Section: value value ..." pairs of /proc/net/netstat and
// /proc/net/snmp. Every field is kept, known or not, in file order; a section may come in
// several pairs (IcmpMsg prints at most 16 types per pair). Values may be negative
// (Tcp MaxConn -1). Blank lines and trailing whitespace are ignored; empty text gives no
// counters. A kParse error, whose message names the section and whose context is "line N", for:
// a line without "Section:", a values line with no header before it, a header not followed by
// its values line, a name/value count mismatch, and a value that is not a decimal number.
Result<KernelCounters> ParseNetstatPairs(std::string_view text);

// /proc/net/sockstat or sockstat6: "PROTO: name value name value ...", every field kept in
// order (unknown ones too). A kParse error (context "line N") for a line without "PROTO:", a
// name without a value, or a value that is not an unsigned decimal.
Result<Sockstat> ParseSockstat(std::string_view text);

// net/netstat and net/snmp merged (netstat's sections first). One of them missing is not
// fatal: the counters of the other are returned and the missing path is listed in
// missing_files(). Both missing is kNotFound; any other read or parse failure is returned with
// the file's path (and line) as context.
Result<KernelCounters> ReadKernelCounters(const ProcFs& proc);

// net/sockstat, then net/sockstat6's lines. No sockstat6 means IPv6 is off (HasIpv6() is
// false), not an error; no sockstat is kNotFound.
Result<Sockstat> ReadSockstat(const ProcFs& proc);

}  // namespace tcpdoctor
