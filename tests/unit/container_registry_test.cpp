// SPDX-License-Identifier: Apache-2.0
// Container metadata: cgroup paths, the Docker Engine API client and the background
// registry, against a real HTTP server on a unix socket this test creates and feeds with
// the JSON shapes dockerd 20.10 sends (trimmed). A slow server and a dead socket show that
// events never wait and that an outage is reported once.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fields_test_util.hpp"
#include "rtsec/container/containers_config.hpp"
#include "rtsec/container/docker_client.hpp"
#include "rtsec/container/registry.hpp"

namespace rtsec::container {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kId = "41666095ef74b2e770247cb13a088eff9d878b9b5068ef0a2c001f80da464ce5";
const std::string kImageId = "0f20c3623af40ab3b5bbbe6ebec8baa799c46fe4a065b7aa48f87df89993aab7";

// What `docker inspect` said about a container of this test machine, trimmed, plus a bind
// mount and kubelet labels.
std::string inspect_json(const std::string& id = kId, const std::string& name = "/web-1") {
  return R"({"Id": ")" + id + R"(", "Created": "2026-11-26T04:18:38.914929392Z",
  "Path": "/bin/sleep", "Args": ["600"],
  "State": {"Status": "running", "Running": true, "Pid": 4242,
            "StartedAt": "2026-11-26T04:18:39.356985745Z", "FinishedAt": "0001-01-01T00:00:00Z"},
  "Image": "sha256:)" + kImageId + R"(",
  "Name": ")" + name + R"(", "RestartCount": 0, "Driver": "overlay2",
  "HostConfig": {"NetworkMode": "none", "IpcMode": "private", "PidMode": "host",
                 "Privileged": true, "CgroupnsMode": "host"},
  "Mounts": [{"Type": "bind", "Source": "/srv/data", "Destination": "/data", "Mode": "ro",
              "RW": false, "Propagation": "rprivate"}],
  "Config": {"Hostname": "41666095ef74", "User": "app", "Env": null,
             "Cmd": ["/bin/sleep", "600"], "Image": "registry.local:5000/team/web:1.2",
             "Labels": {"app": "web", "io.kubernetes.pod.name": "web-7d4b9",
                        "io.kubernetes.pod.namespace": "shop",
                        "io.kubernetes.pod.uid": "6b1e0c1c-0000-4000-8000-000000000001",
                        "io.kubernetes.sandbox.id": "aaaabbbbccccdddd"}},
  "NetworkSettings": {"Bridge": "", "IPAddress": "", "Networks": {"none": {"IPAddress": ""}}}})";
}

std::string image_json() {
  return R"({"Id": "sha256:)" + kImageId + R"(", "RepoTags": ["registry.local:5000/team/web:1.2"],
  "RepoDigests": ["registry.local:5000/team/web@sha256:1111222233334444"]})";
}

