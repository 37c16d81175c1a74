// tcpdoctor_population: builds a large, exactly counted TCP socket population on loopback inside a
// private network namespace, holds it for a bounded time, then tears everything down.
//
//   unshare -n tcpdoctor_population --established 600000 --time-wait 340000
//       --close-wait 30000 --listen 8 --hold 300 --ready-file /tmp/ready
//
// Layout (all IPv4, all on lo, every 127/8 address works without configuration):
//   listeners        127.1.x.y:1000  held by the parent, shared by the holder workers
//   holder clients   127.10+.x.y     ESTABLISHED pairs and CLOSE_WAIT/FIN_WAIT2 pairs (fds held)
//   TIME_WAIT        clients from 127.0.0.1 to 127.3.w.k:1001+w; one temporary wildcard listener
//                    per TIME_WAIT worker w (no fds held once built)
// Ports 1000+ are below ip_local_port_range (1024-65535 here); pair clients bind their own 127.x
// source with IP_BIND_ADDRESS_NO_PORT, so the ephemeral ports are per (source, destination).
//
// Long-lived fds are spread over holder processes (each below --fds-per-worker; down to 16 fds, so
// 100k sockets can be held by ~1,000 processes for the owner-attribution benchmark). Holders are
// named holder-0 .. holder-49 (comm, by id % 50) and close their copies of the listeners once
// built, so each holds exactly its pair fds and the parent alone holds the listeners. TIME_WAIT is
// built last by a few parallel workers, because it lives only 60 s. SIGUSR1 replaces the TIME_WAIT
// share: SOCK_DESTROY on the old generation (or waiting for it to expire), then a new one and a
// rewritten ready file. SIGTERM/SIGINT, or the end of --hold, stops everything; workers also die
// with the parent (PR_SET_PDEATHSIG).

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int kListenPort = 1000;  // below ip_local_port_range: never an ephemeral port
constexpr long kMaxHoldSeconds = 900;
constexpr long kMaxSockets = 3000000;
constexpr int kBacklog = 65535;
constexpr int kHolderSources = 16;
constexpr int kHolderNames = 50;  // holders' comm: holder-<id % kHolderNames>
constexpr long kMinFdsPerWorker = 16;
constexpr long kMaxHolders = 4000;  // sources 127.10.0.x .. 127.25.249.x
constexpr int kTimeWaitDestinations = 64;
constexpr int kMaxTimeWaitWorkers = 64;
constexpr double kStepTimeout = 30.0;  // max seconds for one batch step (connect/accept/EOF)

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_regen = 0;

struct Options {
  long established = 0;  // sockets (pairs * 2)
  long time_wait = 0;
  long close_wait = 0;  // CLOSE_WAIT sockets; as many FIN_WAIT2 peers
  long listen = 8;
  long hold = 120;
  std::string ready_file;
  long jobs = 0;        // holder workers building at once; 0 = CPUs
  long tw_workers = 0;  // 0 = CPUs
  long fds_per_worker = 18000;
  long batch = 1024;
  long build_timeout = 600;
};

double Mono() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Epoch() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

void Log(const std::string& msg) {
  std::string line = "population: " + msg + "\n";
  ssize_t unused = write(STDERR_FILENO, line.data(), line.size());
  (void)unused;
}

std::string Errno(const char* what) { return Format("%s: %s", what, strerror(errno)); }

sockaddr_in Addr(unsigned b, unsigned c, unsigned d, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl((127u << 24) | (b << 16) | (c << 8) | d);
  return a;
}

// ---------------------------------------------------------------------------------------------
// Options

void Usage(FILE* out) {
  fprintf(out,
          "usage: unshare -n tcpdoctor_population [options]\n"
          "  --established N     ESTABLISHED sockets (N/2 client/server pairs; N even)\n"
          "  --time-wait N       TIME_WAIT sockets (client closes first; no fds held)\n"
          "  --close-wait N      N CLOSE_WAIT sockets plus N FIN_WAIT2 peers (fds held)\n"
          "  --listen N          listening sockets (default 8; >= 1 if pairs are built)\n"
          "  --hold SECONDS      keep the population this long after ready (default 120, max "
          "900)\n"
          "  --ready-file PATH   written (key=value counts) once the population is complete\n"
          "  --jobs N            holder workers building at once (default: CPUs)\n"
          "  --tw-workers N      parallel TIME_WAIT builders (default: CPUs)\n"
          "  --fds-per-worker N  long-lived fds per holder process (default 18000, min 16;\n"
          "                      at most 4000 holders; holders are named holder-0..holder-49)\n"
          "  --batch N           connections per batch step (default 1024)\n"
          "  --build-timeout S   give up if building takes longer (default 600)\n"
          "Signals: SIGUSR1 = replace the TIME_WAIT share (destroy the old one, build anew);\n"
          "SIGTERM/SIGINT = stop now.\n");
}

bool ParseLong(const char* s, long* out) {
  char* end = nullptr;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0') return false;
  *out = v;
  return true;
}

