// The units and quoting the reports share.
#include <catch2/catch.hpp>

#include "core/report_format.hpp"

TEST_CASE("CSV fields are quoted as RFC 4180 has it, and only when they must be",
          "[report_format]") {
  using primeloop::csv_field;
  CHECK(csv_field("") == "");
  CHECK(csv_field("exit 0 in 12 ms") == "exit 0 in 12 ms");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_field("cr\r") == "\"cr\r\"");
}

TEST_CASE("Durations in reports are microseconds with their fraction", "[report_format]") {
  CHECK(primeloop::us(std::chrono::nanoseconds{1500}) == 1.5);
  CHECK(primeloop::us(std::chrono::milliseconds{2}) == 2000.0);
  CHECK(primeloop::secs(std::chrono::milliseconds{1500}) == 1.5);
}