// An HTTP/1.1 server on a unix socket, a thread per connection (curl opens one per
// request here). Routes by path; /events streams until stopped.
class FakeDockerApi {
 public:
  explicit FakeDockerApi(fs::path socket) : socket_(std::move(socket)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_.c_str());
    fs::remove(socket_);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 16) != 0)
      ADD_FAILURE() << "cannot listen on " << socket_ << ": " << strerror(errno);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeDockerApi() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (auto& t : connections_) t.join();
    fs::remove(socket_);
  }

  std::chrono::milliseconds delay{0};  // before each answer: a slow daemon
  std::string container_body = inspect_json();
  std::vector<std::string> event_lines;  // sent on /events, then held open
  std::atomic<int> inspects{0};
  std::atomic<int> event_streams{0};

 private:
  void serve() {
    while (!stop_) {
      const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      connections_.emplace_back([this, c] {
        handle(c);
        ::close(c);
      });
    }
  }

  void handle(int c) {
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) return;
      req.append(buf, static_cast<size_t>(n));
    }
    const size_t sp = req.find(' ');
    const std::string path = req.substr(sp + 1, req.find(' ', sp + 1) - sp - 1);
    for (auto waited = 0ms; waited < delay && !stop_; waited += 10ms)
      std::this_thread::sleep_for(10ms);
    if (path.rfind("/events", 0) == 0) {
      ++event_streams;
      std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n";
      send_all(c, head);
      for (const auto& line : event_lines) send_chunk(c, line + "\n");
      while (!stop_) std::this_thread::sleep_for(20ms);
      return;
    }
    if (path.rfind("/containers/", 0) == 0) {
      ++inspects;
      const std::string who = path.substr(12, path.find('/', 12) - 12);
      if (who == kId || who == "web-1" || who == "41666095")
        return answer(c, 200, container_body);
      if (who == "aaaabbbbccccdddd")  // the pod's sandbox, with the pod's labels
        return answer(c, 200, R"({"Id": "aaaabbbbccccdddd", "Name": "/k8s_POD_web-7d4b9",
            "Config": {"Image": "registry.k8s.io/pause:3.9", "Labels": {"app": "web",
            "tier": "front", "io.kubernetes.pod.name": "web-7d4b9",
            "annotation.kubernetes.io/config.seen": "2026-11-26"}}})");
      return answer(c, 404, R"({"message":"No such container: )" + who + R"("})");
    }
    if (path.rfind("/images/", 0) == 0) return answer(c, 200, image_json());
    answer(c, 404, R"({"message":"page not found"})");
  }

  static void send_all(int c, const std::string& s) {
    for (size_t off = 0; off < s.size();) {
      const ssize_t n = ::send(c, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  static void send_chunk(int c, const std::string& s) {
    char len[32];
    std::snprintf(len, sizeof len, "%zx\r\n", s.size());
    send_all(c, len + s + "\r\n");
  }
  static void answer(int c, int status, const std::string& body) {
    send_all(c, "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Not Found") +
                    "\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body);
  }

  fs::path socket_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> connections_;  // the accepting thread's own
};

fs::path temp_socket(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("rtsec-ctr-" + std::to_string(getpid()));
  fs::create_directories(dir);
  return dir / name;
}

ContainersConfig config_for(const fs::path& socket) {
  ContainersConfig c;
  c.endpoints = {{Runtime::kDocker, socket.string()}};
  c.lookup_timeout = 1000ms;
  c.retry = 100ms;
  return c;
}

// Polls the registry as the event thread would, until `id` is known or `timeout`.
const ContainerInfo* wait_for(Registry::View& r, const std::string& id,
                              std::chrono::milliseconds timeout = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    r.refresh();
    if (const ContainerInfo* i = r.find(id)) return i;
    std::this_thread::sleep_for(5ms);
  }
  return nullptr;
}

// Collects what rtsec logs while alive.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  size_t count(const std::string& needle) {
    spdlog::default_logger()->flush();
    const std::string s = out_.str();
    size_t n = 0;
    for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(ContainerCgroup, RuntimesAndLayouts) {
  const std::string id = kId;
  struct Case {
    std::string path;
    Runtime runtime;
  } cases[] = {
      {"/docker/" + id, Runtime::kDocker},                                   // v1, cgroupfs
      {"/system.slice/docker-" + id + ".scope", Runtime::kDocker},           // v2, systemd
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6b1e.slice/"
       "cri-containerd-" + id + ".scope", Runtime::kContainerd},
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/crio-" + id +
           ".scope", Runtime::kCriO},
      {"/machine.slice/libpod-" + id + ".scope/container", Runtime::kPodman},  // podman v2
      {"/kubepods/besteffort/pod6b1e/" + id, Runtime::kCri},                   // cgroupfs kubelet
      {"/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:" + id,
       Runtime::kContainerd},
  };
  for (const auto& c : cases) {
    const CgroupContainer got = container_in_cgroup(c.path);
    EXPECT_EQ(got.id, id) << c.path;
    EXPECT_EQ(runtime_name(got.runtime), runtime_name(c.runtime)) << c.path;
  }
  for (const std::string& host : std::vector<std::string>{"/", "/user.slice/user-0.slice/session-3.scope",
                                  "/system.slice/crio-conmon-" + id + ".scope",
                                  "/machine.slice/libpod-conmon-" + id + ".scope",
                                  "/docker/" + id.substr(0, 63), "/docker/" + id + "x"})
    EXPECT_EQ(container_in_cgroup(host).id, "") << host;
}

TEST(ContainerImage, ReferencesSplitAsFalcoShowsThem) {
  std::string repo, tag;
  split_image_reference("busybox", repo, tag);
  EXPECT_EQ(repo + "|" + tag, "busybox|latest");
  split_image_reference("registry.local:5000/team/web:1.2", repo, tag);
  EXPECT_EQ(repo + "|" + tag, "registry.local:5000/team/web|1.2");
  split_image_reference("registry.local:5000/team/web", repo, tag);
  EXPECT_EQ(repo + "|" + tag, "registry.local:5000/team/web|latest");
  split_image_reference("alpine@sha256:abcd", repo, tag);
  EXPECT_EQ(repo + "|" + tag, "alpine|");
  split_image_reference("alpine:3.19@sha256:abcd", repo, tag);
  EXPECT_EQ(repo + "|" + tag, "alpine|3.19");
}

