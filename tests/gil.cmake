# The interpreter-lock model: the lock's unit tests and --gil end to end.
primeloop_test(primeloop_gil_tests
  SOURCES gil.tests.cpp
  LIBS primeloop::server)
add_dependencies(primeloop_gil_tests primeloop-server)
