# Bad input, limits and resources: every bad input and every limit, end to end on loopback.
primeloop_test(primeloop_limits_tests
  SOURCES bad_input.tests.cpp limits.tests.cpp resources.tests.cpp limits_support.cpp
  LIBS primeloop::server)
add_dependencies(primeloop_limits_tests primeloop-server)
