#include "support/exporter_process.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "support/unique_fd.h"

namespace tcpdoctor::itest {
namespace {

std::vector<std::string> ServeCommand(const Endpoint& at, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {TCPDOCTOR_BINARY, "serve", "--listen", at.WithPort()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

uint16_t FreeLoopbackPort() {
  const UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (!fd || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ADD_FAILURE() << "cannot find a free loopback port: " << std::strerror(errno);
    return 0;
  }
  return ntohs(sa.sin_port);
}

ExporterProcess::ExporterProcess(const std::vector<std::string>& args)
    : endpoint_(*Endpoint::Parse("127.0.0.1", FreeLoopbackPort())),
      process_(ServeCommand(endpoint_, args)) {
  WaitUntilReady();
}

void ExporterProcess::WaitUntilReady() {
  ASSERT_EQ(process_.error(), "") << "cannot start tcpdoctor serve";
  ASSERT_TRUE(process_.WaitForStdout("tcpdoctor: serving http://" + endpoint_.WithPort(),
                                     std::chrono::seconds(10)))
      << "tcpdoctor serve did not start: " << process_.Stop(SIGKILL).Describe()
      << "\nstdout: " << process_.Stdout() << "\nstderr: " << process_.Stderr();
  // It binds before it says so: /healthz answers at once, whatever the first collection costs.
  const HttpResponse health = Get("/healthz", std::chrono::seconds(5));
  ASSERT_EQ(health.status, 200) << health.Describe();
  ready_ = true;
}

HttpResponse ExporterProcess::Get(const std::string& path,
                                  std::chrono::milliseconds timeout) const {
  return HttpGet(endpoint_, path, timeout);
}

std::string ExporterProcess::Scrape() const {
  const HttpResponse r = Get("/metrics");
  if (r.status != 200 || !r.complete) {
    ADD_FAILURE() << "GET /metrics: " << r.Describe() << "\n" << r.body;
    return "";
  }
  return r.body;
}

std::optional<uint64_t> ExporterProcess::RssKib() const {
  std::ifstream status("/proc/" + std::to_string(pid()) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return std::nullopt;
}

}  // namespace tcpdoctor::itest
