// SPDX-License-Identifier: Apache-2.0
// What the container tests share: a Docker daemon that answers (started offline by
// tests/docker/dockerd.sh when none does), the tiny busybox image of
// tests/docker/build-image.sh, containers removed when the test ends, and rtsec
// detecting host-wide in the background (a container's processes descend from the
// runtime, not from a command rtsec could run).
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

namespace rtsec::dockertest {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;

inline const std::string kScripts = std::string(RTSEC_SOURCE_DIR) + "/tests/docker";
inline const std::string kImage = "rtsec-test-busybox:1";
inline const std::string kImageRepository = "rtsec-test-busybox";

// `name` found on PATH (or in the sbin directories a non-login PATH may lack), or "".
inline std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(std::string(path ? path : "/usr/local/bin:/usr/bin:/bin") +
                          ":/usr/sbin:/sbin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path p = fs::path(dir) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

inline conformance::RunResult run(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout = 60s) {
  conformance::RunOptions o;
  o.timeout = timeout;
  auto r = conformance::run_process(argv, o);
  if (!r) {
    conformance::RunResult failed;
    failed.status = 127 << 8;
    failed.err = r.error().message;
    return failed;
  }
  return *r;
}

inline conformance::RunResult docker(std::vector<std::string> args,
                                     std::chrono::milliseconds timeout = 60s) {
  args.insert(args.begin(), find_program("docker"));
  return run(args, timeout);
}

// Why the container tests cannot run here, or nullopt once dockerd answers and the test
// image exists.
inline std::optional<std::string> docker_unavailable() {
  if (geteuid() != 0) return "the container tests need root (dockerd, the eBPF driver)";
  if (find_program("docker").empty() || find_program("dockerd").empty())
    return "docker.io is not installed (ci/install-deps.sh installs it)";
  auto up = run({kScripts + "/dockerd.sh", "start"}, 90s);
  if (!up.exited_ok()) return "no Docker daemon answers and none could be started: " + up.err;
  auto image = run({kScripts + "/build-image.sh", kImage}, 120s);
  if (!image.exited_ok()) return "cannot build the test image offline: " + image.err;
  return std::nullopt;
}

// A running container of the test image, with no network; removed when destroyed.
class Container {
 public:
  explicit Container(const std::string& stem, std::vector<std::string> extra = {}) {
    name_ = stem + "-" + std::to_string(getpid());
    docker({"rm", "-f", name_}, 30s);  // a leftover of a killed run
    std::vector<std::string> args = {"run", "-d", "--network", "none", "--name", name_};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {kImage, "/bin/sleep", "600"});
    auto r = docker(args, 60s);
    if (!r.exited_ok()) {
      ADD_FAILURE() << "docker run: " << r.describe() << ": " << r.err;
      return;
    }
    id_ = r.out.substr(0, r.out.find_first_of("\r\n"));
  }
  ~Container() {
    if (!name_.empty()) docker({"rm", "-f", name_}, 30s);
  }
  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;

  bool ok() const { return id_.size() == 64; }
  const std::string& id() const { return id_; }
  std::string short_id() const { return id_.substr(0, 12); }
  const std::string& name() const { return name_; }

  // docker exec [-t] NAME sh -c SCRIPT.
  conformance::RunResult exec(const std::string& script, bool tty = false) const {
    std::vector<std::string> args = {"exec"};
    if (tty) args.push_back("-t");
    args.insert(args.end(), {name_, "/bin/sh", "-c", script});
    return docker(args, 60s);
  }
  // docker exec NAME ARGS... (docker exec's own options first: {"-d", "sh", ...}).
  conformance::RunResult run(const std::vector<std::string>& argv) const {
    std::vector<std::string> args = {"exec"};
    size_t i = 0;
    for (; i < argv.size() && argv[i].rfind("-", 0) == 0; ++i) args.push_back(argv[i]);
    args.push_back(name_);
    args.insert(args.end(), argv.begin() + static_cast<std::ptrdiff_t>(i), argv.end());
    return docker(args, 60s);
  }

 private:
  std::string name_, id_;
};

// `rtsec run` host-wide, JSON alerts to a file, until stop().
class BackgroundRtsec {
 public:
  explicit BackgroundRtsec(std::vector<std::string> args) {
    dir_ = fs::temp_directory_path() / ("rtsec-docker-test-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    out_ = dir_ / "alerts.json";
    err_ = dir_ / "stderr.txt";
    args.insert(args.begin(), {std::string(RTSEC_BIN_DIR) + "/rtsec", "run", "-o",
                               "outputs.json_output=true", "-o",
                               "outputs.json_include_output_fields_property=true", "-o",
                               "outputs.priority=debug"});
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      std::FILE* o = std::freopen(out_.c_str(), "w", stdout);
      std::FILE* e = std::freopen(err_.c_str(), "w", stderr);
      if (!o || !e) _exit(127);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~BackgroundRtsec() {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Waits until rtsec alerts on a canary: a copy of cat named rtsec-canary reading
  // /etc/shadow, repeated until its alert shows (the probe takes seconds to load).
  bool wait_ready(std::chrono::seconds timeout = 40s) {
    const fs::path canary = dir_ / "rtsec-canary";
    fs::copy_file(find_program("cat"), canary, fs::copy_options::overwrite_existing);
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (exited()) return false;
      run({canary.string(), "/etc/shadow"}, 5s);
      std::this_thread::sleep_for(300ms);
      for (const auto& a : alerts())  // rules name the process by proc.name or its cmdline
        if (a["output_fields"].value("proc.name", "") == "rtsec-canary" ||
            a["output_fields"].value("proc.cmdline", "").rfind("rtsec-canary ", 0) == 0)
          return true;
    }
    return false;
  }

  // SIGINT, then the exit status (rtsec drains and prints its stats).
  int stop() {
    if (pid_ <= 0) return status_;
    kill(pid_, SIGINT);
    for (int i = 0; i < 300; ++i) {
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = 0;
        return status_;
      }
      std::this_thread::sleep_for(50ms);
    }
    kill(-pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    pid_ = 0;
    return status_;
  }

  bool exited() {
    if (pid_ > 0 && waitpid(pid_, &status_, WNOHANG) == pid_) pid_ = 0;
    return pid_ == 0;
  }

  std::vector<Json> alerts() const {
    std::vector<Json> out;
    std::ifstream in(out_);
    for (std::string line; std::getline(in, line);) {
      Json j = Json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object() && j.contains("rule") &&
          j["output_fields"].is_object())
        out.push_back(std::move(j));
    }
    return out;
  }
  // The alerts of processes in container `id` (12 hex digits).
  std::vector<Json> alerts_in(const std::string& id12) const {
    std::vector<Json> out;
    for (auto& a : alerts())
      if (a["output_fields"].value("container.id", "") == id12) out.push_back(std::move(a));
    return out;
  }
  std::string stderr_text() const {
    std::ifstream in(err_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  fs::path dir_, out_, err_;
  pid_t pid_ = -1;
  int status_ = 0;
};

inline std::string dump(const std::vector<Json>& alerts) {
  if (alerts.empty()) return "(no alerts)";
  std::string out;
  for (const auto& a : alerts) out += "\n  " + a.value("rule", "") + ": " + a["output_fields"].dump();
  return out;
}

// The first alert of `rule` among `alerts`, or nullptr.
inline const Json* find_rule(const std::vector<Json>& alerts, const std::string& rule) {
  for (const auto& a : alerts)
    if (a.value("rule", "") == rule) return &a;
  return nullptr;
}

}  // namespace rtsec::dockertest
