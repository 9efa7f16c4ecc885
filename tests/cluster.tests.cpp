// End-to-end tests of deploy/: primeloop-server instances behind HAProxy on 127.0.0.1, started
// by deploy/local-cluster. HAProxy's view of each instance comes from its admin socket; every
// wait is for an event (an UP or DOWN, a process gone, a count of requests) with a deadline.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cluster_support.hpp"

using namespace primeloop::test;

namespace {

using clock = std::chrono::steady_clock;

/// Small n and their primes (known values), asked in turn.
const std::vector<std::pair<std::string, std::string>> known{
    {"1", "2"},     {"2", "3"},     {"10", "29"},     {"25", "97"},
    {"100", "541"}, {"168", "997"}, {"1000", "7919"}, {"10000", "104729"}};

/// The flags every cluster test gives its instances: the trial workload (n = 10000 in a
/// millisecond), no stats lines, a short grace (the shutdown of a test cluster waits for it).
std::vector<std::string> flags(std::vector<std::string> more = {}) {
  std::vector<std::string> f{"--workload", "trial", "--stats-interval", "0", "--grace", "1"};
  f.insert(f.end(), more.begin(), more.end());
  return f;
}

}  // namespace

#define SKIP_WITHOUT_HAPROXY()                                                \
  if (!haproxy_installed()) {                                                 \
    WARN("SKIPPED: haproxy is not installed (.ci/install-deps installs it)"); \
    return;                                                                   \
  }

TEST_CASE("Three instances behind HAProxy answer every request, and each gets some", "[cluster]") {
  SKIP_WITHOUT_HAPROXY();
  local_cluster cluster(3, flags({"--executor", "threads"}));
  // 30 connections of 10 pipelined requests each: 300 answers, checked one by one.
  for (std::size_t c = 0; c < 30; ++c) {
    line_client client(cluster.port());
    std::string batch;
    for (std::size_t i = 0; i < 10; ++i) batch += known[(c + i) % known.size()].first + "\n";
    client.send(batch);
    for (std::size_t i = 0; i < 10; ++i) {
      INFO("connection " << c << " request " << i);
      CHECK(client.read_line() == known[(c + i) % known.size()].second);
    }
  }
  // leastconn takes turns among instances equally loaded: each one got connections.
  const auto stats = cluster.stats();
  REQUIRE(stats.size() == 3);
  for (const auto& [name, s] : stats) {
    INFO(name);
    CHECK(s.status == "UP");
    CHECK(s.total > 0);
  }
}

TEST_CASE("local-cluster stops every instance and HAProxy on SIGTERM and exits 0", "[cluster]") {
  SKIP_WITHOUT_HAPROXY();
  local_cluster cluster(2, flags());
  const std::vector<pid_t> pids{cluster.instance_pid(1), cluster.instance_pid(2),
                                cluster.haproxy_pid()};
  const std::string run_dir = cluster.run_dir();
  CHECK(ask(cluster.port(), "10\n") == "29");
  CHECK(cluster.stop() == 0);
  // The script reaped its children before it exited: none of them is left, not even a zombie.
  for (const pid_t pid : pids) {
    INFO("pid " << pid);
    CHECK(::kill(pid, 0) != 0);
  }
  // A run directory the script made goes with it.
  CHECK(::access(run_dir.c_str(), F_OK) != 0);
}

TEST_CASE("An instance killed under load is marked down, and every request after is answered",
          "[cluster]") {
  SKIP_WITHOUT_HAPROXY();
  local_cluster cluster(3, flags({"--executor", "threads"}));
  request_stream load(cluster.port(), "1000", "7919");
  REQUIRE(load.wait_requests(50));
  REQUIRE(::kill(cluster.instance_pid(2), SIGKILL) == 0);
  REQUIRE(cluster.wait_status(2, "DOWN"));
  const auto down = clock::now();
  REQUIRE(load.wait_requests(200));
  load.stop();
  INFO("failures:\n" << load.failures());
  // A request on the killed instance at the moment of the kill may be lost; none sent after
  // HAProxy marked it down (and, thanks to retries with redispatch, usually none at all).
  CHECK(load.failed_since(down) == 0);
}

