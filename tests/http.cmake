# The HTTP face: the request reader and response formatter (core/http_*), and the server's
# HTTP sessions, metrics, health checks and drain end to end; drain.tests.cpp: the drain
# loses no request already received, on both faces; idle.tests.cpp: the idle timeout after an
# exchange, on both faces.
primeloop_test(primeloop_http_tests
  SOURCES http_request.tests.cpp http_codec.tests.cpp http.tests.cpp http_client.cpp prometheus_text.cpp
    drain.tests.cpp idle.tests.cpp http_limits.tests.cpp live_http.tests.cpp long_requests.tests.cpp
  LIBS primeloop::server)
add_dependencies(primeloop_http_tests primeloop-server)
