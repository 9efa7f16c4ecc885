// Pools that survive, end to end on 127.0.0.1: dead workers, dead clients, a dead
// server, request timeouts and shutdown. Worker processes are found as the server's children in
// /proc; every wait is on an event or a state, with a deadline.
#include <signal.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/workloads.hpp"
#include "pool_support.hpp"

using namespace primeloop::test;

namespace {
using clock = std::chrono::steady_clock;
}  // namespace

TEST_CASE(
    "A killed worker is replaced and its request gets ERR worker died while queued ones are "
    "answered",
    "[pool][processes]") {
  // --offload-above 0: the cheap requests queue in the pool instead of running on the loop.
  auto s = start_server({"--executor", "processes", "--workers", "1", "--stats-interval", "0.05",
                         "--offload-above", "0"});
  const auto first = wait_workers(s, 1);
  REQUIRE(first.size() == 1);

  line_client a(s.port), b(s.port);
  a.send(long_request + "7\n");  // the 7 waits: a cheap request never queues behind a costly one
  REQUIRE(s.proc.wait_for_line("busy 1/1"));
  b.send("10\n");
  REQUIRE(s.proc.wait_for_line("queued 2 busy 1/1"));

  ::kill(first[0], SIGKILL);
  CHECK(a.read_line() == died);
  CHECK(a.read_line() == "17");
  CHECK(b.read_line() == "29");
  CHECK(s.proc.wait_for_line(died_report(first[0])));
  CHECK(s.proc.wait_for_line("crashes 1 kills 0"));  // a death nobody asked for

  const auto second = wait_workers(s, 1, first);
  REQUIRE(second.size() == 1);
  CHECK(ask(s.port, "100\n") == "541");
  CHECK(eventually([&] { return children_of(s.proc.pid(), true).empty(); }));  // reaped
}

TEST_CASE("Workers never outlive a server killed with SIGKILL", "[pool][processes]") {
  auto s = start_server({"--executor", "processes", "--workers", "2", "--stats-interval", "0.05"});
  const auto workers = wait_workers(s, 2);
  REQUIRE(workers.size() == 2);
  line_client a(s.port);
  a.send(long_request);
  REQUIRE(s.proc.wait_for_line("busy 1/2"));

  s.proc.signal(SIGKILL);
  CHECK(s.proc.wait() == 128 + SIGKILL);
  for (const pid_t pid : workers) {
    INFO("worker " << pid);
    CHECK(eventually([&] { return !alive(pid); }, 5s));
  }
}

TEST_CASE("A client that disconnects stops its work in the process pool by replacing the worker",
          "[pool][processes][cancel]") {
  auto s = start_server({"--executor", "processes", "--workers", "1", "--stats-interval", "0.05"});
  const auto first = wait_workers(s, 1);
  REQUIRE(first.size() == 1);
  line_client a(s.port);
  a.send(long_request + long_request);  // one computing, one queued
  REQUIRE(s.proc.wait_for_line("queued 1 busy 1/1"));

  const auto start = clock::now();
  reset(a);
  CHECK(eventually([&] { return !alive(first[0]); }));
  WARN("worker stopped " << std::chrono::duration_cast<milliseconds>(clock::now() - start).count()
                         << " ms after the disconnect");
  CHECK(wait_workers(s, 1, first).size() == 1);
  // The queued request was dropped, not started on the new worker.
  CHECK(s.proc.wait_for_line("in-flight 0 queued 0 busy 0/1"));
  const auto& lines = s.proc.lines();
  CHECK(std::none_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find(died_report(first[0])) != std::string::npos;  // killed on purpose, not "died"
  }));
  // The stats line counts it as a kill; no line ever counts a crash.
  CHECK(s.proc.wait_for_line("crashes 0 kills 1"));
  CHECK(std::none_of(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("crashes 0 ") == std::string::npos && l.rfind("stats: ", 0) == 0;
  }));
  CHECK(ask(s.port, "10\n") == "29");
}

