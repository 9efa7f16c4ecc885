# The executors in this process, without the server; included from tests/CMakeLists.txt.
primeloop_test(primeloop_executors_tests
  SOURCES process_placement.tests.cpp
  LIBS primeloop::executors)