bool ParseOptions(int argc, char** argv, Options* o) {
  const std::map<std::string, long*> longs = {
      {"--established", &o->established},
      {"--time-wait", &o->time_wait},
      {"--close-wait", &o->close_wait},
      {"--listen", &o->listen},
      {"--hold", &o->hold},
      {"--jobs", &o->jobs},
      {"--tw-workers", &o->tw_workers},
      {"--fds-per-worker", &o->fds_per_worker},
      {"--batch", &o->batch},
      {"--build-timeout", &o->build_timeout},
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      Usage(stdout);
      exit(0);
    }
    std::string value;
    bool have_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      have_value = true;
    }
    if (!have_value) {
      if (i + 1 >= argc) {
        fprintf(stderr, "population: %s needs a value\n", arg.c_str());
        return false;
      }
      value = argv[++i];
    }
    if (arg == "--ready-file") {
      o->ready_file = value;
      continue;
    }
    auto it = longs.find(arg);
    if (it == longs.end()) {
      fprintf(stderr, "population: unknown option %s (see --help)\n", arg.c_str());
      return false;
    }
    if (!ParseLong(value.c_str(), it->second) || *it->second < 0) {
      fprintf(stderr, "population: %s wants a non-negative integer, got '%s'\n", arg.c_str(),
              value.c_str());
      return false;
    }
  }
  if (o->established % 2 != 0) {
    fprintf(stderr, "population: --established must be even (it counts both ends of pairs)\n");
    return false;
  }
  if (o->hold > kMaxHoldSeconds) {
    fprintf(stderr, "population: --hold is at most %ld seconds\n", kMaxHoldSeconds);
    return false;
  }
  if (o->established + 2 * o->close_wait > kMaxSockets || o->time_wait > kMaxSockets ||
      o->listen > 10000) {
    fprintf(stderr, "population: too many sockets requested (max %ld per kind)\n", kMaxSockets);
    return false;
  }
  if ((o->established > 0 || o->close_wait > 0) && o->listen < 1) {
    fprintf(stderr, "population: pairs need at least one listener (--listen >= 1)\n");
    return false;
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 1) cpus = 1;
  if (o->jobs == 0) o->jobs = cpus;
  if (o->tw_workers == 0) o->tw_workers = cpus;
  o->tw_workers = std::min<long>(o->tw_workers, kMaxTimeWaitWorkers);
  o->batch = std::clamp<long>(o->batch, 1, 4096);
  o->fds_per_worker = std::clamp<long>(o->fds_per_worker, kMinFdsPerWorker, 19000);
  o->build_timeout = std::clamp<long>(o->build_timeout, 10, 3600);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Namespace setup

// Refuses the host's namespace. The primary check compares /proc/self/ns/net with
// /proc/1/ns/net. Where /proc/1 cannot be read (no CAP_SYS_PTRACE over pid 1, e.g. in some
// sandboxes), it falls back to two checks: the fixed inode of init_net (PROC_NET_INIT_INO,
// 0xEFFFFFF9 on recent kernels) and the presence of any interface other than lo (a namespace made
// by `unshare -n` has only lo).
bool InPrivateNetns(std::string* err) {
  const std::string hint = "; run it as: unshare -n tcpdoctor_population ...";
  struct stat self {};
  if (stat("/proc/self/ns/net", &self) != 0) {
    *err = Errno("stat /proc/self/ns/net");
    return false;
  }
  struct stat init {};
  if (stat("/proc/1/ns/net", &init) == 0) {
    if (self.st_ino == init.st_ino && self.st_dev == init.st_dev) {
      *err = "refusing to run in the initial network namespace (same as pid 1's)" + hint;
      return false;
    }
    return true;
  }
  if (errno != EACCES && errno != EPERM) {
    *err = Errno("stat /proc/1/ns/net");
    return false;
  }
  constexpr ino_t kInitNetIno = 0xEFFFFFF9U;
  if (self.st_ino == kInitNetIno) {
    *err = "refusing to run in the initial network namespace (init_net inode)" + hint;
    return false;
  }
  struct if_nameindex* names = if_nameindex();
  if (names == nullptr) {
    *err = Errno("if_nameindex");
    return false;
  }
  std::string others;
  for (struct if_nameindex* i = names; i->if_index != 0; ++i) {
    if (strcmp(i->if_name, "lo") != 0)
      others += std::string(others.empty() ? "" : ",") + i->if_name;
  }
  if_freenameindex(names);
  if (!others.empty()) {
    *err = "refusing to run: /proc/1/ns/net is unreadable and this namespace has interfaces (" +
           others + ") besides lo, so it is not a private one" + hint;
    return false;
  }
  return true;
}

bool LoopbackUp(std::string* err) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    *err = Errno("socket");
    return false;
  }
  ifreq ifr{};
  memcpy(ifr.ifr_name, "lo", 3);
  bool ok = ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  if (ok && !(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    ok = ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  }
  if (!ok) *err = Errno("bringing lo up");
  close(s);
  return ok;
}

bool WriteSysctl(const std::string& name, const std::string& value, std::string* err) {
  std::string path = "/proc/sys/" + name;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = Errno(path.c_str());
    return false;
  }
  bool ok = write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  if (!ok) *err = Errno(path.c_str());
  close(fd);
  return ok;
}

bool SetupNamespace(const Options& o, std::string* err) {
  if (!LoopbackUp(err)) return false;
  long tw_buckets = std::max<long>(2000000, 2 * o.time_wait + 2 * o.close_wait + 1024);
  const std::pair<std::string, std::string> sysctls[] = {
      {"net.ipv4.tcp_max_tw_buckets", std::to_string(tw_buckets)},
      {"net.ipv4.ip_local_port_range", "1024 65535"},
      {"net.ipv4.tcp_rfc1337", "1"},          // no TIME-WAIT assassination by stray RSTs
      {"net.ipv4.tcp_tw_reuse", "0"},         // connect() must never recycle our TIME_WAIT sockets
      {"net.ipv4.tcp_no_metrics_save", "1"},  // no per-destination metrics cache: faster closes
      {"net.core.somaxconn", std::to_string(kBacklog)},
      {"net.ipv4.tcp_max_syn_backlog", std::to_string(kBacklog)},
  };
  for (const auto& [name, value] : sysctls) {
    if (!WriteSysctl(name, value, err)) return false;
  }
  return true;
}

