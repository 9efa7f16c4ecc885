#pragma once
/// The flags the lab and the bench both take, added in one place so that they parse, check and
/// read the same in both programs.
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace primeloop::harness {

/// The long request's scenario: --before and --during (seconds of load, 1 to 3600) and
/// --no-standin (no process keeping a core busy before the long request).
void add_long_request_flags(CLI::App& app, unsigned& before_s, unsigned& during_s,
                            bool& no_standin);

/// --after: seconds of load once the long request's connection is closed.
void add_after_flag(CLI::App& app, unsigned& after_s);

/// The servers a run starts: --workers, --server (a primeloop-server, default next to this
/// program) and --server-arg (an extra flag for every server, repeatable).
void add_server_flags(CLI::App& app, std::optional<unsigned>& workers, std::string& server,
                      std::vector<std::string>& server_flags);

}  // namespace primeloop::harness
