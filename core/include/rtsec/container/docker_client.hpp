// SPDX-License-Identifier: Apache-2.0
// The Docker Engine API over its unix socket (HTTP/1.1 through libcurl): inspect a
// container and its image, and follow the /events stream. Podman's Docker-compatible
// socket speaks the same API. Every answer is untrusted input: sizes are capped and
// malformed JSON is an error, never a crash.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "rtsec/container/container_info.hpp"

namespace rtsec::container {

enum class LookupOutcome {
  kFound,
  kNotFound,     // the runtime does not know this container (HTTP 404)
  kUnreachable,  // no socket, connection refused, timeout
  kBadAnswer,    // an HTTP error other than 404, or a body that is not what the API sends
};

struct Lookup {
  LookupOutcome outcome = LookupOutcome::kUnreachable;
  ContainerInfo info;  // kFound
  std::string error;   // otherwise: why, for a log line
};

// Parses GET /containers/{id}/json. The image digest needs the image's own answer
// (parse_image_digest).
bool parse_container_json(std::string_view body, Runtime runtime, ContainerInfo& out,
                          std::string& error);
// The first RepoDigests entry's digest ("sha256:...") of GET /images/{id}/json, or "".
std::string parse_image_digest(std::string_view body);
// An RFC 3339 time as Docker writes it ("2025-11-26T04:16:26.123456789Z") in ns since the
// epoch; 0 when it is not one (Docker's "0001-01-01T00:00:00Z" for never).
uint64_t parse_rfc3339_ns(std::string_view text);

class DockerClient {
 public:
  // `stop` (may be null) aborts a request in flight when it becomes true.
  DockerClient(std::string socket_path, Runtime runtime, std::chrono::milliseconds timeout,
               const std::atomic<bool>* stop = nullptr);

  const std::string& socket_path() const { return socket_; }
  Runtime runtime() const { return runtime_; }

  // The container by full id, id prefix or name, with its image's digest.
  Lookup inspect(std::string_view id_or_name) const;

  // Follows container start/destroy/rename events until the connection ends or `stop` is
  // set; calls on_event(action, full id) for each. Returns why it ended ("" when stopped).
  using EventFn = std::function<void(std::string_view action, std::string_view id)>;
  std::string watch_events(const EventFn& on_event) const;

 private:
  std::string socket_;
  Runtime runtime_;
  std::chrono::milliseconds timeout_;
  const std::atomic<bool>* stop_;
};

}  // namespace rtsec::container