void RaiseNofile() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
}

long NofileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : static_cast<long>(rl.rlim_cur);
}

// /proc/net/sockstat "TCP: ... tw N": TIME_WAIT (and FIN_WAIT2 minisockets) in this netns.
long SockstatTimeWait() {
  FILE* f = fopen("/proc/net/sockstat", "re");
  if (f == nullptr) return -1;
  char line[512];
  long tw = -1;
  while (fgets(line, sizeof line, f) != nullptr) {
    if (strncmp(line, "TCP:", 4) != 0) continue;
    const char* p = strstr(line, " tw ");
    if (p != nullptr) tw = strtol(p + 4, nullptr, 10);
  }
  fclose(f);
  return tw;
}

// The netlink messages in buf[0, n), bounds-checked (NLMSG_OK mixes signed and unsigned).
std::vector<const nlmsghdr*> Messages(const char* buf, ssize_t n) {
  std::vector<const nlmsghdr*> out;
  const size_t len = n > 0 ? static_cast<size_t>(n) : 0;
  for (size_t off = 0; off + sizeof(nlmsghdr) <= len;) {
    const auto* h = reinterpret_cast<const nlmsghdr*>(buf + off);
    if (h->nlmsg_len < sizeof(nlmsghdr) || off + h->nlmsg_len > len) break;
    out.push_back(h);
    off += NLMSG_ALIGN(h->nlmsg_len);
  }
  return out;
}

// SOCK_DESTROY every TIME_WAIT socket of this namespace: one dump, then exact destroy requests
// (with the dumped cookie) in batches, each acknowledged. Needs CONFIG_INET_DIAG_DESTROY and a
// kernel that accepts TIME_WAIT entries (6.18 does). Returns how many were destroyed, or -1.
long PurgeTimeWait(std::string* err) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    *err = Errno("netlink socket");
    return -1;
  }
  struct Request {
    nlmsghdr h;
    inet_diag_req_v2 r;
  };
  std::vector<inet_diag_msg> found;
  alignas(nlmsghdr) static char buf[64 * 1024];
  uint32_t seq = 1;
  bool ok = true;
  for (uint8_t family : {static_cast<uint8_t>(AF_INET), static_cast<uint8_t>(AF_INET6)}) {
    Request req{};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.h.nlmsg_seq = ++seq;
    req.r.sdiag_family = family;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_states = 1u << 6;  // TCP_TIME_WAIT
    if (send(fd, &req, sizeof req, 0) != static_cast<ssize_t>(sizeof req)) {
      *err = Errno("netlink send");
      ok = false;
      break;
    }
    bool done = false;
    while (ok && !done) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        *err = Errno("netlink recv");
        ok = false;
        break;
      }
      for (const nlmsghdr* h : Messages(buf, n)) {
        if (h->nlmsg_type == NLMSG_DONE) {
          done = true;
          break;
        }
        if (h->nlmsg_type == NLMSG_ERROR) {
          *err = "netlink dump error";
          ok = false;
          break;
        }
        if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
          found.push_back(*static_cast<const inet_diag_msg*>(NLMSG_DATA(h)));
        }
      }
    }
    if (!ok) break;
  }
  long destroyed = 0;
  constexpr size_t kBatch = 256;
  std::vector<Request> batch;
  for (size_t i = 0; ok && i < found.size(); i += kBatch) {
    batch.clear();
    for (size_t j = i; j < std::min(found.size(), i + kBatch); ++j) {
      Request req{};
      req.h.nlmsg_len = sizeof req;
      req.h.nlmsg_type = SOCK_DESTROY;
      req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
      req.h.nlmsg_seq = ++seq;
      req.r.sdiag_family = found[j].idiag_family;
      req.r.sdiag_protocol = IPPROTO_TCP;
      req.r.idiag_states = ~0u;
      req.r.id = found[j].id;
      batch.push_back(req);
    }
    const size_t bytes = batch.size() * sizeof(Request);
    if (send(fd, batch.data(), bytes, 0) != static_cast<ssize_t>(bytes)) {
      *err = Errno("netlink send (destroy)");
      ok = false;
      break;
    }
    size_t acks = 0;
    while (ok && acks < batch.size()) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        *err = Errno("netlink recv (destroy)");
        ok = false;
        break;
      }
      for (const nlmsghdr* h : Messages(buf, n)) {
        if (h->nlmsg_type != NLMSG_ERROR) continue;
        ++acks;
        if (static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error == 0) ++destroyed;
      }
    }
  }
  close(fd);
  return ok ? destroyed : -1;
}

// ---------------------------------------------------------------------------------------------
// Socket helpers (workers)

int MakeListener(const sockaddr_in& a, std::string* err) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = Errno("socket");
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 || listen(fd, kBacklog) != 0) {
    *err = Errno(Format("listen on %s:%d", inet_ntoa(a.sin_addr), ntohs(a.sin_port)).c_str());
    close(fd);
    return -1;
  }
  return fd;
}