TEST(ContainerJson, InspectAnswerParses) {
  ContainerInfo i;
  std::string error;
  ASSERT_TRUE(parse_container_json(inspect_json(), Runtime::kDocker, i, error)) << error;
  EXPECT_EQ(i.id, kId);
  EXPECT_EQ(i.name, "web-1");
  EXPECT_EQ(i.image, "registry.local:5000/team/web:1.2");
  EXPECT_EQ(i.image_repository, "registry.local:5000/team/web");
  EXPECT_EQ(i.image_tag, "1.2");
  EXPECT_EQ(i.image_id, kImageId);
  EXPECT_EQ(i.user, "app");
  EXPECT_EQ(i.privileged, true);
  EXPECT_EQ(i.host_pid, true);
  EXPECT_EQ(i.host_network, false);
  EXPECT_EQ(i.host_ipc, false);
  EXPECT_EQ(i.ip, "");
  EXPECT_EQ(i.start_ts, 1795666719356985745ull);  // 2026-11-26T04:18:39.356985745Z
  ASSERT_EQ(i.mounts.size(), 1u);
  EXPECT_EQ(i.mounts[0].source, "/srv/data");
  EXPECT_FALSE(i.mounts[0].rw);
  EXPECT_EQ(i.pod_name, "web-7d4b9");
  EXPECT_EQ(i.pod_namespace, "shop");
  EXPECT_EQ(i.labels.at("app"), "web");
  EXPECT_EQ(parse_image_digest(image_json()), "sha256:1111222233334444");
}

TEST(ContainerJson, UntrustedAnswersAreErrorsNotCrashes) {
  ContainerInfo i;
  std::string error;
  for (const std::string& bad : std::vector<std::string>{"", "{", "[]", "null", R"({"Id": 5})", R"({"Name": "/x"})",
                                std::string(100000, '['), R"({"Id":"x","Config":[1,2]})"}) {
    const bool ok = parse_container_json(bad, Runtime::kDocker, i, error);
    if (ok) {
      EXPECT_EQ(i.id, "x") << bad.substr(0, 40);  // only the last one has an Id
    }
  }
  // Wrong types inside are skipped, not trusted.
  ASSERT_TRUE(parse_container_json(
      R"({"Id":"x","Name":7,"Config":{"Labels":{"a":1,"b":"c"}},"Mounts":[3,{"RW":"no"}],
          "HostConfig":{"Privileged":"yes"},"State":{"StartedAt":"garbage"}})",
      Runtime::kDocker, i, error));
  EXPECT_EQ(i.name, "");
  EXPECT_EQ(i.labels.size(), 1u);
  EXPECT_EQ(i.mounts.size(), 1u);
  EXPECT_FALSE(i.privileged.has_value());
  EXPECT_EQ(i.start_ts, 0u);
  EXPECT_EQ(parse_rfc3339_ns("0001-01-01T00:00:00Z"), 0u);
  EXPECT_EQ(parse_rfc3339_ns("2026-11-26T05:18:39+01:00"), 1795666719000000000ull);
}

TEST(DockerClient, InspectsOverAUnixSocket) {
  const fs::path sock = temp_socket("api.sock");
  FakeDockerApi api(sock);
  DockerClient client(sock.string(), Runtime::kDocker, 1000ms);
  Lookup r = client.inspect(kId);
  ASSERT_EQ(r.outcome, LookupOutcome::kFound) << r.error;
  EXPECT_EQ(r.info.name, "web-1");
  EXPECT_EQ(r.info.image_digest, "sha256:1111222233334444");
  EXPECT_EQ(client.inspect("web-1").info.id, kId);  // by name, as --container NAME does
  EXPECT_EQ(client.inspect(std::string(64, 'b')).outcome, LookupOutcome::kNotFound);
  api.container_body = "<html>not the API</html>";
  EXPECT_EQ(client.inspect(kId).outcome, LookupOutcome::kBadAnswer);
  api.container_body = std::string(5u << 20, ' ');  // larger than any inspect answer
  EXPECT_EQ(client.inspect(kId).outcome, LookupOutcome::kUnreachable);
  DockerClient nobody((sock.parent_path() / "none.sock").string(), Runtime::kDocker, 500ms);
  EXPECT_EQ(nobody.inspect(kId).outcome, LookupOutcome::kUnreachable);
}

