// The connection (server/connection.hpp) against a fake dispatcher, on a loopback socket pair and
// an io_context run here: reply order, back-pressure (--max-pipeline), busy, end of stream and a
// reset cancelling work, drain, and the HTTP codec over the same class. No server process.
#include "server/connection.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include "core/http_codec.hpp"
#include "core/line_codec.hpp"
#include "server/connection_manager.hpp"

namespace {

namespace net = asio;
using tcp = net::ip::tcp;
using primeloop::errc;
using clock = std::chrono::steady_clock;

/// Takes what the connection submits and answers when the test says so.
struct fake_dispatcher final : primeloop::dispatcher {
  struct job {
    std::uint64_t n;
    primeloop::executors::result_sink* sink;
    std::uint64_t tag;
  };
  std::vector<job> jobs;
  std::size_t cancels = 0;
  bool refuse = false;

  bool submit(std::uint64_t n, primeloop::executors::result_sink& sink,
              std::uint64_t tag) override {
    if (refuse) return false;
    jobs.push_back({n, &sink, tag});
    return true;
  }
  void cancel_all(primeloop::executors::result_sink& sink) override {
    ++cancels;
    std::erase_if(jobs, [&](const job& j) { return j.sink == &sink; });
  }
  /// Answers job i (in submission order) with n * 10.
  void answer(std::size_t i) {
    const job j = jobs.at(i);
    jobs.erase(jobs.begin() + static_cast<std::ptrdiff_t>(i));
    j.sink->on_result(j.tag, {j.n * 10, errc{}});
  }
};

struct no_site final : primeloop::http::site {
  primeloop::http::page readyz() const override { return {}; }
  primeloop::http::page metrics() const override { return {}; }
  primeloop::http::page live_page() const override { return {}; }
  primeloop::http::page live_json() const override { return {}; }
};

/// One connection on a loopback pair, its client end and everything it shares with a server.
struct rig {
  explicit rig(std::chrono::milliseconds idle_timeout = std::chrono::seconds(60))
      : options(with_idle_timeout(idle_timeout)) {}
  static primeloop::server_options with_idle_timeout(std::chrono::milliseconds t) {
    primeloop::server_options o;
    o.idle_timeout = t;
    return o;
  }

  net::io_context io{1};
  primeloop::server_options options;
  primeloop::stats_counters stats;
  primeloop::connection_manager connections{io.get_executor(), stats, options.idle_timeout};
  fake_dispatcher work;
  primeloop::protocol::error_lines errors{options.max_n, options.max_line};
  primeloop::connection_context ctx{work, options, stats, connections, nullptr};
  no_site site;
  tcp::socket client{io};
  std::vector<tcp::socket> earlier;  // clients of connections started before the last
  bool ended = false;

  /// Starts the connection, speaking HTTP when http is set.
  void start(bool http = false) {
    tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
    if (client.is_open()) earlier.push_back(std::exchange(client, tcp::socket(io)));
    client.connect(acceptor.local_endpoint());
    std::unique_ptr<primeloop::protocol::codec> codec;
    if (http) {
      codec = std::make_unique<primeloop::http::http_codec>(errors, options.max_n, site);
    } else {
      codec = std::make_unique<primeloop::protocol::line_codec>(errors, options.max_n,
                                                                options.max_line);
    }
    auto c = std::make_unique<primeloop::connection>(acceptor.accept(), ctx, std::move(codec));
    auto& running = *c;
    net::co_spawn(io, running.run(), [this, c = std::move(c)](std::exception_ptr e) {
      ended = true;
      if (e) std::rethrow_exception(e);
    });
  }
  /// Runs the loop until done() holds or the deadline passes; returns done().
  template <class Done>
  bool run_until(Done done, std::chrono::seconds deadline = std::chrono::seconds(20)) {
    for (const auto until = clock::now() + deadline; !done() && clock::now() < until;) {
      io.run_one_for(std::chrono::milliseconds(10));
    }
    return done();
  }
  void send(std::string_view bytes) { net::write(client, net::buffer(bytes)); }
  /// What the client has received once at least n bytes came (or the deadline passed).
  std::string receive(std::size_t n) {
    std::string got;
    run_until([&] {
      std::error_code ec;
      if (const auto ready = client.available(ec); ready > 0 && !ec) {
        std::string more(ready, '\0');
        more.resize(client.read_some(net::buffer(more), ec));
        got += more;
      }
      return got.size() >= n || ec;
    });
    return got;
  }
  /// True once the server's end has closed: the client reads end of stream.
  bool client_sees_end() {
    std::error_code ec;
    char byte;
    client.non_blocking(true);
    return run_until([&] {
      client.read_some(net::buffer(&byte, 1), ec);
      return ec && ec != net::error::would_block;
    });
  }
};

}  // namespace

TEST_CASE("A connection writes replies in request order whatever order results come in",
          "[connection]") {
  rig r;
  r.start();
  r.send("1\n2\n3\n");
  REQUIRE(r.run_until([&] { return r.work.jobs.size() == 3; }));
  r.work.answer(2);
  r.work.answer(1);
  r.io.poll();
  CHECK(r.client.available() == 0);  // the first answer holds the others back
  r.work.answer(0);
  CHECK(r.receive(9) == "10\n20\n30\n");
  CHECK(r.stats.answered == 3);
}

