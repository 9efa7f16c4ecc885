// The clients of the cluster tests (tests/cluster_support.hpp): one request per connection
// (request_stream) and one persistent connection in lockstep (lockstep_client), each on a
// thread of its own, counting what was answered and what was not.
#include <exception>
#include <optional>
#include <utility>

#include "cluster_support.hpp"

namespace primeloop::test {

using clock = std::chrono::steady_clock;

request_stream::request_stream(std::uint16_t port, std::string n, std::string want)
    : port_(port),
      request_(std::move(n) + "\n"),
      want_(std::move(want)),
      thread_([this] { run(); }) {}

request_stream::~request_stream() {
  stop();
}

void request_stream::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void request_stream::run() {
  while (!stop_) {
    const auto sent = clock::now();
    std::string what;
    try {
      line_client c(port_);
      c.send(request_);
      const auto got = c.read_line(milliseconds{10'000});
      if (got == want_) {
        ++answered_;
        continue;
      }
      what = got ? "answer '" + *got + "'" : std::string("closed without an answer");
    } catch (const std::exception& e) {
      what = e.what();
    }
    {
      std::lock_guard lock(mutex_);
      failures_.emplace_back(sent, what);
    }
    ++failed_;
  }
}

bool request_stream::wait_requests(std::uint64_t more, milliseconds deadline) {
  const auto target = answered() + failed() + more;
  return eventually([&] { return answered() + failed() >= target; }, deadline);
}

std::uint64_t request_stream::failed_since(clock::time_point since) const {
  std::lock_guard lock(mutex_);
  std::uint64_t n = 0;
  for (const auto& [sent, what] : failures_) n += sent >= since ? 1U : 0U;
  return n;
}

std::string request_stream::failures() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [sent, what] : failures_) out += what + "\n";
  return out;
}

lockstep_client::lockstep_client(std::uint16_t port, std::string n, std::string want)
    : port_(port),
      request_(std::move(n) + "\n"),
      want_(std::move(want)),
      thread_([this] { run(); }) {}

lockstep_client::~lockstep_client() {
  stop();
}

void lockstep_client::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void lockstep_client::record(std::string what) {
  std::lock_guard lock(mutex_);
  failures_.push_back(std::move(what));
}

void lockstep_client::run() {
  std::optional<line_client> c;
  while (!stop_) {
    try {
      if (!c) c.emplace(port_);
    } catch (const std::exception& e) {
      ++failed_;
      record(std::string("connect: ") + e.what());
      continue;
    }
    std::optional<std::string> got;
    try {
      c->send(request_);
      got = c->read_line(milliseconds{10'000});
    } catch (const std::exception&) {
      got.reset();  // a reset under the send: the request went nowhere
    }
    if (!got) {
      ++lost_;
      record("request " + std::to_string(answered() + lost() + failed()) + " lost: no reply");
      c.reset();
      continue;
    }
    if (*got != want_) {
      ++failed_;
      record("answer '" + *got + "'");
      continue;
    }
    ++answered_;
    if (c->ended_now()) {
      ++reconnects_;
      c.reset();
    }
  }
}

bool lockstep_client::wait_requests(std::uint64_t more, milliseconds deadline) {
  const auto target = answered() + lost() + failed() + more;
  return eventually([&] { return answered() + lost() + failed() >= target; }, deadline);
}

std::string lockstep_client::failures() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& what : failures_) out += what + "\n";
  return out;
}

}  // namespace primeloop::test