// Non-blocking connect; with src, binds that source address first (the port is still chosen at
// connect() time, per destination, thanks to IP_BIND_ADDRESS_NO_PORT).
int StartConnect(const sockaddr_in* src, const sockaddr_in& dst, std::string* err) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = Errno("socket");
    return -1;
  }
  int one = 1;
  if (src != nullptr &&
      (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0 ||
       bind(fd, reinterpret_cast<const sockaddr*>(src), sizeof *src) != 0)) {
    *err = Errno("bind source");
    close(fd);
    return -1;
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) != 0 &&
      errno != EINPROGRESS) {
    *err = Errno(Format("connect to %s", inet_ntoa(dst.sin_addr)).c_str());
    close(fd);
    return -1;
  }
  return fd;
}

bool Expired(double deadline, const char* what, std::string* err) {
  if (g_stop) {
    *err = Format("stopped while %s", what);
    return true;
  }
  if (Mono() > deadline) {
    *err = Format("timed out while %s", what);
    return true;
  }
  return false;
}

// Waits until every non-blocking connect() has completed successfully.
bool WaitConnected(const std::vector<int>& fds, double deadline, std::string* err) {
  std::vector<pollfd> pending;
  pending.reserve(fds.size());
  for (int fd : fds) pending.push_back({fd, POLLOUT, 0});
  while (!pending.empty()) {
    int n = poll(pending.data(), pending.size(), 200);
    if (n < 0 && errno != EINTR) {
      *err = Errno("poll");
      return false;
    }
    size_t keep = 0;
    for (const pollfd& p : pending) {
      if (p.revents == 0) {
        pending[keep++] = p;
        continue;
      }
      int so_error = 0;
      socklen_t len = sizeof so_error;
      getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error != 0) {
        *err = Format("connect: %s", strerror(so_error));
        return false;
      }
    }
    pending.resize(keep);
    if (!pending.empty() && Expired(deadline, "connecting", err)) return false;
  }
  return true;
}

// Accepts exactly n connections from any of the (non-blocking) listeners.
bool AcceptN(const std::vector<int>& listeners, long n, std::vector<int>* out, double deadline,
             std::string* err) {
  std::vector<pollfd> pfds;
  pfds.reserve(listeners.size());
  for (int l : listeners) pfds.push_back({l, POLLIN, 0});
  long got = 0;
  while (got < n) {
    bool progress = false;
    for (int l : listeners) {
      while (got < n) {
        int fd = accept4(l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          if (errno == EINTR || errno == ECONNABORTED) continue;
          *err = Errno("accept");
          return false;
        }
        out->push_back(fd);
        ++got;
        progress = true;
      }
    }
    if (got < n && !progress) {
      if (Expired(deadline, "accepting", err)) return false;
      poll(pfds.data(), pfds.size(), 100);
    }
  }
  return true;
}

