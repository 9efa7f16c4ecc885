# The live view's server parts: the loop-lag probe, the process metrics read from /proc, and the
# live page, carried in the binary (server/live_page.html turned into a generated .cpp at build
# time). Included from server/CMakeLists.txt.
set(_live_page_cpp ${CMAKE_CURRENT_BINARY_DIR}/live_page_bytes.cpp)
add_custom_command(
  OUTPUT ${_live_page_cpp}
  COMMAND ${CMAKE_COMMAND} -DINPUT=${CMAKE_CURRENT_SOURCE_DIR}/live_page.html
    -DOUTPUT=${_live_page_cpp} -DHEADER=server/live_page.hpp -DFUNCTION=live_page
    -P ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
  DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/live_page.html ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
  COMMENT "Embedding server/live_page.html"
  VERBATIM)

add_library(primeloop_server_live
  loop_lag.cpp
  process_metrics.cpp
  ${_live_page_cpp}
)
add_library(primeloop::server_live ALIAS primeloop_server_live)
target_link_libraries(primeloop_server_live
  PUBLIC primeloop::core primeloop::asio fmt::fmt
  PRIVATE primeloop::project_options)
target_compile_features(primeloop_server_live PUBLIC cxx_std_20)