TEST_CASE("A killed instance restarted on its port rejoins the balancer", "[cluster]") {
  SKIP_WITHOUT_HAPROXY();
  local_cluster cluster(3, flags({"--executor", "threads"}));
  REQUIRE(::kill(cluster.instance_pid(3), SIGKILL) == 0);
  REQUIRE(cluster.wait_status(3, "DOWN"));
  const auto before = cluster.stats().at("s3").total;
  cluster.replace(3);
  REQUIRE(cluster.wait_status(3, "UP"));
  CHECK(ask(cluster.instance_port(3), "10\n") == "29");
  // Requests through the balancer until the replacement has been sent some; each look sends
  // one, so there is no pause between two.
  CHECK(eventually(
      [&] {
        CHECK(ask(cluster.port(), "100\n") == "541");
        return cluster.stats().at("s3").total > before;
      },
      default_deadline, [] {}));
}

// Two ways to restart an instance without losing a request (docs/deploy.md). With the line
// protocol's check, HAProxy cannot see an instance shut down, so `local-cluster --restart`
// takes it out of the balancer first (state drain), waits until its last connection closes,
// and only then sends SIGTERM. With the HTTP face (--http), the check asks /readyz, which
// turns 503 at the signal: a bare SIGTERM takes the instance out by itself, its listeners
// close after --drain-delay (longer than HAProxy's detection), and the drain answers what the
// kernel had already received, connections still queued included.
namespace {

/// Four clients through the balancer while each instance in turn is restarted; no failure.
void rolling_restart(local_cluster& cluster, bool bare) {
  // Four clients, so that at any moment some request is on its way to each instance.
  std::vector<std::unique_ptr<request_stream>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<request_stream>(cluster.port(), "10000", "104729"));
  }
  REQUIRE(clients.front()->wait_requests(20));
  for (int k = 1; k <= 3; ++k) {
    INFO("instance s" << k);
    const pid_t old_pid = cluster.instance_pid(k);
    const auto [status, output] = cluster.restart(k, bare);
    INFO("local-cluster --restart exited with " << status.value_or(-1) << ", printed:\n" << output);
    REQUIRE(status == 0);
    CHECK(cluster.instance_pid(k) != old_pid);
    std::string name = "s";
    name += std::to_string(k);
    CHECK(cluster.stats().at(name).status == "UP");
    REQUIRE(clients.front()->wait_requests(20));
  }
  // Every client is still served, by the three new instances.
  for (const auto& c : clients) REQUIRE(c->wait_requests(5));
  std::string failures;
  std::uint64_t failed = 0, answered = 0;
  for (const auto& c : clients) {
    c->stop();
    failures += c->failures();
    failed += c->failed();
    answered += c->answered();
  }
  INFO("failures:\n" << failures);
  CHECK(failed == 0);
  CHECK(answered >= 80);
}

}  // namespace

TEST_CASE(
    "A rolling restart with local-cluster --restart, one instance after another, loses "
    "no request",
    "[cluster]") {
  SKIP_WITHOUT_HAPROXY();
  local_cluster cluster(3, flags({"--executor", "threads"}));
  rolling_restart(cluster, false);
}

TEST_CASE(
    "A rolling restart with a bare SIGTERM to each instance, checked on /readyz, loses no "
    "request",
    "[cluster][http]") {
  SKIP_WITHOUT_HAPROXY();
  local_cluster cluster(3, flags({"--executor", "threads"}), {"--http"});
  rolling_restart(cluster, true);
}