TEST_CASE("A connection at --max-pipeline reads no more until its replies go out", "[connection]") {
  rig r;
  r.options.max_pipeline = 2;
  r.start();
  r.send("1\n2\n3\n4\n5\n");
  REQUIRE(r.run_until([&] { return r.work.jobs.size() == 2; }));
  r.io.poll();
  CHECK(r.work.jobs.size() == 2);  // the rest wait in the buffer
  r.work.answer(0);
  REQUIRE(r.run_until([&] { return r.work.jobs.size() == 2; }));  // one more came in
  CHECK(r.work.jobs.back().n == 3);
  while (!r.work.jobs.empty() || r.stats.answered < 5) {
    if (!r.work.jobs.empty()) r.work.answer(0);
    if (!r.run_until([&] { return !r.work.jobs.empty() || r.stats.answered == 5; })) break;
  }
  CHECK(r.receive(15) == "10\n20\n30\n40\n50\n");
}

TEST_CASE("A refused request is answered busy in its place", "[connection]") {
  rig r;
  r.work.refuse = true;
  r.start();
  r.send("4\n");
  const std::string busy(r.errors[errc::busy]);
  CHECK(r.receive(busy.size()) == busy);
  CHECK(r.stats.outcomes[static_cast<std::size_t>(errc::busy)] == 1);
}

TEST_CASE("End of stream from a line client cancels its work after the linger", "[connection]") {
  rig r;
  r.start();
  r.send("8\n");
  REQUIRE(r.run_until([&] { return r.work.jobs.size() == 1; }));
  r.client.shutdown(tcp::socket::shutdown_send);
  CHECK(r.run_until([&] { return r.ended; }));
  CHECK(r.work.cancels == 1);
  CHECK(r.work.jobs.empty());
  CHECK(r.connections.size() == 0);
  CHECK(r.stats.in_flight == 0);
}

TEST_CASE("A reset closes the connection and cancels its work at once", "[connection]") {
  rig r;
  r.start();
  r.send("9\n");
  REQUIRE(r.run_until([&] { return r.work.jobs.size() == 1; }));
  const linger abort{1, 0};
  ::setsockopt(r.client.native_handle(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  r.client.close();
  CHECK(r.run_until([&] { return r.ended; }));
  CHECK(r.work.cancels == 1);
}

TEST_CASE("A bare client that half-closes gets its answer however long it takes", "[connection]") {
  rig r;
  r.start();
  r.send("6");
  r.client.shutdown(tcp::socket::shutdown_send);
  REQUIRE(r.run_until([&] { return r.work.jobs.size() == 1; }));
  r.io.run_for(std::chrono::milliseconds(2 * primeloop::connection::eof_linger));
  CHECK(r.work.cancels == 0);
  r.work.answer(0);
  CHECK(r.receive(3) == "60\n");
  CHECK(r.client_sees_end());
}

TEST_CASE("A drained connection answers what it read, then ends", "[connection]") {
  rig r;
  r.start();
  r.send("2\n");
  REQUIRE(r.run_until([&] { return r.work.jobs.size() == 1; }));
  bool all_closed = false;
  r.connections.drain_all([&] { all_closed = true; });
  r.work.answer(0);
  CHECK(r.receive(3) == "20\n");
  CHECK(r.run_until([&] { return all_closed && r.ended; }));
}

TEST_CASE("A connection drained with nothing owed reads one more request, with what came with it",
          "[connection]") {
  rig r;
  r.start();
  r.send("2\n");
  REQUIRE(r.run_until([&] { return r.work.jobs.size() == 1; }));
  r.work.answer(0);
  CHECK(r.receive(3) == "20\n");
  bool all_closed = false;
  r.connections.drain_all([&] { all_closed = true; });
  SECTION("its client was sending it as the drain began: read, answered, and the stream ends") {
    r.send("3\n");
    REQUIRE(r.run_until([&] { return r.work.jobs.size() == 1; }));
    r.send("4\n");  // after the last one: not read
    r.io.run_for(std::chrono::milliseconds(20));
    CHECK(r.work.jobs.size() == 1);
    r.work.answer(0);
    CHECK(r.receive(3) == "30\n");
  }
  SECTION("its client pipelined several as the drain began: all of that read are answered") {
    r.send("3\n4\n5\n");
    REQUIRE(r.run_until([&] { return r.work.jobs.size() == 3; }));
    r.send("6\n");  // a later read: not read
    r.io.run_for(std::chrono::milliseconds(20));
    CHECK(r.work.jobs.size() == 3);
    r.work.answer(0);
    r.work.answer(0);
    r.work.answer(0);
    CHECK(r.receive(9) == "30\n40\n50\n");
  }
  SECTION("none comes: the connection waits, and ends when reading stops") {
    r.io.run_for(std::chrono::milliseconds(20));
    CHECK_FALSE(all_closed);
    r.connections.stop_reading_all();  // the grace is over
  }
  CHECK(r.client_sees_end());
  CHECK(r.run_until([&] { return all_closed && r.ended; }));
}

TEST_CASE("The HTTP codec runs over the same connection, and Connection: close ends it",
          "[connection]") {
  rig r;
  r.start(true);
  r.send("GET /prime/4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  REQUIRE(r.run_until([&] { return r.work.jobs.size() == 1; }));
  r.work.answer(0);
  const auto reply = r.receive(1);
  CHECK(reply.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(r.client_sees_end());
  CHECK(r.run_until([&] { return r.ended; }));
}

TEST_CASE("A connection that never sends is closed at the idle timeout by the manager's sweep",
          "[connection]") {
  rig r(std::chrono::milliseconds(50));
  r.start();
  r.start();  // a second quiet connection on the same sweep
  const std::string word(r.errors[errc::idle_timeout]);
  CHECK(r.receive(word.size()) == word);
  CHECK(r.run_until([&] { return r.connections.size() == 0; }));
}
