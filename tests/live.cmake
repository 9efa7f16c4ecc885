# What the live view is made of, each alone: the loop-lag histogram and probe, the process
# metrics read from /proc, the /live.json document and the embedded page; included from
# tests/CMakeLists.txt.
primeloop_test(primeloop_live_tests
  SOURCES lag_histogram.tests.cpp loop_lag.tests.cpp prometheus_text.cpp process_metrics.tests.cpp
    live_json.tests.cpp
  LIBS primeloop::server_live)

# The page in headless Chromium (tests/live_browser.py; skipped with a warning where
# `.ci/install-deps browser` did not run).
primeloop_test(primeloop_live_browser_tests SOURCES live_browser.tests.cpp LIBS primeloop::core)
add_dependencies(primeloop_live_browser_tests primeloop-server)
target_compile_definitions(primeloop_live_browser_tests PRIVATE
  PRIMELOOP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
