// SPDX-License-Identifier: Apache-2.0
#include "rtsec/container/docker_client.hpp"

#include <curl/curl.h>

#include <cctype>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

namespace rtsec::container {
namespace {

using nlohmann::json;

constexpr size_t kMaxBody = 4u << 20;  // an inspect answer is a few KiB
constexpr size_t kMaxEventLine = 64u << 10;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

struct Transfer {
  std::string body;
  bool too_big = false;
  const std::atomic<bool>* stop = nullptr;
  // Streaming: called per complete line; the body then keeps only the partial line.
  const std::function<void(std::string_view)>* on_line = nullptr;
};

size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const size_t len = size * n;
  t.body.append(data, len);
  if (t.on_line) {
    size_t start = 0;
    for (size_t nl; (nl = t.body.find('\n', start)) != std::string::npos; start = nl + 1)
      (*t.on_line)(std::string_view(t.body).substr(start, nl - start));
    t.body.erase(0, start);
    if (t.body.size() > kMaxEventLine) {
      t.too_big = true;
      return 0;
    }
  } else if (t.body.size() > kMaxBody) {
    t.too_big = true;
    return 0;  // aborts the transfer
  }
  return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto& t = *static_cast<Transfer*>(user);
  return t.stop && t.stop->load(std::memory_order_relaxed) ? 1 : 0;
}

struct HttpAnswer {
  long status = 0;  // 0: no HTTP answer at all
  std::string error;
};

// GET `path` from the API at `socket`; `timeout` 0: no overall timeout (streams).
HttpAnswer http_get(const std::string& socket, const std::string& path,
                    std::chrono::milliseconds timeout, Transfer& t) {
  init_curl_once();
  CurlPtr curl(curl_easy_init());
  if (!curl) return {0, "curl_easy_init failed"};
  CURL* c = curl.get();
  const std::string url = "http://localhost" + path;
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  if (timeout.count() > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  const CURLcode rc = curl_easy_perform(c);
  HttpAnswer a;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
  if (t.too_big) {
    a.status = 0;
    a.error = "answer larger than rtsec accepts";
  } else if (rc == CURLE_COULDNT_CONNECT) {
    a.error = "cannot connect to " + socket;
  } else if (rc != CURLE_OK) {
    a.error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (!t.on_line) a.status = 0;  // a stream that ends in error still had its answer
  }
  return a;
}

// Path-segment escaping: ids and names are [a-zA-Z0-9_.-], anything else is escaped.
std::string escape_segment(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '_' || ch == '.' || ch == '-') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<bool> boolean(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

const json& member(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it != j.end() ? *it : kNull;
}

std::map<std::string, std::string> string_map(const json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items())
    if (v.is_string()) out.emplace(k, v.get<std::string>());
  return out;
}

std::string strip_sha256(std::string s) {
  if (s.rfind("sha256:", 0) == 0) s.erase(0, 7);
  return s;
}

}  // namespace

uint64_t parse_rfc3339_ns(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T') return 0;
  auto num = [&](size_t at, size_t len, int& out) {
    out = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  struct tm tm{};
  int v[6];
  if (!num(0, 4, v[0]) || !num(5, 2, v[1]) || !num(8, 2, v[2]) || !num(11, 2, v[3]) ||
      !num(14, 2, v[4]) || !num(17, 2, v[5]))
    return 0;
  if (v[0] < 1971) return 0;
  tm.tm_year = v[0] - 1900;
  tm.tm_mon = v[1] - 1;
  tm.tm_mday = v[2];
  tm.tm_hour = v[3];
  tm.tm_min = v[4];
  tm.tm_sec = v[5];
  const time_t secs = timegm(&tm);
  if (secs <= 0) return 0;
  uint64_t frac = 0;
  size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    int digits = 0;
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i)
      if (digits < 9) frac = frac * 10 + (text[i] - '0'), ++digits;
    for (; digits < 9; ++digits) frac *= 10;
  }
  int64_t offset = 0;  // seconds east of UTC
  if (i < text.size() && (text[i] == '+' || text[i] == '-') && i + 6 <= text.size()) {
    int h = 0, m = 0;
    if (num(i + 1, 2, h) && num(i + 4, 2, m)) offset = (text[i] == '+' ? 1 : -1) * (h * 3600 + m * 60);
  }
  return static_cast<uint64_t>(secs - offset) * 1'000'000'000ull + frac;
}

