# The executor policies in this process, without the server: the inline and thread policies'
# promises (submit, the answer on the loop thread, refusal, cancel, stats) and the process
# pool's placement rule; included from tests/CMakeLists.txt.
primeloop_test(primeloop_executors_tests
  SOURCES inline_executor.tests.cpp thread_pool_executor.tests.cpp process_placement.tests.cpp
  LIBS primeloop::executors)
