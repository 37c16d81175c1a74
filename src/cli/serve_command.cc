// `tcpdoctor serve`: the Prometheus exporter. Binds, then serves /metrics from collections
// shared between scrapes, until SIGTERM or SIGINT.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "cli/commands.h"
#include "cli/interval.h"
#include "cli/metrics_collection.h"
#include "serve/http_exporter.h"
#include "serve/scrape_cache.h"

namespace tcpdoctor {
namespace {

struct ServeOptions {
  std::string listen = "127.0.0.1:9947";
  std::string min_interval = "5";
  MetricsLimits limits;
  size_t max_connections = 32;
  std::string timeout = "10";
};

constexpr size_t kMaxTop = 1000;

// Seconds for `flag`, from 0 (when `zero` allows it) to an hour; ParseInterval's checks, said
// for this flag.
Result<double> ParseSeconds(const std::string& text, const char* flag, bool zero) {
  auto seconds = ParseInterval(text);
  if (seconds && seconds->has_value()) return **seconds;
  char* end = nullptr;
  if (zero && !text.empty() && std::strtod(text.c_str(), &end) == 0 && *end == '\0') return 0.0;
  return Error{ErrorCode::kInvalidArgument, "bad value '" + text + "'", 0, flag,
               std::string("expected seconds, ") + (zero ? "from 0" : "more than 0") +
                   " to 3600, e.g. " + flag + " 5 or " + flag + " 0.5"};
}

Status CheckTop(size_t value, const char* flag) {
  if (value >= 1 && value <= kMaxTop) return Ok{};
  return Error{ErrorCode::kInvalidArgument, "bad value " + std::to_string(value), 0, flag,
               "expected 1 to " + std::to_string(kMaxTop)};
}

// A warning is printed the first time it is seen: a namespace that cannot be entered would
// otherwise say so at every scrape. Some name a namespace or a count, so the memory of them is
// bounded: past kMaxRememberedWarnings it starts over (and a warning may be printed again).
constexpr size_t kMaxRememberedWarnings = 1024;
WarningSink OnceEach(const WarningSink& warn) {
  auto seen = std::make_shared<std::pair<std::mutex, std::set<std::string>>>();
  return [seen, warn](const std::string& w) {
    std::lock_guard<std::mutex> lock(seen->first);
    if (seen->second.size() >= kMaxRememberedWarnings) seen->second.clear();
    if (seen->second.insert(w).second) warn(w);
  };
}

std::string IndexPage(const ListenAddress& address) {
  return "<!DOCTYPE html>\n<html><head><title>tcpdoctor exporter</title></head><body>\n"
         "<h1>tcpdoctor exporter</h1>\n<p>Prometheus metrics of this host's TCP connections "
         "(version " TCPDOCTOR_VERSION ", listening on " +
         address.ToString() +
         ").</p>\n<ul>\n<li><a href=\"/metrics\">/metrics</a>: the metrics (reference: "
         "docs/metrics.md)</li>\n<li><a href=\"/healthz\">/healthz</a>: liveness</li>\n"
         "</ul>\n</body></html>\n";
}

// Blocks SIGINT and SIGTERM in every thread (threads inherit the mask) and waits for them on
// one thread, which stops the server: no handler, no global.
class StopOnSignal {
 public:
  explicit StopOnSignal(HttpExporter& exporter) : exporter_(exporter) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
    waiter_ = std::thread([this] {
      int signal = 0;
      sigwait(&signals_, &signal);
      // Stop() is ignored until the server runs: repeat until Run() has returned.
      while (!served_.load()) {
        exporter_.Stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  ~StopOnSignal() {
    served_.store(true);
    // Wakes the waiter if no signal came: SIGTERM is blocked, so sigwait() takes it and nothing
    // is terminated.
    pthread_kill(waiter_.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread)
    waiter_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }

 private:
  HttpExporter& exporter_;
  sigset_t signals_{};
  sigset_t previous_{};
  std::atomic<bool> served_{false};
  std::thread waiter_;
};

Status RunServe(const ServeOptions& opts, const GlobalOptions& options, CommandIo& io) {
  if (auto applies = RejectSocketFilters(options, "serve"); !applies) return applies;
  if (options.json) {
    return Error{ErrorCode::kInvalidArgument, "serve has no --json output", 0, "--json",
                 "its output is /metrics, in the Prometheus text format"};
  }
  auto address = ParseListenAddress(opts.listen);
  if (!address) return address.TakeError();
  auto min_interval = ParseSeconds(opts.min_interval, "--min-interval", /*zero=*/true);
  if (!min_interval) return min_interval.TakeError();
  auto timeout = ParseSeconds(opts.timeout, "--timeout", /*zero=*/false);
  if (!timeout) return timeout.TakeError();
  for (const auto& [value, flag] : {std::pair{opts.limits.top_listeners, "--top-listeners"},
                                    std::pair{opts.limits.top_processes, "--top-processes"},
                                    std::pair{opts.limits.top_destinations, "--top-destinations"},
                                    std::pair{opts.limits.top_findings, "--top-findings"},
                                    std::pair{opts.max_connections, "--max-connections"}}) {
    if (auto ok = CheckTop(value, flag); !ok) return ok;
  }
  if (options.netns_given) {  // fail now, not at the first scrape
    if (auto path = ResolveNetnsPath(options.netns); !path) return path.TakeError();
  }

  // Scrapes run on the HTTP workers, and glibc would give each thread its own malloc arena,
  // each keeping the peak of the collections it ran: one arena, trimmed after each collection,
  // keeps the resident size at one collection's peak and gives it back while idle. A fixed
  // mmap threshold (glibc otherwise raises it to the largest block freed so far) keeps the big
  // blocks of a collection or an owner scan mmap'ed, so that each leaves when freed instead of
  // lingering in the heap while the next one is built.
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 128 << 10);
  const WarningSink warn = OnceEach(io.warn);
  auto collection = std::make_shared<MetricsCollection>(options, opts.limits, warn);
  auto cache =
      std::make_shared<ScrapeCache>([collection] { return collection->Collect(); },
                                    std::chrono::duration_cast<ScrapeCache::Clock::duration>(
                                        std::chrono::duration<double>(*min_interval)));
  HttpLimits limits;
  limits.max_connections = opts.max_connections;
  // Rounded up: a sub-millisecond --timeout must not become 0, a deadline always passed.
  limits.timeout =
      std::chrono::ceil<std::chrono::milliseconds>(std::chrono::duration<double>(*timeout));
  auto exporter =
      HttpExporter::Bind(*address, limits, {[cache] { return cache->Get(); }, IndexPage(*address)});
  if (!exporter) return exporter.TakeError();
  if (!address->IsLoopback()) {
    io.warn("listening on " + address->ToString() +
            ", beyond loopback: anyone who can reach it can read this host's connections");
  }
  io.out << "tcpdoctor: serving http://" << address->ToString()
         << "/metrics (Ctrl-C or SIGTERM stops)" << std::endl;
  StopOnSignal stop(**exporter);
  return (*exporter)->Run();
}

}  // namespace

Command ServeCommand() {
  return Command{
      "serve",
      "Prometheus exporter: /metrics with states, listeners' queues, processes, port budgets, "
      "kernel counters, sysctls and the checkup's findings (reference: docs/metrics.md)",
      "  tcpdoctor serve                                # http://127.0.0.1:9947/metrics\n"
      "  tcpdoctor serve --listen 0.0.0.0:9947          # reachable from other hosts\n"
      "  tcpdoctor serve --all-netns                    # every namespace (containers) as "
      "netns=...\n"
      "  tcpdoctor serve --netns blue --min-interval 15 # one namespace, one collection per 15 s",
      [](CLI::App& sub) {
        auto opts = std::make_shared<ServeOptions>();
        sub.add_option("--listen", opts->listen,
                       "ADDR:PORT to serve on (default 127.0.0.1:9947; [::1]:9947 for IPv6)");
        sub.add_option("--min-interval", opts->min_interval,
                       "Scrapes within SECONDS of the last collection share it (default 5; 0: "
                       "collect at every scrape, still one at a time)");
        sub.add_option("--top-listeners", opts->limits.top_listeners,
                       "Listeners with their own series (default 20; the rest are summed)");
        sub.add_option("--top-processes", opts->limits.top_processes,
                       "Processes with their own series (default 10)");
        sub.add_option("--top-destinations", opts->limits.top_destinations,
                       "Destinations with their own series (default 10)");
        sub.add_option("--top-findings", opts->limits.top_findings,
                       "Findings per rule with their own series (default 5)");
        sub.add_option("--max-connections", opts->max_connections,
                       "Connections served at once, a thread each (default 32); more wait in "
                       "the kernel's listen queue");
        sub.add_option("--timeout", opts->timeout,
                       "Seconds a client has to send its whole request, and again to read the "
                       "answer (default 10); a slower one is cut off");
        return [opts](const GlobalOptions& options, CommandIo& io) {
          return RunServe(*opts, options, io);
        };
      },
      /*sums_namespaces=*/true};
}

}  // namespace tcpdoctor
