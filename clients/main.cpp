// primeloop-client: ask the server for a few primes, or put load on it (docs/clients.md).
#include "clients/client_command.hpp"

int main(int argc, char** argv) {
  int status = 0;
  const auto cmd = primeloop::clients::parse_client_flags(argc, argv, status);
  return cmd ? primeloop::clients::run_client_command(*cmd) : status;
}