// Persistent clients: each keeps one connection through the balancer and sends its next request
// only once the last is answered. They never leave by themselves, so a restart cannot wait for
// their connections to close; the instance must end each one where the client can tell (the
// end of stream in its last reply's segment), and the client connects again, to another
// instance, before sending. With a bare SIGTERM and with the admin socket's drain first.
TEST_CASE(
    "Persistent lockstep clients lose no request when an instance restarts, bare or drained "
    "first, and the restart takes seconds",
    "[cluster][http]") {
  SKIP_WITHOUT_HAPROXY();
  local_cluster cluster(3, flags({"--executor", "threads"}), {"--http"});
  std::vector<std::unique_ptr<lockstep_client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<lockstep_client>(cluster.port(), "10000", "104729"));
  }
  for (const auto& c : clients) REQUIRE(c->wait_requests(20));
  const auto reconnects = [&] {
    std::uint64_t n = 0;
    for (const auto& c : clients) n += c->reconnects();
    return n;
  };
  for (const bool bare : {true, false}) {
    const int k = bare ? 2 : 1;
    INFO((bare ? "--restart-bare s" : "--restart s") << k);
    // leastconn spread the four clients over the three instances, and a restart moves its
    // clients to the others: each instance restarted here has some.
    const auto had = cluster.stats().at(k == 2 ? "s2" : "s1").current;
    CHECK(had >= 1);
    const auto before = reconnects();
    const auto start = clock::now();
    const auto [status, output] = cluster.restart(k, bare);
    const auto took = std::chrono::duration<double>(clock::now() - start).count();
    INFO("local-cluster --restart exited with " << status.value_or(-1) << " after " << took
                                                << " s, printed:\n"
                                                << output);
    REQUIRE(status == 0);
    // The drain delay (2 s), the drain itself (a reply's time), a start and two checks: seconds,
    // where waiting for connections that never close would take the whole 30 s deadline.
    CHECK(took < 15.0);
    CHECK(reconnects() - before >= had);
    for (const auto& c : clients) REQUIRE(c->wait_requests(20));
  }
  std::string failures;
  std::uint64_t lost = 0, failed = 0;
  for (const auto& c : clients) {
    c->stop();
    failures += c->failures();
    lost += c->lost();
    failed += c->failed();
  }
  INFO("failures:\n" << failures);
  CHECK(lost == 0);
  CHECK(failed == 0);
}

TEST_CASE("An inline instance frozen by a long request fails its check, and the others answer",
          "[cluster]") {
  SKIP_WITHOUT_HAPROXY();
  // The trial workload takes about a minute for n = 10^7; --request-timeout ends it after 30 s
  // at the latest, and the cluster's SIGTERM sooner.
  local_cluster cluster(3, flags({"--executor", "inline", "--request-timeout", "30"}));
  line_client long_request(cluster.instance_port(1));
  long_request.send("10000000\n");
  REQUIRE(cluster.wait_status(1, "DOWN"));
  // Small requests through the balancer all go to the two instances still answering.
  for (int i = 0; i < 60; ++i) {
    INFO("request " << i);
    const auto& [n, p] = known[static_cast<std::size_t>(i) % known.size()];
    CHECK(ask(cluster.port(), n + "\n") == p);
  }
  const auto stats = cluster.stats();
  CHECK(stats.at("s1").status == "DOWN");
  CHECK(stats.at("s2").status == "UP");
  CHECK(stats.at("s3").status == "UP");
}

// Nothing the script starts outlives it, however it ends. The test marks the script's
// environment, which every process it starts inherits (instances, their workers, HAProxy, a
// replacement started by --restart), and looks for the mark in /proc: a process that lost its
// parent is still found.
TEST_CASE(
    "local-cluster killed with SIGKILL to its process group after a --restart leaves no "
    "process and no run directory",
    "[cluster][lifetime]") {
  SKIP_WITHOUT_HAPROXY();
  const auto mark = unique_mark();
  cluster_launch launch;
  launch.mark = mark;
  local_cluster cluster(2, flags({"--executor", "processes", "--workers", "2"}), {}, launch);
  const std::string run_dir = cluster.run_dir();
  // The replacement is started by the cluster, not by the --restart command, which exits.
  const auto [status, output] = cluster.restart(2);
  INFO("local-cluster --restart printed:\n" << output);
  REQUIRE(status == 0);
  CHECK(ask(cluster.port(), "10\n") == "29");
  const auto before = marked_processes(mark);
  INFO("before the kill:\n" << describe(before));
  // The script, the helper that removes the run directory, 2 instances with 2 workers each,
  // HAProxy.
  CHECK(before.size() >= 8);
  // To the whole process group, which holds the script and whatever it runs in the
  // foreground: the processes it started are in sessions of their own.
  cluster.signal_script(SIGKILL, true);
  REQUIRE(cluster.wait_script() == 128 + SIGKILL);
  const auto left = wait_unmarked(mark);
  INFO("left after the kill:\n" << describe(left));
  CHECK(left.empty());
  CHECK(wait_removed(run_dir));
}

