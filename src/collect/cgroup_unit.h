// Names the container or systemd unit a process runs in, from its /proc/PID/cgroup. Pure: the
// caller reads the file.
#pragma once

#include <string>
#include <string_view>

namespace tcpdoctor {

// `cgroup_file` is the text of /proc/PID/cgroup: cgroup v2 "0::/path" and v1
// "N:controllers:/path" lines. The v2 line is looked at first, then the v1 lines of
// name=systemd, pids, memory and cpu, in that order; the first path that names something wins
// (a hybrid host can show "0::/" beside "4:memory:/docker/<id>"). A path names, outermost
// container first, else its innermost systemd unit:
//   .../docker-<id>.scope, /docker/<id>           -> "docker:<first 12 hex of id>"
//   .../cri-containerd-<id>.scope                 -> "cri-containerd:<12 hex>"
//   .../crio-<id>.scope (also cri-o-<id>.scope)   -> "crio:<12 hex>"
//   /kubepods/<qos>/pod<uid>/<id> (cgroupfs)      -> "kubepods:<12 hex>"
//   .../libpod-<id>.scope, libpod-conmon-<id>...  -> "podman:<12 hex>", "podman-conmon:<12 hex>"
//   /lxc.payload.NAME/..., /lxc/NAME/...          -> "lxc:NAME"
//   .../user@1000.service/app.slice/foo.service   -> "foo.service": the innermost unit that
//   /user.slice/user-1000.slice/session-3.scope   -> "session-3.scope"   holds processes, a
//   /init.scope                                   -> "init.scope"        service or a scope
//   .../user@1000.service/init.scope              -> "user@1000.service" (its own manager)
// The root "/", an unknown layout or malformed text give "". Never fails.
std::string UnitFromCgroup(std::string_view cgroup_file);

}  // namespace tcpdoctor
