#include "cluster_support.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace primeloop::test {
namespace {

using clock = std::chrono::steady_clock;

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(field);
  return out;
}

std::string default_script() {
  return std::string(PRIMELOOP_SOURCE_DIR) + "/deploy/local-cluster";
}

/// The name of the environment variable a cluster_launch's mark goes in.
constexpr std::string_view mark_variable = "PRIMELOOP_TEST_MARK=";

/// argv run through env(1), which sets the mark and the directory, and setsid(1), which makes
/// the script the leader of its own session (a spawned child is not a group leader, so setsid
/// does not fork: the pid stays the script's).
std::vector<std::string> in_session(const cluster_launch& launch, std::vector<std::string> argv) {
  std::vector<std::string> out{"/usr/bin/env"};
  if (!launch.cwd.empty()) out.insert(out.end(), {"-C", launch.cwd});
  if (!launch.mark.empty()) out.push_back(std::string(mark_variable) + launch.mark);
  out.push_back("/usr/bin/setsid");
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

/// "s<k>", the name local-cluster gives instance k (built by appending: GCC 12 warns falsely
/// about "s" + std::to_string(k)).
std::string instance_name(int k) {
  std::string name = "s";
  name += std::to_string(k);
  return name;
}

}  // namespace

bool haproxy_installed() {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    if (::access((std::string(dir) + "/haproxy").c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::vector<marked_process> marked_processes(std::string_view mark) {
  const std::string needle = std::string(mark_variable) + std::string(mark);
  std::vector<marked_process> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    // A zombie's environment reads empty, and so does a kernel thread's: both are left out.
    std::ifstream env(entry.path() / "environ");
    bool found = false;
    for (std::string var; !found && std::getline(env, var, '\0');) found = var == needle;
    if (!found) continue;
    std::ifstream comm(entry.path() / "comm");
    marked_process p{static_cast<pid_t>(std::stol(name)), {}};
    std::getline(comm, p.command);
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<marked_process> wait_unmarked(std::string_view mark, milliseconds deadline) {
  std::vector<marked_process> left;
  eventually(
      [&] {
        left = marked_processes(mark);
        return left.empty();
      },
      deadline);
  return left;
}

std::string describe(const std::vector<marked_process>& processes) {
  std::string out;
  for (const auto& p : processes) out += std::to_string(p.pid) + " (" + p.command + ")\n";
  return out;
}

std::string unique_mark() {
  static int n = 0;
  return std::to_string(::getpid()) + "-" + std::to_string(++n);
}

bool wait_removed(const std::string& path, milliseconds deadline) {
  return eventually([&] { return ::access(path.c_str(), F_OK) != 0; }, deadline);
}

local_cluster::local_cluster(int instances, std::vector<std::string> flags,
                             std::vector<std::string> options, cluster_launch launch)
    : launch_(std::move(launch)),
      script_([&] {
        if (launch_.script.empty()) launch_.script = default_script();
        if (launch_.server.empty()) launch_.server = bin("primeloop-server");
        std::vector<std::string> argv{launch_.script, "--instances", std::to_string(instances),
                                      "--port",       "0",           "--server",
                                      launch_.server};
        argv.insert(argv.end(), options.begin(), options.end());
        argv.push_back("--");
        argv.insert(argv.end(), flags.begin(), flags.end());
        return in_session(launch_, std::move(argv));
      }()),
      flags_(std::move(flags)) {
  const auto until = clock::now() + default_deadline;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - clock::now());
    auto line = script_.read_line(std::max(left, milliseconds{0}));
    if (!line) {
      std::string all;
      for (const auto& l : script_.lines()) all += l + "\n";
      throw std::runtime_error("local-cluster did not get ready:\n" + all);
    }
    if (line->rfind("run dir: ", 0) == 0) run_dir_ = line->substr(9);
    if (line->rfind("instance ", 0) == 0) {
      instance_ports_.push_back(
          static_cast<std::uint16_t>(std::stoul(line->substr(line->rfind(' ') + 1))));
    }
    if (line->rfind("cluster ready on ", 0) == 0) {
      port_ = static_cast<std::uint16_t>(std::stoul(line->substr(line->rfind(':') + 1)));
      return;
    }
  }
}

local_cluster::~local_cluster() {
  // Replacements first: they are this process's children, which only this process can reap
  // (the script would see them as zombies, alive, until its deadline).
  for (auto& r : replacements_) r.signal(SIGTERM);
  for (auto& r : replacements_) (void)r.wait();
  if (stop()) return;
  // The script did not stop its cluster in time: stop what its run directory lists, so that
  // no instance or HAProxy outlives the test.
  std::vector<std::string> files{"haproxy.pid"};
  for (std::size_t k = 1; k <= instance_ports_.size(); ++k) {
    files.push_back(instance_name(static_cast<int>(k)) + ".pid");
  }
  for (const auto& f : files) {
    const auto pid = std::atol(read_file(run_dir_ + "/" + f).c_str());
    if (pid > 0) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
}

std::optional<int> local_cluster::stop() {
  script_.signal(SIGTERM);
  return script_.wait();
}

void local_cluster::signal_script(int sig, bool group) const {
  if (group) {
    ::kill(-script_.pid(), sig);
  } else {
    script_.signal(sig);
  }
}

std::optional<int> local_cluster::wait_script(milliseconds deadline) {
  return script_.wait(deadline);
}

pid_t local_cluster::haproxy_pid() const {
  return static_cast<pid_t>(std::stol(read_file(run_dir_ + "/haproxy.pid")));
}

pid_t local_cluster::instance_pid(int k) const {
  return static_cast<pid_t>(std::stol(read_file(run_dir_ + "/" + instance_name(k) + ".pid")));
}

std::string local_cluster::admin(std::string_view command) const {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = run_dir_ + "/haproxy.sock";
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  std::string out;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string line = std::string(command) + "\n";
    if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(line.size())) {
      // HAProxy answers a command sent alone and closes the connection.
      char buf[8192];
      for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) break;
        const ssize_t r = ::read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        out.append(buf, static_cast<std::size_t>(r));
      }
    }
  }
  ::close(fd);
  return out;
}