TEST_CASE(
    "SIGHUP to local-cluster's process group, as a closing terminal sends, stops every "
    "instance and HAProxy and exits 0",
    "[cluster][lifetime]") {
  SKIP_WITHOUT_HAPROXY();
  const auto mark = unique_mark();
  cluster_launch launch;
  launch.mark = mark;
  local_cluster cluster(2, flags({"--executor", "threads"}), {"--http"}, launch);
  const std::string run_dir = cluster.run_dir();
  const auto port = cluster.port();
  REQUIRE(ask(port, "10\n") == "29");
  // The instances, HAProxy and the run directory's helper run in sessions of their own: the
  // signal reaches the script alone, which drains and stops them.
  cluster.signal_script(SIGHUP, true);
  CHECK(cluster.wait_script() == 0);
  const auto left = wait_unmarked(mark);
  INFO("left after SIGHUP:\n" << describe(left));
  CHECK(left.empty());
  CHECK(::access(run_dir.c_str(), F_OK) != 0);
  // HAProxy let go of its port.
  CHECK_THROWS(connect_loopback(port));
}

TEST_CASE(
    "local-cluster --restart run from elsewhere starts the server binary and flags the "
    "cluster was started with",
    "[cluster]") {
  SKIP_WITHOUT_HAPROXY();
  // A copy of deploy/ with no build/bin beside it, a server binary under another name given
  // as a relative path, and --restart run from / with no primeloop-server on PATH: only the
  // run directory knows what to start.
  namespace fs = std::filesystem;
  const fs::path top = fs::temp_directory_path() / ("primeloop-restart-" + unique_mark());
  // Removed however the test ends (a failed REQUIRE throws).
  struct remove_at_end {
    fs::path path;
    ~remove_at_end() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } cleanup{top};
  fs::create_directories(top / "deploy");
  fs::create_directories(top / "other");
  const fs::path source(PRIMELOOP_SOURCE_DIR);
  fs::copy_file(source / "deploy/local-cluster", top / "deploy/local-cluster");
  fs::copy_file(source / "deploy/haproxy.cfg", top / "deploy/haproxy.cfg");
  fs::copy_file(bin("primeloop-server"), top / "other/server-copy");
  fs::permissions(top / "deploy/local-cluster", fs::perms::owner_all, fs::perm_options::add);
  fs::permissions(top / "other/server-copy", fs::perms::owner_all, fs::perm_options::add);
  const auto cmdline = [](pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  {
    cluster_launch launch;
    launch.script = (top / "deploy/local-cluster").string();
    launch.server = "other/server-copy";
    launch.cwd = top.string();
    launch.restart_from_elsewhere = true;
    local_cluster cluster(2, flags({"--executor", "threads"}), {}, launch);
    // What the run directory remembers: the server's absolute path and every flag.
    std::ifstream in(cluster.run_dir() + "/command");
    const std::string command(std::istreambuf_iterator<char>(in), {});
    CHECK(command.rfind((top / "other/server-copy").string() + '\0', 0) == 0);
    CHECK(cmdline(cluster.instance_pid(1)) == command + "--port" + '\0' + "0" + '\0');
    const auto [status, output] = cluster.restart(1);
    INFO("local-cluster --restart printed:\n" << output);
    REQUIRE(status == 0);
    const pid_t pid = cluster.instance_pid(1);
    CHECK(fs::read_symlink("/proc/" + std::to_string(pid) + "/exe") == top / "other/server-copy");
    // The same flags, on its port.
    CHECK(cmdline(pid) ==
          command + "--port" + '\0' + std::to_string(cluster.instance_port(1)) + '\0');
    CHECK(ask(cluster.instance_port(1), "10\n") == "29");
    CHECK(cluster.stop() == 0);
  }
}