TEST(ContainerRegistry, FirstEventsNaThenEnrichedInTheBackground) {
  const fs::path sock = temp_socket("bg.sock");
  FakeDockerApi api(sock);
  ContainersConfig config = config_for(sock);
  config.watch_events = false;
  Registry registry(config);
  Registry::View view(registry);  // as an event thread reads it
  EXPECT_EQ(view.find(kId), nullptr);  // not known yet: asked for, not waited for
  const ContainerInfo* i = wait_for(view, kId);
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->name, "web-1");
  EXPECT_EQ(i->runtime, Runtime::kDocker);
  const int asked = api.inspects.load();
  EXPECT_EQ(asked, 2);  // the container, and its pod's sandbox for the pod labels
  for (int n = 0; n < 100; ++n) view.find(kId);
  EXPECT_EQ(api.inspects.load(), asked) << "the cache answers from now on";
  EXPECT_EQ(registry.stats().found, 1u);
}

TEST(ContainerRegistry, SlowSocketNeverDelaysAnEvent) {
  const fs::path sock = temp_socket("slow.sock");
  FakeDockerApi api(sock);
  api.delay = 700ms;
  ContainersConfig config = config_for(sock);
  config.watch_events = false;
  Registry registry(config);
  Registry::View view(registry);  // as an event thread reads it
  // While the daemon takes its time, every event's lookup returns at once.
  std::chrono::nanoseconds worst{0};
  const auto until = std::chrono::steady_clock::now() + 300ms;
  while (std::chrono::steady_clock::now() < until) {
    const auto t0 = std::chrono::steady_clock::now();
    view.refresh();
    EXPECT_EQ(view.find(kId), nullptr);
    worst = std::max(worst, std::chrono::steady_clock::now() - t0);
  }
  // Scheduling noise on a busy machine aside, far below the daemon's 700 ms.
  EXPECT_LT(worst, 100ms) << "a lookup blocked the event thread";
  EXPECT_NE(wait_for(view, kId), nullptr) << "the slow answer still arrives";
}

TEST(ContainerRegistry, DeadSocketWarnsOnceAndFieldsStayNa) {
  const fs::path sock = temp_socket("dead.sock");
  {
    FakeDockerApi api(sock);  // a socket file whose daemon died: connection refused
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);  // bound, never listening
  LogCapture log;
  {
    ContainersConfig config = config_for(sock);
    // A runtime that is not installed at all: a line, not a warning.
    config.endpoints.push_back({Runtime::kPodman, (sock.parent_path() / "none.sock").string()});
    Registry registry(config);
    Registry::View view(registry);  // as an event thread reads it
    for (int n = 0; n < 20; ++n) {
      std::string id = kId;
      id[0] = "0123456789abcdef"[n % 16];
      id[1] = "0123456789abcdef"[n / 16];
      view.find(id);
    }
    std::this_thread::sleep_for(300ms);
    view.refresh();
    EXPECT_EQ(view.find(kId), nullptr);
    EXPECT_GE(registry.stats().unreachable, 1u);
  }
  EXPECT_EQ(log.count("does not answer"), 1u);
  EXPECT_EQ(log.count("[warning]"), 1u);
  EXPECT_EQ(log.count("no podman API socket"), 1u);
  fs::remove(sock);
}

TEST(ContainerRegistry, EventStreamPrefetchesStartedContainers) {
  const fs::path sock = temp_socket("events.sock");
  FakeDockerApi api(sock);
  api.event_lines = {
      R"({"status":"start","id":")" + kId + R"(","from":"busybox","Type":"container","Action":"start","Actor":{"ID":")" +
          kId + R"(","Attributes":{"image":"busybox","name":"web-1"}},"scope":"local","time":1795666719})",
      "not json at all",
  };
  Registry registry(config_for(sock));
  Registry::View view(registry);  // as an event thread reads it
  // Started containers are inspected before any event asks.
  for (int n = 0; n < 500 && api.inspects.load() == 0; ++n) std::this_thread::sleep_for(10ms);
  EXPECT_GE(api.inspects.load(), 1);
  EXPECT_GE(registry.stats().events, 1u);
  const ContainerInfo* i = wait_for(view, kId);
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->name, "web-1");
}

