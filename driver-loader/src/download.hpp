// SPDX-License-Identifier: Apache-2.0
// HTTP(S) (and file://) downloads with libcurl: timeouts, retries, a size cap,
// a progress line for large files; proxies come from the environment
// (http_proxy, https_proxy, no_proxy), as libcurl reads them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "rtsec/result.hpp"

namespace rtsec::loader {

struct DownloadOptions {
  long connect_timeout_s = 10;
  long total_timeout_s = 300;   // one attempt, whole transfer
  int attempts = 3;             // connection failures and 5xx are retried
  uint64_t max_bytes = 0;       // 0: no cap; else a larger body is an error
  bool progress = true;         // a progress line on stderr for bodies > 1 MiB
};

// Errors keep the HTTP status or the curl error; not_found tells a 404 (or a
// missing file://) apart, which is an answer, not a failure of the server.
struct FetchError {
  std::string message;
  bool not_found = false;
};

// Writes the body to `dest` (created mode 0600, replaced), nothing on error.
Result<uint64_t> fetch_to_file(const std::string& url, const std::filesystem::path& dest,
                               const DownloadOptions& opts, bool* not_found = nullptr);

// Joins a repository URL and a file name: "http://h/r" + "index" -> "http://h/r/index".
std::string join_url(const std::string& base, const std::string& name);

}  // namespace rtsec::loader