std::map<std::string, server_stat> local_cluster::stats() const {
  std::map<std::string, server_stat> out;
  std::istringstream in(admin("show stat"));
  std::string line;
  std::vector<std::string> header;
  while (std::getline(in, line)) {
    if (line.rfind("# ", 0) == 0) {
      header = split(line.substr(2), ',');
      continue;
    }
    const auto fields = split(line, ',');
    if (header.empty() || fields.size() < 2 || fields[0] != "primeloop") continue;
    if (fields[1] == "BACKEND") continue;
    server_stat s;
    for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i) {
      if (header[i] == "status") s.status = fields[i];
      if (header[i] == "scur") s.current = std::stoull(fields[i]);
      if (header[i] == "stot") s.total = std::stoull(fields[i]);
    }
    out[fields[1]] = s;
  }
  return out;
}

bool local_cluster::wait_status(int k, std::string_view status, milliseconds deadline) const {
  // No descriptor announces HAProxy's view of a server: look until the deadline.
  const std::string name = instance_name(k);
  return eventually(
      [&] {
        const auto all = stats();
        const auto it = all.find(name);
        return it != all.end() && it->second.status == status;
      },
      deadline);
}

bool local_cluster::wait_exited(int k, milliseconds deadline) {
  // A replacement is the test's own child: wait for it. An original is the script's child: it
  // is gone once the script has reaped it.
  const pid_t pid = instance_pid(k);
  for (auto& r : replacements_) {
    if (r.pid() == pid) return r.wait(deadline).has_value();
  }
  return eventually([&] { return ::kill(pid, 0) != 0; }, deadline);
}

void local_cluster::replace(int k) {
  const std::uint16_t port = instance_port(k);
  std::vector<std::string> argv{bin("primeloop-server"), "--bind", "127.0.0.1", "--port",
                                std::to_string(port)};
  argv.insert(argv.end(), flags_.begin(), flags_.end());
  // The port came from the kernel's ephemeral range: for a moment, a connection some program
  // made may hold it as its local port ("address in use"). It is free once that one closes, so
  // a replacement that exits at once is tried again, until the deadline.
  std::string last = "(nothing)";
  bool stuck = false;
  const bool started = eventually([&] {
    child_process p(argv);
    const auto line = p.read_line();
    if (line && line->rfind("listening on ", 0) == 0) {
      std::ofstream(run_dir_ + "/" + instance_name(k) + ".pid") << p.pid() << "\n";
      replacements_.push_back(std::move(p));
      return true;
    }
    last = line.value_or("(nothing)");
    stuck = !p.wait(milliseconds{1000});  // neither listening nor gone: not a busy port
    return stuck;
  });
  if (!started || stuck) {
    throw std::runtime_error("replacement " + instance_name(k) + " did not start: " + last);
  }
}

std::pair<std::optional<int>, std::string> local_cluster::restart(int k, bool bare) const {
  std::vector<std::string> argv{launch_.script, "--run-dir", run_dir_,
                                bare ? "--restart-bare" : "--restart", instance_name(k)};
  if (launch_.restart_from_elsewhere) {
    argv.insert(argv.begin(), {"/usr/bin/env", "-C", "/", "PATH=/usr/bin:/bin"});
  }
  child_process p(std::move(argv));
  auto out = p.read_all();
  return {p.wait(), std::move(out)};
}

}  // namespace primeloop::test
