#pragma once
/// GET /: the live page (server/live_page.html, embedded at build time by cmake/embed_file.cmake).
/// One HTML file with its script and style inline; it fetches nothing but /live.json and
/// /prime/N from the server that served it.
#include <string_view>

namespace primeloop {

/// The Content-Type of the page.
inline constexpr std::string_view live_page_content_type = "text/html; charset=utf-8";

/// The page's bytes, as they are in server/live_page.html.
[[nodiscard]] std::string_view live_page() noexcept;

}  // namespace primeloop
