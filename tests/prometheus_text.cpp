#include "prometheus_text.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <catch2/catch.hpp>

#include "test_support.hpp"

namespace primeloop::test {

std::map<std::string, double> parse_with_prometheus(const std::string& text, bool with_type) {
  const std::string path = "/tmp/primeloop-metrics-" + std::to_string(::getpid()) + ".txt";
  std::ofstream(path) << text;
  const std::string key =
      with_type ? "'%s %s{%s}' % (f.type, s.name, l)" : "'%s{%s}' % (s.name, l)";
  child_process py({"/usr/bin/python3", "-c",
                    "import sys\n"
                    "from prometheus_client.parser import text_string_to_metric_families\n"
                    "for f in text_string_to_metric_families(open(sys.argv[1]).read()):\n"
                    "    for s in f.samples:\n"
                    "        l = ','.join(k + '=' + v for k, v in sorted(s.labels.items()))\n"
                    "        print('%s %r' % (" +
                        key +
                        ", s.value))\n"
                        "print('parsed')\n",
                    path});
  std::map<std::string, double> samples;
  while (auto line = py.read_line()) {
    if (*line == "parsed") break;
    const auto sp = line->rfind(' ');
    REQUIRE(sp != std::string::npos);
    samples[line->substr(0, sp)] = std::stod(line->substr(sp + 1));
  }
  CHECK(py.wait() == 0);
  std::remove(path.c_str());
  return samples;
}

}  // namespace primeloop::test
