# Tests of the clients and the lab (issue 3); included from tests/CMakeLists.txt.
primeloop_test(primeloop_client_tests
  SOURCES client.tests.cpp
  LIBS primeloop::clients)
add_dependencies(primeloop_client_tests primeloop-client primeloop-server)

if(TARGET primeloop_lab)
  primeloop_test(primeloop_lab_tests
    SOURCES lab.tests.cpp
    LIBS primeloop::lab)
  add_dependencies(primeloop_lab_tests primeloop-lab primeloop-server primeloop-baseline)
endif()
