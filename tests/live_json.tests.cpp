// /live.json's document and the embedded page.
#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "core/live_json.hpp"
#include "server/live_page.hpp"

using namespace primeloop;

TEST_CASE("The live figures are written as one JSON object with every field", "[live_json]") {
  live_figures f;
  f.uptime = 12.5;
  f.executor = "threads";
  f.rps = 41234;
  f.latency_p50 = 0.00012;
  f.latency_p99 = 0.0011;
  f.lag_p99 = 8e-05;
  f.lag_max = 0.0002;
  f.busy = 1;
  f.workers = 4;
  f.queued = 2;
  f.in_flight = 3;
  f.long_request = {true, 100000, 1.25};
  CHECK(format_live_json(f) ==
        "{\"uptime\":12.5,\"executor\":\"threads\",\"rps\":41234,"
        "\"latency\":{\"p50\":0.00012,\"p99\":0.0011},\"loop_lag\":{\"p99\":8e-05,\"max\":0.0002},"
        "\"workers\":{\"busy\":1,\"total\":4},\"queued\":2,\"in_flight\":3,"
        "\"long_request\":{\"running\":true,\"n\":100000,\"elapsed\":1.25}}");
}

TEST_CASE("A figure that is not finite is written 0 and a name is escaped", "[live_json]") {
  live_figures f;
  f.executor = "a\"b\\";
  f.latency_p99 = std::numeric_limits<double>::infinity();
  f.lag_max = std::numeric_limits<double>::quiet_NaN();
  const auto j = format_live_json(f);
  CHECK(j.find("\"executor\":\"a\\\"b\\\\\"") != std::string::npos);
  CHECK(j.find("\"p99\":0,") != std::string::npos);
  CHECK(j.find("\"max\":0}") != std::string::npos);
  CHECK(j.find("\"running\":false") != std::string::npos);
}

TEST_CASE("The live page is carried in the binary whole, with the ids the tests read",
          "[live_json]") {
  const auto page = live_page();
  CHECK(page.substr(0, 15) == "<!doctype html>");
  CHECK(page.substr(page.size() - 8) == "</html>\n");
  for (const char* id : {"id=\"rps\"", "id=\"p99\"", "id=\"lag\"", "/live.json", "/prime/"}) {
    INFO(id);
    CHECK(page.find(id) != std::string_view::npos);
  }
  // Nothing from elsewhere: no address with a scheme in it.
  CHECK(page.find("http://") == std::string_view::npos);
  CHECK(page.find("https://") == std::string_view::npos);
}