// Waits for the peer's FIN on each accepted socket, then closes it (-> LAST_ACK, and the client
// that closed first goes to TIME_WAIT).
bool CloseAfterEof(std::vector<int>* fds, double deadline, std::string* err) {
  std::vector<pollfd> pending;
  for (int fd : *fds) pending.push_back({fd, POLLIN | POLLRDHUP, 0});
  fds->clear();
  bool first = true;
  while (!pending.empty()) {
    if (!first) {
      int n = poll(pending.data(), pending.size(), 200);
      if (n < 0 && errno != EINTR) {
        *err = Errno("poll");
        return false;
      }
    }
    size_t keep = 0;
    for (const pollfd& p : pending) {
      if (!first && p.revents == 0) {
        pending[keep++] = p;
        continue;
      }
      char c;
      ssize_t r = recv(p.fd, &c, 1, MSG_DONTWAIT);
      if (r == 0) {
        close(p.fd);
      } else if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
        pending[keep++] = p;
      } else {
        *err = r > 0 ? std::string("unexpected data on server socket") : Errno("recv");
        return false;
      }
    }
    pending.resize(keep);
    first = false;
    if (!pending.empty() && Expired(deadline, "waiting for FIN", err)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Workers. Each reports one line ("ok ..." or "err ...") on the report pipe, which is shorter than
// PIPE_BUF and therefore atomic.

int g_report_fd = -1;

void Report(const std::string& line) {
  std::string l = line + "\n";
  ssize_t unused = write(g_report_fd, l.data(), l.size());
  (void)unused;
}

[[noreturn]] void Fail(const std::string& who, const std::string& err) {
  Report("err " + who + " " + err);
  _exit(1);
}

void OnStop(int) { g_stop = 1; }
void OnRegen(int) { g_regen = 1; }

// Blocks until SIGTERM (or the parent's death, which sends SIGKILL).
void WaitForStop() {
  sigset_t block;
  sigset_t old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &old);
  while (!g_stop) sigsuspend(&old);
  sigprocmask(SIG_SETMASK, &old, nullptr);
}

// Holds est_pairs ESTABLISHED pairs and cw_pairs CLOSE_WAIT/FIN_WAIT2 pairs. Clients connect to
// the shared listeners and this worker accepts as many connections as it made (possibly other
// holders' ones: which process holds which end does not matter, and the totals balance, so no
// holder can wait forever).
[[noreturn]] void HolderMain(int id, long est_pairs, long cw_pairs, const Options& o,
                             const std::vector<int>& listeners,
                             const std::vector<sockaddr_in>& dsts) {
  const std::string who = Format("holder %d", id);
  const std::string comm = Format("holder-%d", id % kHolderNames);
  prctl(PR_SET_NAME, comm.c_str());
  std::vector<sockaddr_in> srcs;
  srcs.reserve(kHolderSources);
  for (int k = 0; k < kHolderSources; ++k) {
    srcs.push_back(Addr(10 + static_cast<unsigned>(id / 250), static_cast<unsigned>(id % 250),
                        static_cast<unsigned>(k + 1), 0));
  }
  const long total = est_pairs + cw_pairs;
  std::vector<int> held;
  held.reserve(static_cast<size_t>(2 * total + 16));
  std::string err;
  for (long made = 0; made < total;) {
    const long b = std::min(o.batch, total - made);
    const double deadline = Mono() + kStepTimeout;
    std::vector<int> clients;
    for (long j = 0; j < b; ++j) {
      const long c = made + j;
      const sockaddr_in& src = srcs[static_cast<size_t>(c % kHolderSources)];
      const sockaddr_in& dst =
          dsts[static_cast<size_t>((c / kHolderSources + id) % static_cast<long>(dsts.size()))];
      int fd = StartConnect(&src, dst, &err);
      if (fd < 0) Fail(who, err);
      clients.push_back(fd);
    }
    if (!WaitConnected(clients, deadline, &err)) Fail(who, err);
    // The first cw_pairs connections become CLOSE_WAIT (server end) / FIN_WAIT2 (this end): the
    // client half-closes and keeps its fd, so its FIN_WAIT2 never times out.
    for (long j = 0; j < b; ++j) {
      if (made + j < cw_pairs && shutdown(clients[static_cast<size_t>(j)], SHUT_WR) != 0) {
        Fail(who, Errno("shutdown"));
      }
    }
    held.insert(held.end(), clients.begin(), clients.end());
    if (!AcceptN(listeners, b, &held, deadline, &err)) Fail(who, err);
    made += b;
  }
  // The parent keeps the listeners open; dropping our inherited copies leaves this process with
  // exactly its pair fds (clean per-process attribution).
  for (int l : listeners) close(l);
  Report(Format("ok holder %d %ld %ld %zu", id, est_pairs, cw_pairs, held.size()));
  WaitForStop();
  // Abort (RST) instead of a FIN exchange: teardown is fast and leaves no TIME_WAIT behind.
  const linger lin{1, 0};
  for (int fd : held) setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
  _exit(0);
}

// Builds `count` TIME_WAIT sockets on the client side: connect, accept, client close(), then
// close the server end once it has seen the client's FIN (server: CLOSE_WAIT -> LAST_ACK -> gone,
// client: FIN_WAIT2 -> TIME_WAIT). One wildcard listener on port 1001+w; the clients go to 64
// destination addresses 127.3.w.k, so the ephemeral ports are per destination and no bind() is
// needed. Closing the server end right after the client's close() (the FIN is processed inline on
// loopback) keeps the server's delayed-ACK timer from firing: 6 segments per connection, not 7.
[[noreturn]] void TimeWaitMain(int w, long count, const Options& o) {
  const std::string who = Format("time-wait %d", w);
  std::string err;
  const int port = kListenPort + 1 + w;
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_port = htons(static_cast<uint16_t>(port));
  any.sin_addr.s_addr = htonl(INADDR_ANY);
  const int listener = MakeListener(any, &err);
  if (listener < 0) Fail(who, err);
  const std::vector<int> listeners = {listener};
  std::vector<sockaddr_in> dsts;
  dsts.reserve(kTimeWaitDestinations);
  for (int k = 0; k < kTimeWaitDestinations; ++k) {
    dsts.push_back(Addr(3, static_cast<unsigned>(w), static_cast<unsigned>(k + 1), port));
  }
  std::vector<int> clients;
  std::vector<int> servers;
  std::vector<int> pending;
  for (long done = 0; done < count;) {
    const long b = std::min(o.batch, count - done);
    const double deadline = Mono() + kStepTimeout;
    clients.clear();
    servers.clear();
    pending.clear();
    for (long j = 0; j < b; ++j) {
      int fd = StartConnect(nullptr, dsts[static_cast<size_t>((done + j) % kTimeWaitDestinations)],
                            &err);
      if (fd < 0) Fail(who, err);
      clients.push_back(fd);
    }
    // Only our clients connect to this port, so b accepted connections mean all b clients are
    // ESTABLISHED. The accept order is normally the connect order; if not, the EOF check below
    // just defers the server ends whose clients have not closed yet.
    if (!AcceptN(listeners, b, &servers, deadline, &err)) Fail(who, err);
    for (size_t j = 0; j < clients.size(); ++j) {
      close(clients[j]);
      char c;
      if (recv(servers[j], &c, 1, MSG_DONTWAIT) == 0) {
        close(servers[j]);
      } else {
        pending.push_back(servers[j]);
      }
    }
    if (!CloseAfterEof(&pending, deadline, &err)) Fail(who, err);
    done += b;
  }
  Report(Format("ok time-wait %d %ld", w, count));
  _exit(0);
}

// ---------------------------------------------------------------------------------------------
// Parent

struct Child {
  pid_t pid = -1;
  bool reported = false;
  bool exited = false;
};

class Population {
 public:
  explicit Population(const Options& o) : o_(o) {}

  int Run();

 private:
  pid_t Spawn(const std::function<void()>& body);
  bool ReadReports(int timeout_ms, std::vector<std::string>* lines);
  void ReapExited(bool during_hold);
  bool BuildHolders(std::string* err);
  bool BuildTimeWait(std::string* err);
  bool ClearTimeWait();
  bool WriteReady(std::string* err);
  void Shutdown();

  Options o_;
  pid_t self_ = getpid();
  int report_rd_ = -1;
  int report_wr_ = -1;
  std::string pending_;
  std::vector<int> listeners_;
  std::vector<sockaddr_in> dsts_;
  std::map<pid_t, Child> holders_;
  std::map<pid_t, Child> tw_workers_;
  long est_pairs_ = 0;
  long cw_pairs_ = 0;
  long holders_count_ = 0;
  long holder_fds_ = 0;  // socket fds the holders reported holding (both ends of their pairs)
  long tw_built_ = 0;
  long tw_sockstat_ = -1;
  int generation_ = 0;
  double t_start_ = Mono();
  double holders_seconds_ = 0;
  double tw_seconds_ = 0;
  double tw_start_epoch_ = 0;
  double tw_done_epoch_ = 0;
  double ready_epoch_ = 0;
  double hold_until_epoch_ = 0;
  bool degraded_ = false;
};

pid_t Population::Spawn(const std::function<void()>& body) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != self_) _exit(1);
  struct sigaction sa {};
  sa.sa_handler = OnStop;
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGINT, SIG_IGN);  // a terminal ^C reaches the whole group; the parent handles it
  signal(SIGHUP, SIG_IGN);
  signal(SIGUSR1, SIG_IGN);
  close(report_rd_);
  g_report_fd = report_wr_;
  body();
  _exit(0);
}

