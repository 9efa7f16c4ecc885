#include "clients/load_screen.hpp"

#include <fmt/format.h>

#include <chrono>

#include "clients/report.hpp"

namespace primeloop::clients {

load_screen::load_screen(const load_config& config, std::FILE* out)
    : config_(config), block_(out) {}

void load_screen::start() {
  block_.draw(render());
}

void load_screen::second(const second_sample& s) {
  last_ = s;
  completed_ += s.completed;
  errors_ += s.errors;
  long_completed_ += s.long_completed;
  if (!lowest_ || s.completed < lowest_->completed) lowest_ = s;
  block_.draw(render());
}

std::string load_screen::render() const {
  const auto& c = config_;
  std::string out = fmt::format("load: {} connection{} {}, n={}, on {}:{}{}\n", c.connections,
                                c.connections == 1 ? "" : "s",
                                c.rate > 0 ? fmt::format("open loop at {:.0f} req/s", c.rate)
                                           : fmt::format("x depth {}", c.depth),
                                c.n, c.host, c.port, c.rate > 0 ? " (latency from due times)" : "");
  const unsigned done = last_ ? last_->second : 0;
  out += fmt::format("  elapsed      {:>8} s of {}{}\n", done, c.duration_s,
                     done == 0 && c.warmup.count() > 0
                         ? fmt::format(" (after {:.1f} s of warm-up)",
                                       std::chrono::duration<double>(c.warmup).count())
                         : "");
  if (!last_) {
    out += "  last second         -\n";
  } else {
    const auto& s = *last_;
    const bool has = s.has_latency();
    out += fmt::format("  last second  {:>8} req   p50 {}   p99 {}   {} ERR{}\n", s.completed,
                       human_latency(s.p50, s.p50_lower_bound, has),
                       human_latency(s.p99, s.p99_lower_bound, has), s.errors,
                       s.stuck ? fmt::format("   {} unanswered", s.stuck) : "");
    out += fmt::format("  so far       {:>8} req   mean {:.0f} req/s   {} ERR\n", completed_,
                       static_cast<double>(completed_) / done, errors_);
    out +=
        fmt::format("  lowest       {:>8} req in second {}\n", lowest_->completed, lowest_->second);
  }
  if (c.long_n) {
    const double after_s = std::chrono::duration<double>(c.long_after).count();
    const bool active = last_ && last_->long_active;
    out += fmt::format("  long request n={}: {}, {} answered\n", *c.long_n,
                       active                 ? "in flight"
                       : done < after_s + 1.0 ? fmt::format("starts after {:g} s", after_s)
                                              : "not in flight",
                       long_completed_);
  }
  return out;
}

}  // namespace primeloop::clients
