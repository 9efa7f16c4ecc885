# Bad input and overload: every bad input and every limit, end to end on loopback.
primeloop_test(primeloop_limits_tests
  SOURCES limits.tests.cpp
  LIBS primeloop::server)
add_dependencies(primeloop_limits_tests primeloop-server)