bool Population::ReadReports(int timeout_ms, std::vector<std::string>* lines) {
  pollfd p{report_rd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  char buf[4096];
  ssize_t n = read(report_rd_, buf, sizeof buf);
  if (n <= 0) return false;
  pending_.append(buf, static_cast<size_t>(n));
  size_t pos;
  while ((pos = pending_.find('\n')) != std::string::npos) {
    lines->push_back(pending_.substr(0, pos));
    pending_.erase(0, pos + 1);
  }
  return true;
}

void Population::ReapExited(bool during_hold) {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (auto it = holders_.find(pid); it != holders_.end()) {
      it->second.exited = true;
      if (during_hold && !degraded_) {
        Log(Format("WARNING: holder pid %d exited during hold; the population is incomplete", pid));
        degraded_ = true;
      }
    } else if (auto t = tw_workers_.find(pid); t != tw_workers_.end()) {
      t->second.exited = true;
    }
  }
}

bool Population::BuildHolders(std::string* err) {
  est_pairs_ = o_.established / 2;
  cw_pairs_ = o_.close_wait;
  const long total = est_pairs_ + cw_pairs_;
  if (total == 0) return true;
  const long budget = std::min(o_.fds_per_worker, NofileLimit() - o_.listen - 64);
  const long per_worker = budget / 2;
  if (per_worker < kMinFdsPerWorker / 2) {
    *err = Format("RLIMIT_NOFILE %ld is too small", NofileLimit());
    return false;
  }
  holders_count_ = (total + per_worker - 1) / per_worker;
  if (holders_count_ > kMaxHolders) {
    *err = Format("would need %ld holder processes (max %ld): raise --fds-per-worker",
                  holders_count_, kMaxHolders);
    return false;
  }
  // Spread both kinds evenly: worker i gets pairs [i*total/n, (i+1)*total/n).
  struct Share {
    long est, cw;
  };
  std::vector<Share> shares;
  for (long i = 0; i < holders_count_; ++i) {
    const long est_lo = est_pairs_ * i / holders_count_;
    const long est_hi = est_pairs_ * (i + 1) / holders_count_;
    const long cw_lo = cw_pairs_ * i / holders_count_;
    const long cw_hi = cw_pairs_ * (i + 1) / holders_count_;
    shares.push_back({est_hi - est_lo, cw_hi - cw_lo});
  }
  const double t0 = Mono();
  const double deadline = t0 + static_cast<double>(o_.build_timeout);
  long next = 0;
  long active = 0;
  long done = 0;
  while (done < holders_count_) {
    while (active < o_.jobs && next < holders_count_) {
      const int id = static_cast<int>(next);
      const Share s = shares[static_cast<size_t>(next)];
      pid_t pid = Spawn([&, id, s] { HolderMain(id, s.est, s.cw, o_, listeners_, dsts_); });
      if (pid < 0) {
        *err = Errno("fork");
        return false;
      }
      holders_[pid] = Child{pid};
      ++next;
      ++active;
    }
    std::vector<std::string> lines;
    ReadReports(200, &lines);
    ReapExited(false);
    bool died = false;
    for (const auto& [pid, c] : holders_) died = died || c.exited;
    if (died) {
      while (ReadReports(0, &lines)) {
      }
    }
    for (const std::string& l : lines) {
      long id = 0;
      long est = 0;
      long cw = 0;
      long fds = 0;
      if (sscanf(l.c_str(), "ok holder %ld %ld %ld %ld", &id, &est, &cw, &fds) == 4) {
        ++done;
        --active;
        holder_fds_ += fds;
      } else {
        *err = l;
        return false;
      }
    }
    for (const auto& [pid, c] : holders_) {
      if (c.exited) {
        *err = Format("holder pid %d died while building", pid);
        return false;
      }
    }
    if (g_stop) {
      *err = "stopped by signal";
      return false;
    }
    if (Mono() > deadline) {
      *err = Format("building pairs took longer than %ld s", o_.build_timeout);
      return false;
    }
  }
  holders_seconds_ = Mono() - t0;
  Log(Format("%ld ESTABLISHED + %ld CLOSE_WAIT + %ld FIN_WAIT2 sockets in %ld holders: %.2f s",
             2 * est_pairs_, cw_pairs_, cw_pairs_, holders_count_, holders_seconds_));
  return true;
}

