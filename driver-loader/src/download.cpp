// SPDX-License-Identifier: Apache-2.0
#include "download.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace rtsec::loader {
namespace fs = std::filesystem;

namespace {

struct Sink {
  int fd = -1;
  uint64_t written = 0;
  uint64_t max = 0;
  bool too_big = false;
  bool write_failed = false;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const size_t len = size * n;
  if (s->max && s->written + len > s->max) {
    s->too_big = true;
    return 0;  // aborts the transfer
  }
  for (size_t off = 0; off < len;) {
    const ssize_t w = ::write(s->fd, data + off, len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      s->write_failed = true;
      return 0;
    }
    off += static_cast<size_t>(w);
  }
  s->written += len;
  return len;
}

struct Progress {
  std::string name;
  int last_percent = -1;
  bool shown = false;
};

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* p = static_cast<Progress*>(user);
  if (total < (1 << 20)) return 0;  // small files need no progress line
  const int percent = static_cast<int>(now * 100 / total);
  const bool tty = isatty(STDERR_FILENO);
  // on a terminal one line redrawn; in a log a line per quarter
  if (percent == p->last_percent || (!tty && percent / 25 == p->last_percent / 25 && p->shown)) return 0;
  p->last_percent = percent;
  p->shown = true;
  std::fprintf(stderr, tty ? "\r  %s: %3d%% of %.1f MiB" : "  %s: %d%% of %.1f MiB\n", p->name.c_str(),
               percent, static_cast<double>(total) / (1 << 20));
  return 0;
}

bool retryable(CURLcode rc, long status) {
  if (rc == CURLE_OK) return status >= 500;
  return rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR ||
         rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE ||
         rc == CURLE_COULDNT_RESOLVE_HOST;
}

}  // namespace

std::string join_url(const std::string& base, const std::string& name) {
  return base.ends_with('/') ? base + name : base + "/" + name;
}

Result<uint64_t> fetch_to_file(const std::string& url, const fs::path& dest, const DownloadOptions& opts,
                               bool* not_found) {
  static const bool inited = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!inited) return make_error("cannot initialise libcurl");
  if (not_found) *not_found = false;
  std::string last_error;
  for (int attempt = 1; attempt <= opts.attempts; ++attempt) {
    const int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return make_error("cannot write " + dest.string() + ": " + std::strerror(errno), errno);
    Sink sink{fd, 0, opts.max_bytes};
    Progress progress{fs::path(url).filename().string()};
    char curl_err[CURL_ERROR_SIZE] = "";
    CURL* c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, opts.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, opts.total_timeout_s);
    // a stalled transfer: under 1 KiB/s for 30 s
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "rtsec-driver-loader/" RTSEC_VERSION);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (opts.progress) {
      curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt(c, CURLOPT_XFERINFODATA, &progress);
    }
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (progress.shown && isatty(STDERR_FILENO)) std::fputc('\n', stderr);
    const bool closed = ::close(fd) == 0;
    if (rc == CURLE_OK && closed) return sink.written;
    std::error_code ec;
    fs::remove(dest, ec);
    if (sink.too_big)
      return make_error(url + ": larger than the " + std::to_string(opts.max_bytes) + " bytes expected");
    if (sink.write_failed || !closed) return make_error("cannot write " + dest.string() + ": " + std::strerror(errno));
    if (status == 404 || status == 410 || rc == CURLE_FILE_COULDNT_READ_FILE) {
      if (not_found) *not_found = true;
      return make_error(url + ": not found" + (status ? " (HTTP " + std::to_string(status) + ")" : ""));
    }
    last_error = url + ": " + (status >= 400 ? "HTTP " + std::to_string(status) : std::string(curl_err[0] ? curl_err : curl_easy_strerror(rc)));
    if (!retryable(rc, status) || attempt == opts.attempts) break;
    std::fprintf(stderr, "  %s (attempt %d of %d; retrying)\n", last_error.c_str(), attempt, opts.attempts);
    std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
  }
  return make_error(last_error + " (after " + std::to_string(opts.attempts) + " attempt" +
                    (opts.attempts > 1 ? "s" : "") + ")");
}

}  // namespace rtsec::loader
