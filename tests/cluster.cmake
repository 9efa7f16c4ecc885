# deploy/ end to end: primeloop-server instances behind HAProxy, started by deploy/local-cluster;
# included from tests/CMakeLists.txt. Without haproxy installed, its tests pass with a warning.
primeloop_test(primeloop_cluster_tests
  SOURCES cluster.tests.cpp cluster_support.cpp
  LIBS Threads::Threads)
target_compile_definitions(primeloop_cluster_tests PRIVATE
  PRIMELOOP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_dependencies(primeloop_cluster_tests primeloop-server)
