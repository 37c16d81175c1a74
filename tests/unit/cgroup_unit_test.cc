// UnitFromCgroup on /proc/PID/cgroup texts as hosts print them: cgroup v2, v1 and hybrid
// hosts, each container runtime with the systemd and the cgroupfs driver, systemd units, and
// text that is not a cgroup file at all.
#include "collect/cgroup_unit.h"

#include <gtest/gtest.h>

#include <string>

namespace tcpdoctor {
namespace {

constexpr char kId[] = "4c1e9b7a0d2f3e8c5b6a7d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c";

std::string V2(const std::string& path) { return "0::" + path + "\n"; }

// A v1 host's file (the order the kernel prints), every hierarchy at `path`.
std::string V1(const std::string& path) {
  return "12:rdma:/\n11:blkio:" + path + "\n10:devices:" + path + "\n9:pids:" + path +
         "\n8:memory:" + path + "\n7:cpu,cpuacct:" + path + "\n6:freezer:" + path +
         "\n5:net_cls,net_prio:" + path + "\n1:name=systemd:" + path + "\n0::/\n";
}

TEST(CgroupUnitTest, Docker) {
  EXPECT_EQ(UnitFromCgroup(V2("/system.slice/docker-" + std::string(kId) + ".scope")),
            "docker:4c1e9b7a0d2f");
  EXPECT_EQ(UnitFromCgroup(V1("/docker/" + std::string(kId))), "docker:4c1e9b7a0d2f");
  // dockerd itself is a service, and so is a unit whose name only begins like a container's.
  EXPECT_EQ(UnitFromCgroup(V2("/system.slice/docker.service")), "docker.service");
  EXPECT_EQ(UnitFromCgroup(V2("/system.slice/docker-compose@web.service")),
            "docker-compose@web.service");
  // Rootless docker, under the user's manager: the container, not user@1000.service.
  EXPECT_EQ(UnitFromCgroup(V2("/user.slice/user-1000.slice/user@1000.service/user.slice/docker-" +
                              std::string(kId) + ".scope")),
            "docker:4c1e9b7a0d2f");
}

TEST(CgroupUnitTest, Kubernetes) {
  const std::string pod =
      "/kubepods.slice/kubepods-burstable.slice/"
      "kubepods-burstable-pod6b1c2d3e_4f5a_6b7c_8d9e_0f1a2b3c4d5e.slice/";
  EXPECT_EQ(UnitFromCgroup(V2(pod + "cri-containerd-" + kId + ".scope")),
            "cri-containerd:4c1e9b7a0d2f");
  EXPECT_EQ(UnitFromCgroup(V2(pod + "crio-" + kId + ".scope")), "crio:4c1e9b7a0d2f");
  EXPECT_EQ(UnitFromCgroup(V2(pod + "cri-o-" + kId + ".scope")), "crio:4c1e9b7a0d2f");
  EXPECT_EQ(UnitFromCgroup(V2(pod + "crio-conmon-" + kId + ".scope")), "crio-conmon:4c1e9b7a0d2f");
  EXPECT_EQ(UnitFromCgroup(V2(pod + "docker-" + kId + ".scope")), "docker:4c1e9b7a0d2f");
  // The cgroupfs driver names no runtime; guaranteed pods have no QoS level.
  EXPECT_EQ(UnitFromCgroup(V1("/kubepods/besteffort/pod6b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e/" +
                              std::string(kId))),
            "kubepods:4c1e9b7a0d2f");
  EXPECT_EQ(
      UnitFromCgroup(V2("/kubepods/pod6b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e/" + std::string(kId))),
      "kubepods:4c1e9b7a0d2f");
  // The pod's own cgroup holds no process of a container.
  EXPECT_EQ(UnitFromCgroup(V2(pod)), "");
}

TEST(CgroupUnitTest, Podman) {
  EXPECT_EQ(UnitFromCgroup(V2("/machine.slice/libpod-" + std::string(kId) + ".scope")),
            "podman:4c1e9b7a0d2f");
  EXPECT_EQ(UnitFromCgroup(V2("/machine.slice/libpod-conmon-" + std::string(kId) + ".scope")),
            "podman-conmon:4c1e9b7a0d2f");
  // Rootless, with the container's own init below the scope.
  EXPECT_EQ(UnitFromCgroup(V2("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" +
                              std::string(kId) + ".scope/container")),
            "podman:4c1e9b7a0d2f");
  // --cgroup-manager=cgroupfs: no .scope.
  EXPECT_EQ(UnitFromCgroup(V1("/libpod_parent/libpod-" + std::string(kId))), "podman:4c1e9b7a0d2f");
}

TEST(CgroupUnitTest, Lxc) {
  EXPECT_EQ(UnitFromCgroup(V2("/lxc.payload.web1/system.slice/nginx.service")), "lxc:web1");
  EXPECT_EQ(UnitFromCgroup(V2("/lxc.payload.web1")), "lxc:web1");
  EXPECT_EQ(UnitFromCgroup(V1("/lxc/db-2")), "lxc:db-2");
  EXPECT_EQ(UnitFromCgroup(V1("/lxc/db-2/init.scope")), "lxc:db-2");
}

TEST(CgroupUnitTest, Systemd) {
  EXPECT_EQ(UnitFromCgroup(V2("/system.slice/nginx.service")), "nginx.service");
  EXPECT_EQ(UnitFromCgroup(V2("/user.slice/user-1000.slice/user@1000.service/app.slice/"
                              "foo.service")),
            "foo.service");
  EXPECT_EQ(UnitFromCgroup(V2("/user.slice/user-1000.slice/session-3.scope")), "session-3.scope");
  EXPECT_EQ(UnitFromCgroup(V2("/init.scope")), "init.scope");
  // The user's own systemd is its service's init.scope.
  EXPECT_EQ(UnitFromCgroup(V2("/user.slice/user-1000.slice/user@1000.service/init.scope")),
            "user@1000.service");
  // A service that delegates its subtree (Delegate=yes) names its children.
  EXPECT_EQ(UnitFromCgroup(V2("/system.slice/buildkitd.service/runner/job-7")),
            "buildkitd.service");
  EXPECT_EQ(UnitFromCgroup(V1("/system.slice/ssh.service")), "ssh.service");
  // A cgroup v2 removed while a zombie is still in it.
  EXPECT_EQ(UnitFromCgroup(V2("/system.slice/cron.service (deleted)")), "cron.service");
}

TEST(CgroupUnitTest, RootAndUnknown) {
  EXPECT_EQ(UnitFromCgroup(V2("/")), "");
  EXPECT_EQ(UnitFromCgroup(V1("/")), "");
  EXPECT_EQ(UnitFromCgroup(V2("/user.slice")), "");
  EXPECT_EQ(UnitFromCgroup(V2("/my-batch-jobs/job-17")), "");
  EXPECT_EQ(UnitFromCgroup(V1("/docker/not-a-container-id")), "");
  // This machine's file: a hybrid layout with an unknown cgroup on memory only.
  EXPECT_EQ(UnitFromCgroup("9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
                           "4:memory:/process_api/4f73833665e933d510563db9a1222ba9\n3:cpuset:/\n"
                           "2:cpuacct:/\n1:cpu:/\n0::/\n"),
            "");
}

TEST(CgroupUnitTest, PrefersV2ThenSystemdThenPidsMemoryCpu) {
  EXPECT_EQ(UnitFromCgroup("1:name=systemd:/system.slice/a.service\n0::/system.slice/b.service\n"),
            "b.service");
  // A hybrid host: the unified hierarchy at its root, the container on the v1 controllers.
  EXPECT_EQ(UnitFromCgroup("4:memory:/docker/" + std::string(kId) + "\n0::/\n"),
            "docker:4c1e9b7a0d2f");
  EXPECT_EQ(UnitFromCgroup("7:cpu,cpuacct:/system.slice/c.service\n8:memory:/system.slice/"
                           "m.service\n9:pids:/system.slice/p.service\n"),
            "p.service");
  EXPECT_EQ(UnitFromCgroup("7:cpu,cpuacct:/system.slice/c.service\n8:memory:/system.slice/"
                           "m.service\n"),
            "m.service");
  EXPECT_EQ(UnitFromCgroup("7:cpu,cpuacct:/system.slice/c.service\n"), "c.service");
  // Hierarchies that are not looked at; "cpuacct" is not "cpu", "cpuset" neither.
  EXPECT_EQ(UnitFromCgroup("3:cpuset:/system.slice/s.service\n2:cpuacct:/system.slice/"
                           "a.service\n6:freezer:/system.slice/f.service\n"),
            "");
}

TEST(CgroupUnitTest, MalformedTextNeverCrashes) {
  EXPECT_EQ(UnitFromCgroup(""), "");
  EXPECT_EQ(UnitFromCgroup("\n"), "");
  EXPECT_EQ(UnitFromCgroup("no colon at all"), "");
  EXPECT_EQ(UnitFromCgroup("0:/system.slice/one-colon.service"), "");
  EXPECT_EQ(UnitFromCgroup(":::"), "");
  EXPECT_EQ(UnitFromCgroup("0::"), "");
  EXPECT_EQ(UnitFromCgroup("0::///"), "");
  EXPECT_EQ(UnitFromCgroup("0::/lxc.payload."), "");
  EXPECT_EQ(UnitFromCgroup("0::/lxc"), "");
  EXPECT_EQ(UnitFromCgroup("0::/docker-"), "");
  // No trailing newline, CRLF, blank lines around it, a colon in the path.
  EXPECT_EQ(UnitFromCgroup("0::/system.slice/nginx.service"), "nginx.service");
  EXPECT_EQ(UnitFromCgroup("0::/system.slice/nginx.service\r\n"), "nginx.service");
  EXPECT_EQ(UnitFromCgroup("\n\n0::/system.slice/nginx.service\n\n"), "nginx.service");
  EXPECT_EQ(UnitFromCgroup("0::/system.slice/a:b.service\n"), "a:b.service");
  // A NUL byte inside, and a path of a megabyte.
  EXPECT_EQ(UnitFromCgroup(std::string("0::/system.slice/x\0y.service\n", 29)),
            std::string("x\0y.service", 11));
  const std::string deep = "0::" + std::string(1 << 20, '/') + "deep.service\n";
  EXPECT_EQ(UnitFromCgroup(deep), "deep.service");
  std::string many;
  for (int i = 0; i < 100000; ++i) many += "/a";
  EXPECT_EQ(UnitFromCgroup("0::" + many + "/z.scope\n"), "z.scope");
  EXPECT_EQ(UnitFromCgroup(std::string(1 << 20, ':')), "");
  EXPECT_EQ(UnitFromCgroup(std::string(1 << 20, 'x')), "");
}

}  // namespace
}  // namespace tcpdoctor
