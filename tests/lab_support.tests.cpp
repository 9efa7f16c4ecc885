// The helpers the lab's and the bench's mains share.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "benchmarks/harness/lab_support.hpp"

TEST_CASE("A report file is written whole, and a failed write says so", "[lab_support]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("primeloop-write-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "report.csv";
  primeloop::harness::write_text_file(file, "a,b\n1,2\n");
  std::stringstream back;
  back << std::ifstream(file).rdbuf();
  CHECK(back.str() == "a,b\n1,2\n");
  CHECK_THROWS_WITH(primeloop::harness::write_text_file(dir / "missing" / "report.csv", "x"),
                    Catch::StartsWith("cannot write ") && Catch::Contains("No such file"));
  if (std::filesystem::exists("/dev/full")) {
    CHECK_THROWS_WITH(primeloop::harness::write_text_file("/dev/full", std::string(1 << 16, 'x')),
                      Catch::Contains("/dev/full"));
  }
  std::filesystem::remove_all(dir);
}
