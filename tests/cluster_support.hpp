#pragma once
/// A local cluster for end-to-end tests: deploy/local-cluster started as a child (N
/// primeloop-server instances behind HAProxy on 127.0.0.1), HAProxy's view of each instance
/// read from its admin socket, and instances killed or replaced on their own port.
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace primeloop::test {

/// True when HAProxy is installed (the cluster tests need it; .ci/install-deps installs it).
[[nodiscard]] bool haproxy_installed();

/// One instance as HAProxy reports it (a row of `show stat`).
struct server_stat {
  std::string status;         ///< UP, DOWN, DRAIN, MAINT, "UP 1/2", "DOWN 1/2", ...
  std::uint64_t current = 0;  ///< open connections now (scur)
  std::uint64_t total = 0;    ///< connections ever sent to it (stot)
};

/// How a test starts deploy/local-cluster. The script always runs as the leader of a session
/// of its own (setsid), as in a terminal: a signal to its process group reaches it and its
/// foreground commands, nothing of the test.
struct cluster_launch {
  std::string script;  ///< the script's path; empty: the checkout's deploy/local-cluster
  std::string server;  ///< --server; empty: build/bin/primeloop-server
  std::string cwd;     ///< the directory it runs in; empty: the test's
  /// When not empty: PRIMELOOP_TEST_MARK=<mark> in the script's environment, which everything
  /// it starts inherits, so that marked_processes() finds them all, orphans included.
  std::string mark;
  /// --restart run from / with PATH=/usr/bin:/bin, where no primeloop-server can be found.
  bool restart_from_elsewhere = false;
};

/// A process that carries a mark, for a test's message.
struct marked_process {
  pid_t pid = 0;
  std::string command;  ///< /proc/<pid>/comm
};
/// Every live process (zombies excepted) whose environment holds PRIMELOOP_TEST_MARK=<mark>.
[[nodiscard]] std::vector<marked_process> marked_processes(std::string_view mark);
/// Waits until no live process carries the mark; what is left at the deadline (empty: none).
[[nodiscard]] std::vector<marked_process> wait_unmarked(std::string_view mark,
                                                        milliseconds deadline = default_deadline);
/// "pid (comm)" for each, one a line.
[[nodiscard]] std::string describe(const std::vector<marked_process>& processes);
/// A mark no other test of any process on this machine uses.
[[nodiscard]] std::string unique_mark();
/// Waits until path no longer exists.
[[nodiscard]] bool wait_removed(const std::string& path, milliseconds deadline = default_deadline);

/// deploy/local-cluster with `instances` instances running primeloop-server with `flags`;
/// `options` go to the script itself (e.g. --http).
class local_cluster {
 public:
  local_cluster(int instances, std::vector<std::string> flags,
                std::vector<std::string> options = {}, cluster_launch launch = {});
  ~local_cluster();
  local_cluster(const local_cluster&) = delete;
  local_cluster& operator=(const local_cluster&) = delete;

  /// SIGTERM to the script, which stops every instance and HAProxy; its exit status, or
  /// nullopt when it did not exit before the deadline.
  std::optional<int> stop();
  /// Sends sig to the script alone, or to its whole process group (what a terminal does).
  void signal_script(int sig, bool group = false) const;
  /// The script's exit status (128 + signal when a signal ended it), or nullopt at the deadline.
  [[nodiscard]] std::optional<int> wait_script(milliseconds deadline = default_deadline);
  /// The script's pid.
  [[nodiscard]] pid_t script_pid() const { return script_.pid(); }
  /// What the script printed up to "cluster ready on", one line each.
  [[nodiscard]] const std::vector<std::string>& lines() const { return script_.lines(); }
  /// The run directory (instances' pid and port files, HAProxy's config and socket).
  [[nodiscard]] const std::string& run_dir() const { return run_dir_; }
  /// HAProxy's pid.
  [[nodiscard]] pid_t haproxy_pid() const;

  /// HAProxy's port, where clients connect.
  [[nodiscard]] std::uint16_t port() const { return port_; }
  /// Instance k's own port (k = 1..N) and its pid now.
  [[nodiscard]] std::uint16_t instance_port(int k) const {
    return instance_ports_.at(static_cast<std::size_t>(k - 1));
  }
  [[nodiscard]] pid_t instance_pid(int k) const;

  /// `show stat` for the backend's servers, by name (s1, s2, ...).
  [[nodiscard]] std::map<std::string, server_stat> stats() const;
  /// Waits until HAProxy reports instance k with exactly this status (UP, DOWN, ...).
  [[nodiscard]] bool wait_status(int k, std::string_view status,
                                 milliseconds deadline = default_deadline) const;
  /// Sends one command to HAProxy's admin socket and returns its answer.
  std::string admin(std::string_view command) const;

  /// Waits until instance k's process is gone (after a signal the test sent it).
  [[nodiscard]] bool wait_exited(int k, milliseconds deadline = default_deadline);
  /// Starts a new instance k on its old port (after the old one exited); the cluster stops it
  /// at the end like the others.
  void replace(int k);
  /// Runs `deploy/local-cluster --restart sK` (drain, SIGTERM, start on the same port, back in
  /// rotation), or with bare `--restart-bare sK` (SIGTERM alone: a cluster started with
  /// --http); returns its exit status and what it printed.
  [[nodiscard]] std::pair<std::optional<int>, std::string> restart(int k, bool bare = false) const;

 private:
  cluster_launch launch_;
  child_process script_;
  std::string run_dir_;
  std::uint16_t port_ = 0;
  std::vector<std::uint16_t> instance_ports_;
  std::vector<std::string> flags_;
  std::vector<child_process> replacements_;
};

/// One request per connection through the balancer, on a thread, until stopped: how many were
/// answered correctly and how many were not, and when each failure was sent.
class request_stream {
 public:
  /// Asks `n` and expects `want`, on a new connection each time, to port.
  request_stream(std::uint16_t port, std::string n, std::string want);
  ~request_stream();
  request_stream(const request_stream&) = delete;
  request_stream& operator=(const request_stream&) = delete;

  /// Waits until `more` further requests were answered (or failed) after this call.
  [[nodiscard]] bool wait_requests(std::uint64_t more, milliseconds deadline = default_deadline);
  void stop();
  [[nodiscard]] std::uint64_t answered() const { return answered_.load(); }
  [[nodiscard]] std::uint64_t failed() const { return failed_.load(); }
  /// Failed requests that were sent at or after `since` (steady clock).
  [[nodiscard]] std::uint64_t failed_since(std::chrono::steady_clock::time_point since) const;
  /// What the failures were, for the test's message.
  [[nodiscard]] std::string failures() const;

 private:
  void run();

  std::uint16_t port_;
  std::string request_, want_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> answered_{0}, failed_{0};
  mutable std::mutex mutex_;  // guards failures_, written by the thread, read by the test
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> failures_;
  std::thread thread_;
};

/// One persistent connection through the balancer, on a thread, sending a request only once the
/// previous one is answered (lockstep), as most clients do. After each reply it looks, without
/// waiting, whether the server ended the stream with it (docs/protocol.md, "Shutdown"); if so
/// it connects again before the next request. A request that gets no reply (the stream ends or
/// resets first, or nothing comes within 10 s) is lost; a wrong reply is a failure.
class lockstep_client {
 public:
  /// Asks `n` and expects `want`, again and again, to port.
  lockstep_client(std::uint16_t port, std::string n, std::string want);
  ~lockstep_client();
  lockstep_client(const lockstep_client&) = delete;
  lockstep_client& operator=(const lockstep_client&) = delete;

  /// Waits until `more` further requests were answered (or lost, or failed) after this call.
  [[nodiscard]] bool wait_requests(std::uint64_t more, milliseconds deadline = default_deadline);
  void stop();
  [[nodiscard]] std::uint64_t answered() const { return answered_.load(); }
  [[nodiscard]] std::uint64_t lost() const { return lost_.load(); }
  [[nodiscard]] std::uint64_t failed() const { return failed_.load(); }
  /// Times the server ended the stream right after a reply and the client connected again.
  [[nodiscard]] std::uint64_t reconnects() const { return reconnects_.load(); }
  /// What went wrong, one a line, for the test's message.
  [[nodiscard]] std::string failures() const;

 private:
  void run();
  void record(std::string what);

  std::uint16_t port_;
  std::string request_, want_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> answered_{0}, lost_{0}, failed_{0}, reconnects_{0};
  mutable std::mutex mutex_;  // guards failures_
  std::vector<std::string> failures_;
  std::thread thread_;
};

}  // namespace primeloop::test
