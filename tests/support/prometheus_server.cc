#include "support/prometheus_server.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/exporter_process.h"
#include "support/http_client.h"

namespace tcpdoctor::itest {
namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";

// Scrapes every second, nothing remote, no rules: the smallest configuration that stores the
// exporter's series.
std::string Config(const std::vector<Endpoint>& targets) {
  std::string list;
  for (const Endpoint& t : targets) list += (list.empty() ? "'" : ", '") + t.WithPort() + "'";
  return "global:\n"
         "  scrape_interval: 1s\n"
         "  scrape_timeout: 1s\n"
         "  evaluation_interval: 1s\n"
         "scrape_configs:\n"
         "  - job_name: tcpdoctor\n"
         "    static_configs:\n"
         "      - targets: [" +
         list + "]\n";
}

}  // namespace

PrometheusServer::PrometheusServer(const std::vector<Endpoint>& targets) { Start(targets); }

void PrometheusServer::Start(const std::vector<Endpoint>& targets) {
  ASSERT_TRUE(std::filesystem::exists(kPrometheus))
      << kPrometheus << " is missing: `make deps` installs the Debian package prometheus";
  std::string pattern = ::testing::TempDir() + "/tcpdoctor_prometheus_XXXXXX";
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "mkdtemp: " << std::strerror(errno);
  dir_ = pattern;
  {
    std::ofstream config(dir_ + "/prometheus.yml");
    config << Config(targets);
    ASSERT_TRUE(config.good()) << "cannot write " << dir_ << "/prometheus.yml";
  }
  endpoint_ = *Endpoint::Parse("127.0.0.1", FreeLoopbackPort());
  process_.emplace(
      std::vector<std::string>{kPrometheus, "--config.file=" + dir_ + "/prometheus.yml",
                               "--storage.tsdb.path=" + dir_ + "/data",
                               "--web.listen-address=" + endpoint_.WithPort(), "--log.level=warn"});
  ASSERT_EQ(process_->error(), "") << "cannot start prometheus";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  HttpResponse r;
  while (std::chrono::steady_clock::now() < deadline && process_->Running()) {
    r = HttpGet(endpoint_, "/-/ready", std::chrono::seconds(2));
    if (r.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(r.status, 200) << "prometheus did not get ready: " << r.Describe() << "; "
                           << process_->Stop(SIGKILL).Describe() << "\n"
                           << Log();
  ready_ = true;
}

PrometheusServer::~PrometheusServer() {
  process_.reset();  // SIGKILL and reap, if Stop() was not called
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

ProcessExit PrometheusServer::Stop(std::chrono::milliseconds timeout) {
  if (!process_) return {};
  return process_->Stop(SIGTERM, timeout);
}

std::optional<nlohmann::json> PrometheusServer::Api(const std::string& path_and_query,
                                                    std::string& error) const {
  const HttpResponse r = HttpGet(endpoint_, path_and_query, std::chrono::seconds(10));
  if (r.status != 200 || !r.complete) {
    error = "GET " + path_and_query + ": " + r.Describe() + " " + r.body;
    return std::nullopt;
  }
  nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || doc.value("status", "") != "success" || !doc.contains("data")) {
    error = "GET " + path_and_query + ": not a successful API answer: " + r.body;
    return std::nullopt;
  }
  return doc["data"];
}

std::optional<nlohmann::json> PrometheusServer::Query(const std::string& expr,
                                                      std::string& error) const {
  return Api("/api/v1/query?query=" + UrlEncode(expr), error);
}

std::optional<nlohmann::json> PrometheusServer::Targets(std::string& error) const {
  return Api("/api/v1/targets", error);
}

}  // namespace tcpdoctor::itest