bool Population::BuildTimeWait(std::string* err) {
  tw_built_ = 0;
  if (o_.time_wait == 0) return true;
  const long n = std::max<long>(1, std::min(o_.tw_workers, o_.time_wait / 1000 + 1));
  const double t0 = Mono();
  const double deadline = t0 + static_cast<double>(o_.build_timeout);
  tw_start_epoch_ = Epoch();
  tw_workers_.clear();
  std::map<long, pid_t> by_id;
  for (long w = 0; w < n; ++w) {
    const long count = o_.time_wait * (w + 1) / n - o_.time_wait * w / n;
    const int id = static_cast<int>(w);
    pid_t pid = Spawn([&, id, count] { TimeWaitMain(id, count, o_); });
    if (pid < 0) {
      *err = Errno("fork");
      return false;
    }
    tw_workers_[pid] = Child{pid};
    by_id[w] = pid;
  }
  long done = 0;
  auto handle = [&](const std::vector<std::string>& lines) {
    for (const std::string& l : lines) {
      long id = 0;
      long count = 0;
      if (sscanf(l.c_str(), "ok time-wait %ld %ld", &id, &count) == 2 && by_id.count(id) != 0) {
        ++done;
        tw_built_ += count;
        tw_workers_[by_id[id]].reported = true;
      } else {
        *err = l;
        return false;
      }
    }
    return true;
  };
  while (done < n) {
    std::vector<std::string> lines;
    ReadReports(200, &lines);
    if (!handle(lines)) return false;
    ReapExited(false);
    for (const auto& [pid, c] : tw_workers_) {
      if (c.exited && !c.reported) {
        // It may have reported just before exiting: drain the pipe, then decide.
        std::vector<std::string> more;
        while (ReadReports(0, &more)) {
        }
        if (!handle(more)) return false;
        if (!tw_workers_[pid].reported) {
          *err = Format("time-wait worker pid %d died", pid);
          return false;
        }
      }
    }
    if (g_stop) {
      *err = "stopped by signal";
      return false;
    }
    if (Mono() > deadline) {
      *err = Format("building TIME_WAIT took longer than %ld s", o_.build_timeout);
      return false;
    }
  }
  tw_done_epoch_ = Epoch();
  tw_seconds_ = Mono() - t0;
  // Reap the finished workers (they exit right after reporting).
  const double reap_deadline = Mono() + 10;
  for (;;) {
    ReapExited(true);
    bool all = true;
    for (const auto& [pid, c] : tw_workers_) all = all && c.exited;
    if (all || Mono() > reap_deadline) break;
    usleep(10000);
  }
  ++generation_;
  // sockstat's tw counts this namespace's TIME_WAIT (and FIN_WAIT2 minisockets, of which we make
  // none): a cheap exact check that nothing was lost or had already expired.
  tw_sockstat_ = SockstatTimeWait();
  if (tw_sockstat_ != tw_built_) {
    Log(Format("WARNING: built %ld TIME_WAIT but /proc/net/sockstat says tw %ld", tw_built_,
               tw_sockstat_));
  }
  Log(Format("%ld TIME_WAIT sockets (generation %d, %ld workers): %.2f s (%.0f/s)", tw_built_,
             generation_, n, tw_seconds_, static_cast<double>(tw_built_) / tw_seconds_));
  return true;
}

// Before a new TIME_WAIT generation, the previous one must be gone. First try SOCK_DESTROY on
// every TIME_WAIT entry (seconds instead of a minute); otherwise wait for them to expire (60 s,
// and the timer wheel may fire a few seconds late). Success means sockstat's tw reached 0.
bool Population::ClearTimeWait() {
  std::string err;
  const double t0 = Mono();
  const long destroyed = PurgeTimeWait(&err);
  if (destroyed < 0) Log("SOCK_DESTROY purge failed (" + err + "); waiting for expiry instead");
  const double deadline = t0 + 95;
  bool told = destroyed < 0;
  for (;;) {
    if (SockstatTimeWait() == 0) {
      Log(Format("previous TIME_WAIT generation cleared in %.2f s (%ld destroyed)", Mono() - t0,
                 std::max(0L, destroyed)));
      return true;
    }
    if (g_stop || Mono() > deadline) return false;
    if (!told && Mono() > t0 + 5) {
      Log("some TIME_WAIT survived SOCK_DESTROY; waiting for expiry");
      told = true;
    }
    usleep(100000);
  }
}

