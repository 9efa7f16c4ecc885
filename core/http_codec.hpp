#pragma once
/// The HTTP face as a codec (docs/protocol.md, "The HTTP face"): GET /prime/N is a request like
/// a line; /healthz is answered at once, /readyz, /metrics, the live page (/) and its figures
/// (/live.json) from what the server says (http::site). Pipelined requests are answered in order;
/// every response says whether the connection stays open. Pure, no I/O.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/codec.hpp"
#include "core/http_request.hpp"
#include "core/http_response.hpp"
#include "core/protocol.hpp"

namespace primeloop::http {

/// A response the server composes itself.
struct page {
  response head;
  std::string body;
};

/// What only the server knows, for the pages that report on it.
class site {
 public:
  /// GET /readyz: 200 while the server takes work, 503 once it shuts down or its queue is full.
  [[nodiscard]] virtual page readyz() const = 0;
  /// GET /metrics.
  [[nodiscard]] virtual page metrics() const = 0;
  /// GET /: the live page.
  [[nodiscard]] virtual page live_page() const = 0;
  /// GET /live.json: the figures the live page draws.
  [[nodiscard]] virtual page live_json() const = 0;

 protected:
  ~site() = default;
};

class http_codec final : public protocol::codec {
 public:
  /// errors are the server's precomputed ERR lines (the same words on both faces); errors and
  /// pages outlive the codec. over_limit: the server is past --max-connections and serves this
  /// connection for a probe alone: one request, then close; /healthz says 200 (the process
  /// works), /readyz 503, anything else 503 too many connections.
  http_codec(const protocol::error_lines& errors, std::uint64_t max_n, const site& pages,
             std::size_t max_head = default_max_head, bool over_limit = false);

  [[nodiscard]] std::span<char> prepare() override { return reader_.prepare(); }
  void commit(std::size_t n) override { reader_.commit(n); }
  [[nodiscard]] protocol::event next() override;
  [[nodiscard]] std::size_t buffered() const override { return reader_.buffered(); }

  void complete(std::uint64_t tag, std::uint64_t value, errc e) override;
  void drain() override { draining_ = true; }
  /// An idle keep-alive connection is closed silently, as HTTP servers do; a request begun and
  /// never finished gets 408 (when nothing else is owed).
  [[nodiscard]] std::string last_word(errc why) const override;
  [[nodiscard]] bool linger_at_close() const override { return true; }

 private:
  protocol::event handle(const request& req);
  protocol::event handle_over_limit(std::uint64_t tag, const request& req);
  /// Queues a response in slot tag; the status line and Connection follow the request's.
  protocol::event respond(std::uint64_t tag, const response& head, std::string_view body,
                          errc counted = {});
  protocol::event respond_error(std::uint64_t tag, errc e);

  const protocol::error_lines& errors_;
  std::uint64_t max_n_;
  const site& pages_;
  request_reader reader_;
  bool over_limit_;
  bool draining_ = false;
};

}  // namespace primeloop::http
