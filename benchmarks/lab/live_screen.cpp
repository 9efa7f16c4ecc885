#include "benchmarks/lab/live_screen.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "benchmarks/harness/wrap_words.hpp"

namespace primeloop::lab {

live_screen::live_screen(const lab_config& config, std::FILE* out)
    : config_(config),
      block_(out),
      values_(config.executors.size()),
      status_(config.executors.size(), "waiting") {
  // Numbered columns (c1, c2, ...) keep the story's eight columns within 100 characters.
  for (const auto& e : config.executors)
    width_ = std::max(width_, std::max<std::size_t>(10, e.size() + 2));
  if (6 + width_ * config.executors.size() > 70) width_ = 8;
}

std::string live_screen::render() const {
  const bool numbered =
      width_ == 8 && std::any_of(config_.executors.begin(), config_.executors.end(),
                                 [](const auto& e) { return e.size() > 6; });
  std::string out =
      rounds_ > 1 ? fmt::format("round {} of {}\n  t(s)", round_, rounds_) : std::string("  t(s)");
  for (std::size_t i = 0; i < values_.size(); ++i) {
    out +=
        fmt::format("{:>{}}", numbered ? fmt::format("c{}", i + 1) : config_.executors[i], width_);
  }
  out += "   (requests answered in each second)\n";
  for (unsigned s = 1; s <= config_.total_s(); ++s) {
    std::string row = fmt::format("{:>6}", s);
    for (const auto& v : values_) {
      const bool known = s <= v.size() && v[s - 1].has_value();
      row += fmt::format("{:>{}}", known ? std::to_string(*v[s - 1]) : ".", width_);
    }
    if (s == config_.before_s + 1)
      row += fmt::format("   <- long request n={} starts", config_.long_n);
    if (config_.after_s > 0 && s == config_.during_end_s() + 1) {
      row += "   <- its connection closed";
    }
    out += row + '\n';
  }
  // Folded within 100 columns: a line the terminal wraps would take two rows, and the next
  // redraw, going up by lines, would leave one behind.
  for (std::size_t i = 0; i < status_.size(); ++i) {
    out +=
        harness::wrap_words(fmt::format("  {}{}: {}", numbered ? fmt::format("c{} = ", i + 1) : "",
                                        config_.executors[i], status_[i]),
                            100) +
        '\n';
  }
  return out;
}

void live_screen::round_started(unsigned round, unsigned rounds) {
  round_ = round;
  rounds_ = rounds;
  if (round == 1) return;
  // Each round gets a table of its own below the last one, which stays on the screen.
  for (auto& v : values_) v.clear();
  std::fill(status_.begin(), status_.end(), "waiting");
  block_.leave();
}

void live_screen::started(std::size_t index, const std::string& listening_line) {
  status_[index] = fmt::format("running ({})", listening_line);
  redraw();
}

void live_screen::second(std::size_t index, const clients::second_sample& sample) {
  auto& mine = values_[index];
  if (mine.size() < sample.second) mine.resize(sample.second);
  mine[sample.second - 1] = sample.completed;
  redraw();
}

void live_screen::finished(std::size_t index, const executor_run& run) {
  status_[index] = run.error.empty() ? fmt::format("server stopped: {}", run.stopped.describe())
                                     : fmt::format("FAILED: {}", run.error);
  redraw();
}

}  // namespace primeloop::lab
