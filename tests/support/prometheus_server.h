// A real Prometheus server (/usr/bin/prometheus, Debian package `prometheus`) for the exporter's
// tests: loopback only, its configuration and TSDB in a temporary directory removed afterwards,
// scraping the given targets every second, queried through its HTTP API.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/background_process.h"
#include "support/endpoint.h"

namespace tcpdoctor::itest {

class PrometheusServer {
 public:
  // Starts Prometheus on a free loopback port of the current namespace with one job,
  // "tcpdoctor", scraping `targets` every second, and waits (at most 30 s) until /-/ready
  // answers. Fails the test if it does not (ready() is then false).
  explicit PrometheusServer(const std::vector<Endpoint>& targets);
  ~PrometheusServer();  // kills it if still running, removes the directory
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  bool ready() const { return ready_; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  const Endpoint& endpoint() const { return endpoint_; }

  // GET /api/v1/query?query=EXPR: the "data" of a successful answer ({"resultType", "result"}),
  // or nullopt with `error` set. No gtest assertions.
  std::optional<nlohmann::json> Query(const std::string& expr, std::string& error) const;
  // GET /api/v1/targets: the "data", or nullopt with `error` set.
  std::optional<nlohmann::json> Targets(std::string& error) const;

  // SIGTERM, then waits (at most `timeout`) for it to end; always reaps it.
  ProcessExit Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // What it logged (stderr), for failure messages.
  std::string Log() const { return process_ ? process_->Stderr() : ""; }

 private:
  void Start(const std::vector<Endpoint>& targets);  // sets ready_
  std::optional<nlohmann::json> Api(const std::string& path_and_query, std::string& error) const;

  std::string dir_;
  Endpoint endpoint_;
  std::optional<BackgroundProcess> process_;
  bool ready_ = false;
};

}  // namespace tcpdoctor::itest