TEST_CASE("A client that disconnects stops its work in the thread pool",
          "[pool][threads][cancel]") {
  auto s = start_server({"--executor", "threads", "--workers", "1", "--stats-interval", "0.05"});
  line_client a(s.port);
  a.send(long_request + long_request);
  REQUIRE(s.proc.wait_for_line("queued 1 busy 1/1"));

  const auto start = clock::now();
  reset(a);
  // busy 0 means the computation returned: the workload saw its stop flag.
  CHECK(s.proc.wait_for_line("in-flight 0 queued 0 busy 0/1"));
  WARN("thread stopped within "
       << std::chrono::duration_cast<milliseconds>(clock::now() - start).count()
       << " ms after the disconnect (stats published every 100 ms)");
  CHECK(cpu_settles(s.proc.pid()));
  CHECK(ask(s.port, "10\n") == "29");
}

TEST_CASE("A request over the timeout gets ERR timeout and its worker process is replaced",
          "[pool][timeout]") {
  for (const std::string ex : {"processes", "threads"}) {
    INFO(ex);
    auto s = start_server(
        {"--executor", ex, "--workers", "1", "--stats-interval", "0", "--request-timeout", "0.3"});
    const auto first = ex == "processes" ? wait_workers(s, 1) : std::vector<pid_t>{};
    line_client c(s.port);
    c.send(long_request + long_request);
    CHECK(c.read_line() == timed_out);
    CHECK(c.read_line() == timed_out);  // waited in the queue past its deadline, or ran over it
    if (ex == "processes") {
      REQUIRE(first.size() == 1);
      CHECK(eventually([&] { return !alive(first[0]); }));
      CHECK(wait_workers(s, 1, first).size() == 1);
    }
    CHECK(ask(s.port, "100\n") == "541");
  }
}

TEST_CASE("SIGTERM answers a request that finishes within the grace period and exits 0",
          "[pool][shutdown]") {
  const auto want = nth_prime(10000);
  for (const std::string ex : {"processes", "threads"}) {
    INFO(ex);
    auto s = start_server(
        {"--executor", ex, "--workers", "2", "--stats-interval", "0.05", "--grace", "60"});
    const auto workers = ex == "processes" ? wait_workers(s, 2) : std::vector<pid_t>{};
    line_client a(s.port);
    a.send("10000\n");  // naive: a fraction of a second
    REQUIRE(s.proc.wait_for_line("busy 1/2"));

    s.proc.signal(SIGTERM);
    CHECK(eventually([&] { return refuses_connections(s.port); }));
    CHECK(a.read_line() == want);
    CHECK(a.wait_closed());
    CHECK(s.proc.wait() == 0);
    for (const pid_t pid : workers) CHECK(eventually([&] { return !alive(pid); }, 5s));
  }
}

TEST_CASE("SIGTERM answers ERR shutting down to work still computing after the grace period",
          "[pool][shutdown]") {
  for (const std::string ex : {"processes", "threads"}) {
    INFO(ex);
    auto s =
        start_server({"--executor", ex, "--workers", "1", "--stats-interval", "0.05", "--grace",
                      "0.3", "--offload-above", "0"});  // the 10 waits in the pool's queue
    const auto workers = ex == "processes" ? wait_workers(s, 1) : std::vector<pid_t>{};
    line_client a(s.port);
    a.send(long_request + "10\n");
    REQUIRE(s.proc.wait_for_line("busy 1/1"));

    s.proc.signal(SIGTERM);
    CHECK(a.read_line() == shutting_down);
    CHECK(a.read_line() == shutting_down);  // queued, never started
    CHECK(a.wait_closed());
    CHECK(s.proc.wait() == 0);
    for (const pid_t pid : workers) CHECK(eventually([&] { return !alive(pid); }, 5s));
  }
}

TEST_CASE("A second signal during the grace period exits at once", "[pool][shutdown]") {
  for (const std::string ex : {"processes", "threads"}) {
    INFO(ex);
    auto s = start_server(
        {"--executor", ex, "--workers", "1", "--stats-interval", "0.05", "--grace", "600"});
    const auto workers = ex == "processes" ? wait_workers(s, 1) : std::vector<pid_t>{};
    line_client a(s.port);
    a.send(long_request);
    REQUIRE(s.proc.wait_for_line("busy 1/1"));

    s.proc.signal(SIGTERM);
    REQUIRE(s.proc.wait_for_line("shutting down"));
    s.proc.signal(SIGINT);
    // Far sooner than the 600 s grace, and with a status that says it was not a clean stop.
    const auto status = s.proc.wait();
    REQUIRE(status);
    CHECK(*status != 0);
    CHECK(a.wait_closed());
    for (const pid_t pid : workers) CHECK(eventually([&] { return !alive(pid); }, 5s));
  }
}

