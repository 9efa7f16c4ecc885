# What the live view is made of, each alone: the loop-lag histogram and probe, the process
# metrics read from /proc, the /live.json document and the embedded page; included from
# tests/CMakeLists.txt.
primeloop_test(primeloop_live_tests
  SOURCES lag_histogram.tests.cpp loop_lag.tests.cpp process_metrics.tests.cpp
    live_json.tests.cpp
  LIBS primeloop::server_live)
