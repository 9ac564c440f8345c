// SPDX-License-Identifier: Apache-2.0
// The HTTP output: Falco's JSON alert POSTed to a URL, the body
// Falcosidekick's webhook reads.
#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "internal.hpp"
#include "rtsec/output/output.hpp"

namespace rtsec::output {
namespace {

constexpr size_t kMaxResponse = 1 << 20;  // kept for echo and error messages

struct CurlDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using CurlList = std::unique_ptr<curl_slist, CurlDeleter>;

Status init_curl_once() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK) {
    return make_error(std::string("libcurl initialization failed: ") + curl_easy_strerror(rc));
  }
  return Ok{};
}

size_t collect(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t len = size * n;
  if (out->size() < kMaxResponse) out->append(data, std::min(len, kMaxResponse - out->size()));
  return len;
}

class HttpOutput final : public Output {
 public:
  HttpOutput(const HttpOutputConfig& config, const FormatOptions& format)
      : config_(config), format_(format) {}
  std::string_view name() const override { return "http"; }

  Status init() {
    if (auto st = init_curl_once(); !st) return st;
    curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
    // No "Expect: 100-continue" round trip before larger bodies.
    if (list) list = curl_slist_append(list, "Expect:");
    if (!list) return make_error("libcurl: cannot build the request headers");
    headers_.reset(list);
    return make_handle();
  }

  Status deliver(const Alert& alert) override {
    if (!handle_) {
      if (auto st = make_handle(); !st) return st;
    }
    CURL* h = handle_.get();
    // Always JSON: what a webhook and Falcosidekick expect, whatever json_output says.
    std::string body = format_json(alert, format_);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    response_.clear();
    errbuf_[0] = '\0';
    CURLcode rc = curl_easy_perform(h);
    Status result = Ok{};
    if (rc != CURLE_OK) {
      std::string why = errbuf_[0] ? errbuf_ : curl_easy_strerror(rc);
      result = make_error("POST " + config_.url + ": " + why,
                          rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : 0);
      handle_.reset();  // a fresh connection next time
    } else {
      long code = 0;
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
      if (config_.echo && !response_.empty()) {
        std::string out = response_ + "\n";
        (void)detail::write_all(1, out, std::chrono::seconds(2), "stdout");
      }
      if (code < 200 || code >= 300) {
        std::string excerpt = response_.substr(0, 200);
        result = make_error("POST " + config_.url + ": HTTP " + std::to_string(code) +
                            (excerpt.empty() ? "" : ": " + excerpt));
      }
    }
    if (!config_.keep_alive) handle_.reset();
    return result;
  }

  void close() override { handle_.reset(); }

 private:
  Status make_handle() {
    CurlHandle handle(curl_easy_init());
    if (!handle) return make_error("libcurl: cannot create a handle");
    CURL* h = handle.get();
    curl_easy_setopt(h, CURLOPT_URL, config_.url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers_.get());
    curl_easy_setopt(h, CURLOPT_USERAGENT, config_.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout_ms));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout_ms));
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response_);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf_);
    if (config_.insecure) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    // As Falco: ca_cert, else ca_bundle, as the CA file; ca_path as the directory.
    if (!config_.ca_cert.empty()) {
      curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_cert.c_str());
    } else if (!config_.ca_bundle.empty()) {
      curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_bundle.c_str());
    }
    if (!config_.ca_path.empty()) curl_easy_setopt(h, CURLOPT_CAPATH, config_.ca_path.c_str());
    if (config_.mtls) {
      curl_easy_setopt(h, CURLOPT_SSLCERT, config_.client_cert.c_str());
      curl_easy_setopt(h, CURLOPT_SSLKEY, config_.client_key.c_str());
    }
    if (!config_.keep_alive) curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    handle_ = std::move(handle);
    return Ok{};
  }

  HttpOutputConfig config_;
  FormatOptions format_;
  CurlList headers_;
  CurlHandle handle_;
  std::string response_;
  char errbuf_[CURL_ERROR_SIZE] = {};
};

}  // namespace

Result<std::unique_ptr<Output>> make_http_output(const HttpOutputConfig& config,
                                                 const FormatOptions& format) {
  auto out = std::make_unique<HttpOutput>(config, format);
  if (auto st = out->init(); !st) return st.error();
  return std::unique_ptr<Output>(std::move(out));
}

}  // namespace rtsec::output