TEST_CASE("Workers and their replacements hold only their own socket", "[pool][processes]") {
  auto s = start_server({"--executor", "processes", "--workers", "2", "--stats-interval", "0"});
  const auto first = wait_workers(s, 2);
  REQUIRE(first.size() == 2);
  // A client connection is open when the replacement is forked: it must not inherit it.
  line_client held(s.port);
  held.send("1\n");
  REQUIRE(held.read_line() == "2");
  ::kill(first[0], SIGKILL);
  const auto now = wait_workers(s, 2, {first[0]});
  REQUIRE(now.size() == 2);

  for (const pid_t pid : now) {
    // Descriptors other than stdin, stdout and stderr. Right after fork a child holds copies of
    // all of the server's until its set-up closes them: wait for that, with a deadline.
    std::vector<std::string> extra;
    const bool alone = eventually([&] {
      extra.clear();
      std::error_code ec;
      for (const auto& fd :
           std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        const int n = std::stoi(fd.path().filename().string());
        if (n > 2) extra.push_back(std::filesystem::read_symlink(fd.path(), ec).string());
      }
      return extra.size() == 1;
    });
    INFO("worker " << pid << " holds " << extra.size() << " descriptors besides stdio");
    CHECK(alone);
    CHECK((extra.size() == 1 && extra[0].rfind("socket:", 0) == 0));
  }
  CHECK(ask(s.port, "10\n") == "29");
}

TEST_CASE("The server survives 50 random worker kills under load and answers every request",
          "[pool][processes][soak]") {
  constexpr int kills = 50;
  constexpr std::size_t workers = 2;
  auto s = start_server({"--executor", "processes", "--workers", std::to_string(workers),
                         "--workload", "trial", "--stats-interval", "0"});
  auto pids = wait_workers(s, workers);
  REQUIRE(pids.size() == workers);

  std::mt19937 rng(4);  // fixed: a failure can be replayed
  std::uniform_int_distribution<std::uint64_t> cheap(1, 3000), costly(10'000, 16'000);
  std::map<std::uint64_t, std::string> primes;
  const auto prime = [&](std::uint64_t n) -> const std::string& {
    auto [it, fresh] = primes.try_emplace(n);
    if (fresh) it->second = nth_prime(n);
    return it->second;
  };

  std::vector<std::unique_ptr<line_client>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(std::make_unique<line_client>(s.port));
  int answered = 0, errors = 0;
  std::vector<pid_t> killed;
  for (int k = 0; k < kills; ++k) {
    std::vector<std::vector<std::uint64_t>> sent(clients.size());
    for (std::size_t c = 0; c < clients.size(); ++c) {
      std::string batch;
      for (int i = 0; i < 8; ++i) {
        const auto n = i % 4 == 0 ? costly(rng) : cheap(rng);
        sent[c].push_back(n);
        batch += std::to_string(n) + "\n";
      }
      clients[c]->send(batch);
    }
    const pid_t victim = pids[std::uniform_int_distribution<std::size_t>(0, workers - 1)(rng)];
    ::kill(victim, SIGKILL);
    killed.push_back(victim);
    for (std::size_t c = 0; c < clients.size(); ++c) {
      for (const auto n : sent[c]) {
        const auto reply = clients[c]->read_line();
        INFO("kill " << k << " client " << c << " n " << n);
        REQUIRE(reply);
        if (reply->rfind("ERR ", 0) == 0) {
          CHECK(*reply == died);
          ++errors;
        } else {
          CHECK(*reply == prime(n));
          ++answered;
        }
      }
    }
    pids = wait_workers(s, workers, killed);
    REQUIRE(pids.size() == workers);
  }
  WARN(answered << " answers and " << errors << " ERR worker died over " << kills << " kills");
  CHECK(errors <= kills);  // only the request a killed worker was computing fails
  CHECK(ask(s.port, "10\n") == "29");
  CHECK(eventually([&] { return children_of(s.proc.pid(), true).empty(); }));  // no zombie
  s.proc.signal(SIGTERM);
  CHECK(s.proc.wait() == 0);
  for (const pid_t pid : pids) CHECK(eventually([&] { return !alive(pid); }, 5s));
}
