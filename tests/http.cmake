# The HTTP face: the request reader and response formatter (core/http_*), and the server's
# HTTP sessions, metrics, health checks and drain end to end.
primeloop_test(primeloop_http_tests
  SOURCES http_request.tests.cpp http.tests.cpp http_client.cpp
  LIBS primeloop::server)
add_dependencies(primeloop_http_tests primeloop-server)
