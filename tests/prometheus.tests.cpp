// deploy/'s Prometheus files: the configuration and the rules checked by promtool, the rules'
// unit tests (tests/prometheus-rules.test.yml) run by promtool, and a live Prometheus started
// by `deploy/local-cluster --http --prometheus` asked through its HTTP API. Without promtool or
// prometheus installed, the tests that need them pass with a warning (.ci/install-deps
// installs both, from Debian's prometheus package).
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cluster_support.hpp"
#include "prometheus_support.hpp"

using namespace primeloop::test;

namespace {

using clock = std::chrono::steady_clock;

std::string source(const std::string& path) {
  return std::string(PRIMELOOP_SOURCE_DIR) + "/" + path;
}

/// Runs promtool with args; its exit status and what it printed.
std::pair<std::optional<int>, std::string> promtool(const std::string& path,
                                                    std::vector<std::string> args) {
  args.insert(args.begin(), path);
  child_process p(std::move(args));
  auto out = p.read_all();
  return {p.wait(), std::move(out)};
}

/// The first line of a file in the cluster's run directory.
std::string run_file(const local_cluster& cluster, const std::string& name) {
  std::ifstream in(cluster.run_dir() + "/" + name);
  std::string line;
  std::getline(in, line);
  return line;
}

/// The flags of the live tests' instances: a cheap workload, no stats lines, a short grace.
const std::vector<std::string> instance_flags{"--executor",       "threads", "--workload", "trial",
                                              "--stats-interval", "0",       "--grace",    "1"};

/// Asks expr until every sample of it satisfies ok and there are `count` of them, or the
/// deadline passes; the last answer.
template <typename Ok>
std::vector<prom_sample> query_until(std::uint16_t port, const std::string& expr, std::size_t count,
                                     Ok ok) {
  const auto until = clock::now() + default_deadline;
  std::vector<prom_sample> last;
  for (;;) {
    if (auto got = prom_query(port, expr)) last = std::move(*got);
    bool all = last.size() == count;
    for (const auto& s : last) all = all && ok(s);
    if (all || clock::now() >= until) return last;
    // Prometheus announces no new sample: look again soon (it scrapes every 500 ms here).
    pollfd none{};
    ::poll(&none, 0, 100);
  }
}

std::string show(const std::vector<prom_sample>& samples) {
  std::string out;
  for (const auto& s : samples) {
    for (const auto& [k, v] : s.labels) out += k + "=" + v + " ";
    out += "-> " + s.value + "\n";
  }
  return out;
}

}  // namespace

#define PROMTOOL_OR_SKIP(var)                                                              \
  const auto var = installed("promtool");                                                  \
  if (!var) {                                                                              \
    WARN("SKIPPED: promtool is not installed (the prometheus package; .ci/install-deps)"); \
    return;                                                                                \
  }

TEST_CASE("deploy/prometheus.yml passes promtool check config", "[prometheus]") {
  PROMTOOL_OR_SKIP(tool);
  const auto [status, output] =
      promtool(*tool, {"check", "config", source("deploy/prometheus.yml")});
  INFO(output);
  CHECK(status == 0);
  // It found and checked the rule file too.
  CHECK(output.find("SUCCESS: 1 rule files found") != std::string::npos);
}

TEST_CASE("deploy/prometheus-rules.yml passes promtool check rules", "[prometheus]") {
  PROMTOOL_OR_SKIP(tool);
  const auto [status, output] =
      promtool(*tool, {"check", "rules", source("deploy/prometheus-rules.yml")});
  INFO(output);
  CHECK(status == 0);
  CHECK(output.find("SUCCESS: 8 rules found") != std::string::npos);
}

TEST_CASE("Every recording and alerting rule passes its unit tests under promtool test rules",
          "[prometheus]") {
  PROMTOOL_OR_SKIP(tool);
  const auto [status, output] =
      promtool(*tool, {"test", "rules", source("tests/prometheus-rules.test.yml")});
  INFO(output);
  CHECK(status == 0);
  CHECK(output.find("SUCCESS") != std::string::npos);
}

#define PROMETHEUS_OR_SKIP()                                                                  \
  if (!haproxy_installed() || !installed("prometheus")) {                                     \
    WARN("SKIPPED: haproxy or prometheus is not installed (.ci/install-deps installs them)"); \
    return;                                                                                   \
  }

TEST_CASE(
    "Prometheus started by local-cluster --prometheus sees every instance up and a "
    "non-zero request rate under load",
    "[prometheus][cluster]") {
  PROMETHEUS_OR_SKIP();
  local_cluster cluster(3, instance_flags,
                        {"--http", "--prometheus", "--scrape-interval", "500ms"});
  const auto port = static_cast<std::uint16_t>(std::stoul(run_file(cluster, "prometheus.port")));
  // The configuration as the script wrote it (its intervals, its target files) is valid.
  if (const auto tool = installed("promtool")) {
    const auto [status, output] =
        promtool(*tool, {"check", "config", cluster.run_dir() + "/prometheus.yml"});
    INFO(output);
    CHECK(status == 0);
    CHECK(output.find("WARNING") == std::string::npos);
  }
  // Every target answers its scrapes: the three instances and HAProxy.
  const auto up = query_until(port, "up", 4, [](const prom_sample& s) { return s.value == "1"; });
  INFO("up:\n" << show(up));
  REQUIRE(up.size() == 4);
  std::vector<std::string> names;
  for (const auto& s : up) names.push_back(s.labels.at("instance"));
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"haproxy", "s1", "s2", "s3"});
  // HAProxy's own exporter: the backend has its three servers.
  const auto servers = query_until(port, R"(haproxy_backend_active_servers{proxy="primeloop"})", 1,
                                   [](const prom_sample& s) { return s.value == "3"; });
  INFO("haproxy_backend_active_servers:\n" << show(servers));
  CHECK(servers.size() == 1);
  // Requests through the balancer, one connection each (leastconn takes turns): the recorded
  // rate of every instance rises above 0.
  request_stream load(cluster.port(), "1000", "7919");
  const auto rates = query_until(port, "instance:primeloop_requests:rate1m", 3,
                                 [](const prom_sample& s) { return std::stod(s.value) > 0; });
  load.stop();
  INFO("instance:primeloop_requests:rate1m:\n" << show(rates));
  REQUIRE(rates.size() == 3);
  for (const auto& s : rates) {
    INFO(s.labels.at("instance"));
    CHECK(std::stod(s.value) > 0);
  }
  INFO("failures:\n" << load.failures());
  CHECK(load.failed() == 0);
  CHECK(load.answered() > 0);
}

TEST_CASE(
    "Prometheus started by local-cluster ends with it when the script is killed with "
    "SIGKILL",
    "[prometheus][cluster][lifetime]") {
  PROMETHEUS_OR_SKIP();
  const auto mark = unique_mark();
  cluster_launch launch;
  launch.mark = mark;
  local_cluster cluster(1, instance_flags, {"--http", "--prometheus"}, launch);
  const std::string run_dir = cluster.run_dir();
  const auto before = marked_processes(mark);
  INFO("before the kill:\n" << describe(before));
  const auto has_prometheus = std::any_of(before.begin(), before.end(),
                                          [](const auto& p) { return p.command == "prometheus"; });
  CHECK(has_prometheus);
  cluster.signal_script(SIGKILL);
  REQUIRE(cluster.wait_script() == 128 + SIGKILL);
  const auto left = wait_unmarked(mark);
  INFO("left after the kill:\n" << describe(left));
  CHECK(left.empty());
  CHECK(wait_removed(run_dir));
}