bool Population::WriteReady(std::string* err) {
  if (o_.ready_file.empty()) return true;
  const long total = 2 * est_pairs_ + tw_built_ + 2 * cw_pairs_ + o_.listen;
  std::string text;
  text += Format("generation=%d\n", generation_);
  text += Format("established=%ld\n", 2 * est_pairs_);
  text += Format("time_wait=%ld\n", tw_built_);
  text += Format("close_wait=%ld\n", cw_pairs_);
  text += Format("fin_wait2=%ld\n", cw_pairs_);
  text += Format("listen=%ld\n", o_.listen);
  text += Format("total=%ld\n", total);
  text += Format("holders=%ld\n", holders_count_);
  text += Format("holder_fds=%ld\n", holder_fds_);
  text += Format("holder_names=%ld\n", std::min<long>(kHolderNames, holders_count_));
  text += Format("tw_workers=%zu\n", tw_workers_.size());
  text += Format("tw_sockstat=%ld\n", tw_sockstat_);
  text += Format("build_pairs_seconds=%.3f\n", holders_seconds_);
  text += Format("build_time_wait_seconds=%.3f\n", tw_seconds_);
  text += Format("tw_start_epoch=%.3f\n", tw_start_epoch_);
  text += Format("tw_done_epoch=%.3f\n", tw_done_epoch_);
  text += Format("ready_epoch=%.3f\n", ready_epoch_);
  text += Format("ready_after_seconds=%.3f\n", Mono() - t_start_);
  text += Format("hold_until_epoch=%.3f\n", hold_until_epoch_);
  text += Format("pid=%d\n", static_cast<int>(self_));
  const std::string tmp = o_.ready_file + ".tmp";
  FILE* f = fopen(tmp.c_str(), "we");
  if (f == nullptr) {
    *err = Errno(tmp.c_str());
    return false;
  }
  bool ok = fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp.c_str(), o_.ready_file.c_str()) != 0) {
    *err = Errno(o_.ready_file.c_str());
    return false;
  }
  return true;
}

void Population::Shutdown() {
  for (auto& [pid, c] : holders_) {
    if (!c.exited) kill(pid, SIGTERM);
  }
  for (auto& [pid, c] : tw_workers_) {
    if (!c.exited) kill(pid, SIGKILL);
  }
  const double deadline = Mono() + 20;
  for (;;) {
    ReapExited(false);
    bool all = true;
    for (const auto& [pid, c] : holders_) all = all && c.exited;
    for (const auto& [pid, c] : tw_workers_) all = all && c.exited;
    if (all) break;
    if (Mono() > deadline) {
      for (auto& [pid, c] : holders_) {
        if (!c.exited) kill(pid, SIGKILL);
      }
      for (auto& [pid, c] : tw_workers_) {
        if (!c.exited) kill(pid, SIGKILL);
      }
      for (auto& [pid, c] : holders_) {
        if (!c.exited) waitpid(pid, nullptr, 0);
      }
      for (auto& [pid, c] : tw_workers_) {
        if (!c.exited) waitpid(pid, nullptr, 0);
      }
      break;
    }
    usleep(20000);
  }
  for (int l : listeners_) close(l);
  if (!o_.ready_file.empty()) unlink(o_.ready_file.c_str());
}

int Population::Run() {
  std::string err;
  if (!InPrivateNetns(&err)) {
    Log(err);
    return 2;
  }
  if (!SetupNamespace(o_, &err)) {
    Log("namespace setup failed: " + err);
    return 1;
  }
  RaiseNofile();
  struct sigaction sa {};
  sa.sa_handler = OnStop;  // no SA_RESTART: poll() returns EINTR
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  sa.sa_handler = OnRegen;
  sigaction(SIGUSR1, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    Log(Errno("pipe"));
    return 1;
  }
  report_rd_ = p[0];
  report_wr_ = p[1];

  for (long i = 0; i < o_.listen; ++i) {
    sockaddr_in a =
        Addr(1, static_cast<unsigned>(i / 250), static_cast<unsigned>(i % 250 + 1), kListenPort);
    int fd = MakeListener(a, &err);
    if (fd < 0) {
      Log(err);
      return 1;
    }
    listeners_.push_back(fd);
    dsts_.push_back(a);
  }

  bool ok = BuildHolders(&err) && BuildTimeWait(&err);
  if (ok) {
    ready_epoch_ = Epoch();
    hold_until_epoch_ = ready_epoch_ + static_cast<double>(o_.hold);
    ok = WriteReady(&err);
  }
  if (!ok) {
    Log("FAILED: " + err);
    Shutdown();
    return 1;
  }
  Log(Format("ready after %.2f s: %ld sockets; holding for %ld s", Mono() - t_start_,
             2 * est_pairs_ + tw_built_ + 2 * cw_pairs_ + o_.listen, o_.hold));

  const double hold_deadline = Mono() + static_cast<double>(o_.hold);
  int rc = 0;
  while (!g_stop && Mono() < hold_deadline) {
    if (g_regen) {
      g_regen = 0;
      if (o_.time_wait == 0) continue;
      Log("SIGUSR1: replacing the TIME_WAIT generation");
      if (!ClearTimeWait()) {
        if (g_stop) break;
        Log("FAILED: the previous TIME_WAIT generation did not go away");
        rc = 1;
        break;
      }
      if (!BuildTimeWait(&err) || !WriteReady(&err)) {
        Log("FAILED: " + err);
        rc = 1;
        break;
      }
      continue;
    }
    std::vector<std::string> lines;
    ReadReports(200, &lines);
    for (const std::string& l : lines) Log("late report: " + l);
    ReapExited(true);
  }
  Shutdown();
  Log(g_stop ? "stopped by signal" : "hold time over, exiting");
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) return 2;
  Population pop(o);
  return pop.Run();
}