TEST(ContainersConfig, ParsesAndNamesTheLineOfAnError) {
  auto ok = parse_containers_config(
      YAML::Load("docker_socket: /run/d.sock\npodman_socket: \"\"\nlookup_timeout_ms: 250\n"),
      "rtsec.yaml");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->endpoints[0].socket, "/run/d.sock");
  EXPECT_EQ(ok->endpoints[1].socket, "");
  EXPECT_EQ(ok->lookup_timeout, 250ms);
  auto bad = parse_containers_config(YAML::Load("enabled: true\ndocker_sock: /x\n"), "r.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("r.yaml:2: containers: unknown key 'docker_sock'"),
            std::string::npos)
      << bad.error().message;
  auto rel = parse_containers_config(YAML::Load("docker_socket: run/d.sock"), "r.yaml");
  ASSERT_FALSE(rel);
  EXPECT_NE(rel.error().message.find("absolute"), std::string::npos);
  EXPECT_FALSE(parse_containers_config(YAML::Load("retry_ms: -1"), "r.yaml"));
}

// container.* and k8s.* through the rules' field registry.
class ContainerFields : public testing::FieldsTest {};

TEST_F(ContainerFields, FilledOnceTheRuntimeAnswers) {
  const fs::path sock = temp_socket("fields.sock");
  FakeDockerApi api(sock);
  Registry registry(config_for(sock));
  Registry::View view(registry);  // as an event thread reads it
  st_->set_containers(&registry);
  testing::Events::Exec x;
  x.exepath = "/bin/sh";
  x.argv = {"sh"};
  x.comm = "sh";
  x.uid = x.euid = x.gid = 0;
  x.cgroup = "/docker/" + kId;
  at(e_.exec(testing::kPid, x));
  EXPECT_EQ(get("container.id"), kId.substr(0, 12));
  EXPECT_EQ(get("container.type"), "docker");
  EXPECT_EQ(get("container.name"), "<NA>");  // the first event: not known yet
  ASSERT_NE(wait_for(view, kId), nullptr);
  at(e_.exec(testing::kPid, x));  // a later event of the same container
  EXPECT_EQ(get("container.name"), "web-1");
  EXPECT_EQ(get("container.image"), "registry.local:5000/team/web:1.2");
  EXPECT_EQ(get("container.image.repository"), "registry.local:5000/team/web");
  EXPECT_EQ(get("container.image.tag"), "1.2");
  EXPECT_EQ(get("container.image.id"), kImageId);
  EXPECT_EQ(get("container.image.digest"), "sha256:1111222233334444");
  EXPECT_EQ(get("container.privileged"), "true");
  EXPECT_EQ(get("container.host_pid"), "true");
  EXPECT_EQ(get("container.host_network"), "false");
  EXPECT_EQ(get("container.ip"), "<NA>");
  EXPECT_EQ(get("container.user"), "app");
  EXPECT_EQ(get("container.start_ts"), "1795666719356985745");
  EXPECT_EQ(get("container.label", "app"), "web");
  EXPECT_EQ(get("container.label", "nope"), "<NA>");
  EXPECT_EQ(get("container.mounts"), "/srv/data:/data:ro:false:rprivate");
  EXPECT_EQ(get("container.mount.dest", "/srv/*"), "/data");
  EXPECT_EQ(get("container.mount.source", "0"), "/srv/data");
  EXPECT_EQ(get("container.mount.source", "/data"), "/srv/data");
  EXPECT_EQ(get("k8s.pod.name"), "web-7d4b9");
  EXPECT_EQ(get("k8s.ns.name"), "shop");
  EXPECT_EQ(get("k8s.pod.uid"), "6b1e0c1c-0000-4000-8000-000000000001");
  EXPECT_EQ(get("k8s.pod.sandbox_id"), "aaaabbbbcccc");
  EXPECT_EQ(get("k8s.pod.labels"), "app:web, tier:front");
  EXPECT_EQ(get("k8s.pod.label", "tier"), "front");
  finish();
  st_->set_containers(nullptr);
}

TEST_F(ContainerFields, HostAndUnknownRuntime) {
  start_bash();
  at(e_.exec(testing::kPid, [] {
    testing::Events::Exec x;
    x.exepath = "/bin/true";
    x.argv = {"true"};
    x.comm = "true";
    return x;
  }()));
  EXPECT_EQ(get("container.name"), "host");
  EXPECT_EQ(get("container.type"), "host");
  EXPECT_EQ(get("container.image.repository"), "<NA>");
  EXPECT_EQ(get("k8s.pod.name"), "<NA>");
  finish();
}

}  // namespace
}  // namespace rtsec::container
