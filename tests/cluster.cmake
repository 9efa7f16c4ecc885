# deploy/ end to end: primeloop-server instances behind HAProxy, started by deploy/local-cluster;
# and its Prometheus files, checked by promtool and run live beside a cluster
# (prometheus.tests.cpp). Included from tests/CMakeLists.txt. Without haproxy, or promtool and
# prometheus, the tests that need them pass with a warning.
primeloop_test(primeloop_cluster_tests FIRST
  SOURCES cluster.tests.cpp prometheus.tests.cpp cluster_support.cpp cluster_clients.cpp
    prometheus_support.cpp
  LIBS Threads::Threads)
target_compile_definitions(primeloop_cluster_tests PRIVATE
  PRIMELOOP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_dependencies(primeloop_cluster_tests primeloop-server)
