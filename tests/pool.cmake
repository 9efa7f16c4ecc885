# Pools that survive (issue 4): dead workers, dead clients, a dead server, timeouts, shutdown.
primeloop_test(primeloop_pool_tests
  SOURCES pool.tests.cpp
  LIBS primeloop::server)
add_dependencies(primeloop_pool_tests primeloop-server)
