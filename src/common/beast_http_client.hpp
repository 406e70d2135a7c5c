#pragma once
// BeastHttpClient: the real HttpClient, over Boost.Beast and asio::ssl (OpenSSL).
//
// Supports http:// and https:// URLs with DNS names or IP literals (IPv6 in brackets). HTTPS sends
// SNI for DNS names and, by default, verifies the peer certificate against the system trust store
// and the host name. Each Send opens a new connection and closes it after the response
// ("Connection: close"): simple and correct, at the cost of a TCP (and TLS) handshake per request,
// which is fine for webhooks and control-plane calls. Redirects are not followed. A TLS connection
// is closed without a close_notify exchange (the response is already complete by then).
//
// Thread safety: Send may be called concurrently from any thread; each call runs on its own strand
// of the executor given to the constructor.

#include <cstddef>
#include <memory>
#include <string>

#include "common/async.hpp"
#include "common/http_client.hpp"

namespace mr {

struct BeastHttpClientOptions {
  // Verify the server certificate chain and host name for https. Disable only in tests.
  bool verify_peer = true;
  // Extra PEM file of trusted CAs (tests with a private CA); empty for the system store only.
  std::string ca_file;
  // Replies with a larger body fail with kUnavailable.
  size_t max_response_bytes = 64 << 20;
};

class BeastHttpClient final : public HttpClient {
 public:
  // Throws std::runtime_error if the TLS context cannot be set up (a startup failure).
  explicit BeastHttpClient(asio::any_io_executor executor, BeastHttpClientOptions options = {});
  ~BeastHttpClient() override;

  Task<Result<HttpClientResponse>> Send(HttpClientRequest request) override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// The parts of an http(s) URL. Exposed for tests.
struct ParsedUrl {
  bool https = false;
  std::string host;  // Without IPv6 brackets.
  uint16_t port = 0;
  std::string target;  // Path and query; "/" when the URL has none.
};

// Parses `url`; kInvalidArgument for anything but a well-formed http(s) URL with a host.
Result<ParsedUrl> ParseHttpUrl(std::string_view url);

}  // namespace mr
