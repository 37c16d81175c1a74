// `tcpdoctor serve` as an operator meets it: bad arguments get one line and exit 2, a taken port
// exit 1; SIGTERM and SIGINT stop it with exit 0 at once, connections in flight included; the
// routes and methods answer as documented; scrapes within --min-interval share a collection;
// and rates are measured between collections, so a finding that needs one (an accept queue
// that overflowed between two scrapes) appears.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include "support/exporter_process.h"
#include "support/http_client.h"
#include "support/kernel_counters.h"
#include "support/loopback_sockets.h"
#include "support/netns_sandbox.h"
#include "support/observer_netns.h"
#include "support/one_line_error.h"
#include "support/ss_table.h"
#include "support/tcpdoctor_runner.h"
#include "unit/exposition.h"

namespace tcpdoctor::itest {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Short, so that an exporter that served after all cannot hang the test.
const CommandOptions kBounded{seconds(5), std::nullopt, {}};

constexpr const char* kExpositionType = "text/plain; version=0.0.4; charset=utf-8";

test_util::Exposition Parse(const std::string& text) { return test_util::ParseExposition(text); }

double Value(const test_util::Exposition& e, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  const auto value = e.Value(name, labels);
  EXPECT_TRUE(value.has_value()) << name << " missing";
  return value ? std::stod(*value) : -1;
}

TEST(ServeCliTest, BadArgumentsGetOneLineAndExit2) {
  RunInNetns([] {
    const std::vector<BadInput> inputs = {
        {{"serve", "--listen", "127.0.0.1"}, kUsage, {"--listen", "no port", "ADDR:PORT"}},
        {{"serve", "--listen", "127.0.0.1:0"}, kUsage, {"--listen", "1 to 65535"}},
        {{"serve", "--listen", "127.0.0.1:65536"}, kUsage, {"--listen", "1 to 65535"}},
        {{"serve", "--listen", "localhost:9947"}, kUsage, {"not a numeric IP address"}},
        {{"serve", "--listen", "::1:9947"}, kUsage, {"brackets"}},
        {{"serve", "--listen", "[::1]"}, kUsage, {"brackets"}},
        {{"serve", "--listen", ""}, kUsage, {"--listen"}},
        {{"serve", "--json"}, kUsage, {"--json", "Prometheus text format"}},
        {{"--json", "serve"}, kUsage, {"--json"}},
        {{"serve", "--port", "80"}, kUsage, {"--port", "does not apply"}},
        {{"serve", "--state", "listen"}, kUsage, {"--state", "does not apply"}},
        {{"serve", "--addr", "10.0.0.0/8"}, kUsage, {"--addr", "does not apply"}},
        {{"serve", "--comm", "nginx"}, kUsage, {"--comm", "does not apply"}},
        {{"serve", "-6"}, kUsage, {"-6", "does not apply"}},
        {{"serve", "--netns", "tcpdoctor-no-such-ns"}, kUsage, {"tcpdoctor-no-such-ns"}},
        {{"serve", "--netns", "/proc/999999999/ns/net"}, kUsage, {"/proc/999999999/ns/net"}},
        {{"serve", "--top-listeners", "0"}, kUsage, {"--top-listeners", "1 to 1000"}},
        {{"serve", "--top-processes", "1001"}, kUsage, {"--top-processes", "1 to 1000"}},
        {{"serve", "--top-destinations", "-1"}, kUsage, {"--top-destinations"}},
        {{"serve", "--top-findings", "abc"}, kUsage, {"--top-findings: 'abc' is not a number"}},
        {{"serve", "--max-connections", "0"}, kUsage, {"--max-connections", "1 to 1000"}},
        {{"serve", "--min-interval", "-1"}, kUsage, {"--min-interval", "'-1'", "from 0"}},
        {{"serve", "--min-interval", "abc"}, kUsage, {"--min-interval", "'abc'"}},
        {{"serve", "--min-interval", "3601"}, kUsage, {"--min-interval", "3600"}},
        {{"serve", "--timeout", "0"}, kUsage, {"--timeout", "'0'", "more than 0"}},
        {{"serve", "--timeout", "1s"}, kUsage, {"--timeout", "'1s'"}},
        {{"serve", "extra"}, kUsage, {"'extra'"}},
        // Runtime, not usage: an address no interface has.
        {{"serve", "--listen", "10.255.1.2:9947"}, 1, {"10.255.1.2:9947", "ip -brief address"}},
    };
    for (const BadInput& input : inputs) {
      ExpectOneLineError(RunTcpdoctor(input.args, kBounded), input);
    }
  });
}

TEST(ServeCliTest, ASecondExporterOnTheSamePortFailsAndTheFirstKeepsServing) {
  RunInNetns([] {
    ExporterProcess first({});
    ASSERT_TRUE(first.ready());
    const std::string at = first.endpoint().WithPort();
    ExpectOneLineError(RunTcpdoctor({"serve", "--listen", at}, kBounded),
                       {{"serve", "--listen", at}, 1, {at, "Address already in use", "port"}});
    EXPECT_EQ(first.Get("/healthz").status, 200);
    EXPECT_NE(first.Scrape(), "");
    EXPECT_EQ(first.process().Stderr(), "");
  });
}

// SIGTERM and SIGINT end it with exit 0 at once, even with clients connected that would hold a
// connection until --timeout.
TEST(ServeCliTest, SigtermAndSigintStopItPromptly) {
  RunInNetns([] {
    for (const int signal : {SIGTERM, SIGINT}) {
      ExporterProcess exporter({"--timeout", "30"});
      ASSERT_TRUE(exporter.ready());
      EXPECT_NE(exporter.Scrape(), "");
      // A silent client and one that sent half a request, both in the exporter's hands.
      Connection silent = ConnectAndWait(exporter.endpoint());
      Connection half = ConnectAndWait(exporter.endpoint());
      ASSERT_TRUE(silent.fd && half.fd);
      const std::string part = "GET /metrics HTTP/1.1\r\nHost: x";
      ASSERT_EQ(::send(half.fd.get(), part.data(), part.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(part.size()));
      std::this_thread::sleep_for(milliseconds(200));
      const pid_t pid = exporter.pid();
      const ProcessExit stopped = exporter.Stop(signal, seconds(5));
      EXPECT_TRUE(stopped.exited) << "signal " << signal << ": " << stopped.Describe();
      EXPECT_EQ(stopped.exit_code, 0) << "signal " << signal << ": " << stopped.Describe();
      EXPECT_LT(stopped.took, milliseconds(1000)) << "signal " << signal;
      EXPECT_FALSE(ProcessExists(pid));
      EXPECT_EQ(exporter.process().Stderr(), "") << "signal " << signal;
      // The clients see the connection end.
      EXPECT_TRUE(
          WaitUntil([&] { return StateOf(silent.fd.get()) != State::kEstablished; }, seconds(2)));
    }
  });
}

// Every answer says "Connection: close" and the exporter waits for the client's FIN before it
// closes: the scraper closes first, so each scrape's TIME_WAIT is on the scraper's ephemeral
// port, not on the exporter's (where the exporter's own checkup would see a server closing
// first). A client that waits for the server to close still gets its answer, later.
TEST(ServeCliTest, ScrapersCloseFirstSoTheirTimeWaitIsNotTheExporters) {
  RunInNetns([] {
    ExporterProcess exporter({"--min-interval", "600"});
    ASSERT_TRUE(exporter.ready());
    const uint16_t port = exporter.endpoint().port;
    constexpr int kScrapes = 7;
    for (int i = 0; i < kScrapes; ++i) {
      const HttpResponse r = exporter.Get(i % 2 == 0 ? "/metrics" : "/healthz");
      ASSERT_EQ(r.status, 200) << r.Describe();
      EXPECT_LT(r.took, milliseconds(400)) << "the answer must not wait for the close";
    }
    const SsResult ss = RunSs({"state", "time-wait"}, State::kTimeWait);
    ASSERT_EQ(ss.error, "");
    int on_exporter = 0;
    int on_scrapers = 0;
    for (const SocketTuple& t : ss.rows) {
      if (t.local.port == port) ++on_exporter;
      if (t.remote.port == port) ++on_scrapers;
    }
    EXPECT_EQ(on_exporter, 0);
    EXPECT_EQ(on_scrapers, kScrapes + 1);  // and the /healthz that found the exporter ready

    // A client that reads until the server closes (ignoring Content-Length) gets the whole
    // answer once the exporter gives up waiting for its FIN, after about half a second.
    Connection c = ConnectAndWait(exporter.endpoint());
    ASSERT_TRUE(c.fd);
    ::fcntl(c.fd.get(), F_SETFL, ::fcntl(c.fd.get(), F_GETFL) & ~O_NONBLOCK);
    const timeval bound{5, 0};  // a blocking read that cannot hang the test
    ::setsockopt(c.fd.get(), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
    const std::string request = "GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n";
    ASSERT_EQ(::send(c.fd.get(), request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    const auto start = std::chrono::steady_clock::now();
    std::string answer;
    char buf[4096];
    for (ssize_t n; (n = ::recv(c.fd.get(), buf, sizeof buf, 0)) > 0;) {
      answer.append(buf, static_cast<size_t>(n));
    }
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(answer.substr(0, 15), "HTTP/1.1 200 OK") << answer;
    EXPECT_TRUE(answer.ends_with("\r\n\r\nok\n")) << answer;
    EXPECT_GE(waited, milliseconds(400));
    EXPECT_LT(waited, seconds(3));
  });
}

TEST(ServeCliTest, RoutesMethodsAndHead) {
  RunInNetns([] {
    // One collection for the whole test: HEAD and GET describe the same body.
    ExporterProcess exporter({"--min-interval", "600"});
    ASSERT_TRUE(exporter.ready());
    const Endpoint at = exporter.endpoint();

    const HttpResponse health = exporter.Get("/healthz");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, "ok\n");
    const HttpResponse index = exporter.Get("/");
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.Header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(index.body.find("href=\"/metrics\""), std::string::npos) << index.body;
    EXPECT_NE(index.body.find(at.WithPort()), std::string::npos) << index.body;
    EXPECT_EQ(exporter.Get("/nope").status, 404);
    EXPECT_EQ(exporter.Get("/metrics/extra").status, 404);

    const HttpResponse get = exporter.Get("/metrics");
    ASSERT_EQ(get.status, 200) << get.Describe();
    EXPECT_EQ(get.Header("content-type"), kExpositionType);
    EXPECT_EQ(get.Header("connection"), "close");  // one request per connection
    const HttpResponse head = HttpExchange(
        at, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {seconds(5), true});
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.Header("content-length"), std::to_string(get.body.size()));
    EXPECT_EQ(head.Header("content-type"), kExpositionType);
    // Read as if it were a GET: nothing follows the headers.
    const HttpResponse head_as_get = HttpExchange(
        at, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {seconds(5), false});
    EXPECT_EQ(head_as_get.body, "");

    for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
      for (const char* path : {"/metrics", "/healthz", "/"}) {
        const HttpResponse r = HttpExchange(at, std::string(method) + " " + path +
                                                    " HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                                    "2\r\n\r\n{}");
        EXPECT_EQ(r.status, 405) << method << " " << path << ": " << r.Describe();
        EXPECT_EQ(r.Header("allow"), "GET, HEAD") << method << " " << path;
      }
      const HttpResponse elsewhere =
          HttpExchange(at, std::string(method) + " /nope HTTP/1.1\r\nHost: x\r\n\r\n");
      EXPECT_EQ(elsewhere.status, 404) << method << ": " << elsewhere.Describe();
    }
    const ProcessExit stopped = exporter.Stop();
    EXPECT_TRUE(stopped.exited && stopped.exit_code == 0) << stopped.Describe();
  });
}

// Scrapes within --min-interval of a collection get that collection: the same body, and the
// collections counter does not move; the first scrape after it makes a new one.
TEST(ServeCliTest, ScrapesWithinTheMinIntervalShareACollection) {
  RunInNetns([] {
    constexpr int kMinInterval = 2;
    ExporterProcess exporter({"--min-interval", std::to_string(kMinInterval)});
    ASSERT_TRUE(exporter.ready());
    const auto start = std::chrono::steady_clock::now();
    const std::string first = exporter.Scrape();
    const std::string second = exporter.Scrape();
    ASSERT_LT(std::chrono::steady_clock::now() - start, seconds(kMinInterval) / 2)
        << "this machine is too slow for the test: both scrapes must fall in the interval";
    EXPECT_EQ(first, second);
    const auto one = Parse(first);
    EXPECT_EQ(Value(one, "tcpdoctor_exporter_collections_total"), 1);

    std::this_thread::sleep_until(start + seconds(kMinInterval) + milliseconds(100));
    const auto third = Parse(exporter.Scrape());
    EXPECT_EQ(Value(third, "tcpdoctor_exporter_collections_total"), 2);
    EXPECT_GT(Value(third, "tcpdoctor_exporter_collection_timestamp_seconds"),
              Value(one, "tcpdoctor_exporter_collection_timestamp_seconds"));

    // --min-interval 0: every scrape collects anew.
    ExporterProcess eager({"--min-interval", "0.0"});
    ASSERT_TRUE(eager.ready());
    for (int i = 1; i <= 3; ++i) {
      EXPECT_EQ(Value(Parse(eager.Scrape()), "tcpdoctor_exporter_collections_total"), i);
    }
  });
}

int64_t ListenOverflows() {
  std::string error;
  const CounterValues counters = ReadProcCounters(error);
  EXPECT_EQ(error, "");
  const auto it = counters.find("TcpExt.ListenOverflows");
  return it == counters.end() ? -1 : it->second;
}

// Overflows a listener's accept queue (backlog 1: it holds 2), then accepts and closes
// everything: the queue is empty again, only the counter remembers.
void OverflowAndDrain(int listener, const Endpoint& at) {
  const int64_t before = ListenOverflows();
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 6; ++i) clients.push_back(ConnectNoWait(at).fd);
  ASSERT_TRUE(WaitUntil([&] { return ListenOverflows() > before; }))
      << "ListenOverflows did not rise";
  std::vector<UniqueFd> accepted;
  for (int i = 0; i < 2; ++i) accepted.push_back(AcceptOne(listener));
  clients.clear();
  accepted.clear();
  ASSERT_TRUE(WaitUntil([&] {
    const auto listeners = RunSsListeners();
    return listeners.error.empty() && listeners.rows.size() == 1 && listeners.rows[0].recv_q == 0;
  }));
}

// What the population namespace tells the observer at each step.
std::string Step(int step, const Endpoint& at) {
  return nlohmann::json{
      {"step", step}, {"port", std::to_string(at.port)}, {"overflows", ListenOverflows()}}
      .dump();
}

// A finding that needs a rate: ListenOverflows rising between two collections, while no queue
// is full at either. The first collection has no earlier sample, so overflows from before the
// exporter started do not count; the next collection without new overflows clears it.
TEST(ServeCliTest, AnOverflowBetweenTwoScrapesIsAFinding) {
  std::optional<ExporterProcess> exporter;  // in the observer namespace, across its steps
  RunWithObserverNetns(
      [] {
        Endpoint at;
        UniqueFd listener = Listen(*Endpoint::Parse("127.0.0.1"), 1, &at);
        ASSERT_TRUE(listener);
        // Overflows before the exporter starts: history it must not report as a rate.
        ASSERT_NO_FATAL_FAILURE(OverflowAndDrain(listener.get(), at));
        HandOffToHost(Step(1, at));  // the exporter starts and scrapes twice: no finding
        ASSERT_NO_FATAL_FAILURE(OverflowAndDrain(listener.get(), at));
        HandOffToHost(Step(2, at));  // it scrapes: the finding
        HandOffToHost(Step(3, at));  // it scrapes again, no new overflow: no finding
      },
      [&](pid_t pid, const std::string& payload) {
        const auto step = nlohmann::json::parse(payload);
        const std::string netns = "/proc/" + std::to_string(pid) + "/ns/net";
        const std::map<std::string, std::string> listener = {
            {"netns", netns}, {"address", "127.0.0.1"}, {"port", step["port"]}};
        const std::map<std::string, std::string> finding = {
            {"netns", netns},
            {"rule", "accept-queue-overflow"},
            {"subject", "127.0.0.1:" + step["port"].get<std::string>()}};
        const auto check = [&](const test_util::Exposition& e, bool expected) {
          const auto found = e.Find("tcpdoctor_finding", finding);
          EXPECT_EQ(found.size(), expected ? 1u : 0u) << "step " << step["step"];
          if (expected && found.size() == 1) {
            EXPECT_EQ(found[0]->value, "1");
            // Critical from 10 overflows a second: a few within a fraction of a second are.
            const std::string severity = found[0]->labels.at("severity");
            EXPECT_TRUE(severity == "warning" || severity == "critical") << severity;
            EXPECT_GE(Value(e, "tcpdoctor_findings", {{"netns", netns}, {"severity", severity}}),
                      1);
          }
          EXPECT_EQ(Value(e, "tcpdoctor_kernel_listen_overflows_total", {{"netns", netns}}),
                    step["overflows"].get<int64_t>());
          // The queue is empty at every collection: only the rate can tell.
          EXPECT_EQ(e.Sum("tcpdoctor_listener_accept_queue_connections", listener), 0);
          EXPECT_EQ(e.Find("tcpdoctor_listener_accept_queue_connections", listener).size(), 1u);
        };
        switch (step["step"].get<int>()) {
          case 1:
            exporter.emplace(std::vector<std::string>{"--netns", netns, "--min-interval", "0"});
            ASSERT_TRUE(exporter->ready());
            check(Parse(exporter->Scrape()), false);
            check(Parse(exporter->Scrape()), false);
            break;
          case 2:
            ASSERT_TRUE(exporter.has_value());
            check(Parse(exporter->Scrape()), true);
            break;
          default:
            ASSERT_TRUE(exporter.has_value());
            check(Parse(exporter->Scrape()), false);
            const ProcessExit stopped = exporter->Stop();
            EXPECT_TRUE(stopped.exited && stopped.exit_code == 0) << stopped.Describe();
            exporter.reset();
        }
      });
}

}  // namespace
}  // namespace tcpdoctor::itest
