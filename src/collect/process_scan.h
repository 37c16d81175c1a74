// Which processes hold which sockets, found as `ss -p` finds them: by reading the link of every
// /proc/PID/fd entry. Then, for the few processes a command shows, their details.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/proc_fs.h"
#include "core/result.h"
#include "model/process_info.h"
#include "model/socket_owners.h"

namespace tcpdoctor {

// Walks every process listed under proc.root() (threads are not listed there) and every entry
// of its fd directory; an fd whose link reads "socket:[INODE]" makes the process a holder of
// INODE. Only processes holding at least one socket are added, in ascending pid order, with
// pid, comm, uid (the owner of /proc/PID: the effective uid, but root for a non-dumpable
// process) and open_fds (every entry of its fd directory; for the scanning process itself that
// includes the directories its scan threads hold open). Processes are shared out between up to
// 4 threads. The result is Finish()ed.
//
// A process whose fd directory or fd links cannot be read (another user's, without root:
// EACCES; or one with capabilities the scanner lacks, even as root) is counted in `unreadable`
// and not added; with hidepid=2 other users' processes are not even listed, nor counted. One that
// exits during the scan (ENOENT, ESRCH) is counted in `vanished`. Neither is an error: only failing
// to list proc.root() itself is.
Result<SocketOwners> ScanSocketOwners(const ProcFs& proc);

// How much of a command line ReadProcessDetails keeps.
inline constexpr size_t kMaxCmdlineBytes = 120;

// The text of /proc/PID/cmdline (arguments, each ending in NUL) for display: the arguments
// joined by spaces, other control characters shown as '?', cut to kMaxCmdlineBytes (at a
// UTF-8 character boundary) followed by "...". An empty one (a kernel thread, a zombie) is
// "[comm]", as ps shows it.
std::string CmdlineText(std::string_view raw, std::string_view comm);

// Fills info's details from /proc/<info.pid> under proc.root(): cmdline (CmdlineText), user
// (the name of info.uid, or the number), unit (UnitFromCgroup) and nofile_soft/hard
// (nullopt if unreadable); sets details_read. Never fails: what cannot be read (the process
// has exited) is left empty. The pid may have been reused since the scan; that is not checked.
void ReadProcessDetails(const ProcFs& proc, ProcessInfo& info);

}  // namespace tcpdoctor
