# Pools that survive (dead workers, dead clients, a dead server, timeouts, shutdown), the process
# pool's parts in this process, and scheduling across connections.
primeloop_test(primeloop_pool_tests
  SOURCES pool.tests.cpp process_pool.tests.cpp fairness.tests.cpp adaptive.tests.cpp
    fast_workload.tests.cpp
  LIBS primeloop::server)
add_dependencies(primeloop_pool_tests primeloop-server)