bool parse_container_json(std::string_view body, Runtime runtime, ContainerInfo& out,
                          std::string& error) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "not a JSON object";
    return false;
  }
  out = ContainerInfo{};
  out.id = str(j, "Id");
  if (out.id.empty()) {
    error = "no Id in the answer";
    return false;
  }
  out.runtime = runtime;
  out.name = str(j, "Name");
  if (!out.name.empty() && out.name[0] == '/') out.name.erase(0, 1);
  const json& config = member(j, "Config");
  const json& host = member(j, "HostConfig");
  out.image = str(config, "Image");
  out.image_id = strip_sha256(str(j, "Image"));
  // Created from an image id: no repository to show.
  if (!out.image.empty() && strip_sha256(out.image) != out.image_id)
    split_image_reference(out.image, out.image_repository, out.image_tag);
  out.user = str(config, "User");
  out.labels = string_map(member(config, "Labels"));
  out.privileged = boolean(host, "Privileged");
  if (host.is_object()) {
    out.host_pid = str(host, "PidMode") == "host";
    out.host_network = str(host, "NetworkMode") == "host";
    out.host_ipc = str(host, "IpcMode") == "host";
  }
  out.start_ts = parse_rfc3339_ns(str(member(j, "State"), "StartedAt"));
  const json& net = member(j, "NetworkSettings");
  out.ip = str(net, "IPAddress");
  if (out.ip.empty() && member(net, "Networks").is_object())
    for (const auto& [name, n] : member(net, "Networks").items())
      if (out.ip = str(n, "IPAddress"); !out.ip.empty()) break;
  if (const json& mounts = member(j, "Mounts"); mounts.is_array()) {
    for (const auto& m : mounts) {
      if (!m.is_object()) continue;
      Mount mount{str(m, "Source"), str(m, "Destination"), str(m, "Mode"),
                  boolean(m, "RW").value_or(true), str(m, "Propagation")};
      out.mounts.push_back(std::move(mount));
    }
  }
  // Kubernetes: the kubelet (through cri-dockerd) labels what it creates.
  const auto label = [&](const char* key) {
    const auto it = out.labels.find(key);
    return it == out.labels.end() ? std::string() : it->second;
  };
  out.pod_name = label("io.kubernetes.pod.name");
  out.pod_namespace = label("io.kubernetes.pod.namespace");
  out.pod_uid = label("io.kubernetes.pod.uid");
  out.sandbox_id = label("io.kubernetes.sandbox.id");
  return true;
}

std::string parse_image_digest(std::string_view body) {
  const json j = json::parse(body, nullptr, false);
  const json& digests = member(j, "RepoDigests");
  if (!digests.is_array()) return {};
  for (const auto& d : digests) {
    if (!d.is_string()) continue;
    const std::string s = d.get<std::string>();
    if (const size_t at = s.find('@'); at != std::string::npos) return s.substr(at + 1);
  }
  return {};
}

DockerClient::DockerClient(std::string socket_path, Runtime runtime,
                           std::chrono::milliseconds timeout, const std::atomic<bool>* stop)
    : socket_(std::move(socket_path)), runtime_(runtime), timeout_(timeout), stop_(stop) {}

Lookup DockerClient::inspect(std::string_view id_or_name) const {
  Lookup r;
  if (id_or_name.empty()) {
    r.outcome = LookupOutcome::kNotFound;
    return r;
  }
  Transfer t;
  t.stop = stop_;
  const HttpAnswer a = http_get(socket_, "/containers/" + escape_segment(id_or_name) + "/json",
                                timeout_, t);
  if (a.status == 0) {
    r.outcome = LookupOutcome::kUnreachable;
    r.error = a.error;
    return r;
  }
  if (a.status == 404) {
    r.outcome = LookupOutcome::kNotFound;
    return r;
  }
  if (a.status != 200) {
    r.outcome = LookupOutcome::kBadAnswer;
    r.error = "HTTP " + std::to_string(a.status);
    return r;
  }
  if (!parse_container_json(t.body, runtime_, r.info, r.error)) {
    r.outcome = LookupOutcome::kBadAnswer;
    return r;
  }
  r.outcome = LookupOutcome::kFound;
  // A kubelet container: the pod's labels are its sandbox's (the "pause" container's),
  // less the kubelet's own io.kubernetes.* keys.
  if (!r.info.sandbox_id.empty() && r.info.sandbox_id != r.info.id) {
    Transfer sandbox;
    sandbox.stop = stop_;
    ContainerInfo pod;
    std::string ignored;
    if (http_get(socket_, "/containers/" + escape_segment(r.info.sandbox_id) + "/json", timeout_,
                 sandbox)
                .status == 200 &&
        parse_container_json(sandbox.body, runtime_, pod, ignored)) {
      for (auto& [k, v] : pod.labels)
        if (k.rfind("io.kubernetes.", 0) != 0 && k.rfind("annotation.", 0) != 0)
          r.info.pod_labels.emplace(k, std::move(v));
    }
  }
  if (!r.info.image_id.empty()) {
    Transfer img;
    img.stop = stop_;
    if (http_get(socket_, "/images/sha256:" + escape_segment(r.info.image_id) + "/json", timeout_,
                 img)
            .status == 200)
      r.info.image_digest = parse_image_digest(img.body);
  }
  return r;
}

std::string DockerClient::watch_events(const EventFn& on_event) const {
  // filters={"type":["container"],"event":["start","destroy","rename"]}
  const std::string path =
      "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22%3A%5B%22start%22%2C"
      "%22destroy%22%2C%22rename%22%5D%7D";
  const std::function<void(std::string_view)> on_line = [&](std::string_view line) {
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return;
    std::string action = str(j, "Action");
    if (action.empty()) action = str(j, "status");  // older API versions
    std::string id = str(member(j, "Actor"), "ID");
    if (id.empty()) id = str(j, "id");
    if (!action.empty() && !id.empty()) on_event(action, id);
  };
  Transfer t;
  t.stop = stop_;
  t.on_line = &on_line;
  const HttpAnswer a = http_get(socket_, path, std::chrono::milliseconds(0), t);
  if (stop_ && stop_->load()) return {};
  if (a.status != 0 && a.status != 200) return "HTTP " + std::to_string(a.status);
  return a.error.empty() ? "the event stream ended" : a.error;
}

}  // namespace rtsec::container
