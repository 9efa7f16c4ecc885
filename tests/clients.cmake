# Tests of the clients, the lab and the benchmark; included from
# tests/CMakeLists.txt.
primeloop_test(primeloop_client_tests
  SOURCES client.tests.cpp open_loop.tests.cpp spinner.tests.cpp load_screen.tests.cpp
    terminal_support.cpp
  LIBS primeloop::clients)
add_dependencies(primeloop_client_tests primeloop-client primeloop-server)

if(TARGET primeloop_lab)
  primeloop_test(primeloop_lab_tests PROCESSORS 2 FIRST
    SOURCES lab.tests.cpp lab_checks.tests.cpp lab_repeat.tests.cpp lab_chart.tests.cpp live_screen.tests.cpp terminal_support.cpp bench.tests.cpp bench_targets.tests.cpp bench_wrk.tests.cpp syscall_count.tests.cpp harness.tests.cpp
    LIBS primeloop::bench)
  add_dependencies(primeloop_lab_tests primeloop-lab primeloop-bench primeloop-server
                   primeloop-baseline)
endif()

if(TARGET primeloop_reference)
  primeloop_test(primeloop_reference_tests
    SOURCES reference.tests.cpp
    LIBS primeloop::core)
  add_dependencies(primeloop_reference_tests primeloop-blocking primeloop-threaded)
endif()
# The load generator's lifetime under exceptions, apart from the client's end-to-end tests.
target_sources(primeloop_client_tests PRIVATE load_generator.tests.cpp)
