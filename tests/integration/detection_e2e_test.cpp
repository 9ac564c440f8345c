// SPDX-License-Identifier: Apache-2.0
// Detection end to end: the real rtsec binary and the eBPF driver.
//  - the upstream Falco rules file loads and its "Read sensitive file
//    untrusted" fires on `cat /etc/shadow`;
//  - one alert reaches stdout, the file output and the HTTP output, each the
//    same Falco-shaped JSON;
//  - SIGHUP reloads the rules while capture runs, and a broken rules file
//    keeps the previous rules.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"
#include "upstream_rules.hpp"

namespace rtsec {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;

const std::string kRtsec = std::string(RTSEC_BIN_DIR) + "/rtsec";
const fs::path kPlugin = fs::path(RTSEC_PLUGIN_DIR) / "librtsec-driver-ebpf.so";
const fs::path kFalcoRules = rtsec::testing::upstream_rules_dir() / "falco_rules.yaml";

const char *const kFalcoKeys[] = {"hostname", "output", "output_fields",
                                  "priority", "rule",   "source",
                                  "tags",     "time"};

std::string tail(const std::string &s, size_t n = 3000) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep))
    out.push_back(item);
  return out;
}

std::string read_text(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path &p, const std::string &text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// The JSON alerts among `text`'s lines (lines that are not alerts are skipped).
std::vector<Json> alerts_in(const std::string &text) {
  std::vector<Json> out;
  for (const auto &line : split(text, '\n')) {
    if (line.empty())
      continue;
    Json j = Json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("rule"))
      out.push_back(std::move(j));
  }
  return out;
}

std::string dump(const std::vector<Json> &alerts) {
  if (alerts.empty())
    return "(no alerts)";
  std::string out;
  for (const auto &a : alerts)
    out += "\n  " + a.dump();
  return out;
}

// The alerts of `rule` whose output_fields[field] is `value`.
std::vector<Json> matching(const std::vector<Json> &alerts,
                           const std::string &rule, const std::string &field,
                           const std::string &value) {
  std::vector<Json> out;
  for (const auto &a : alerts) {
    if (a.value("rule", "") != rule || !a.contains("output_fields") ||
        !a["output_fields"].is_object())
      continue;
    if (a["output_fields"].value(field, Json()) == Json(value))
      out.push_back(a);
  }
  return out;
}

void expect_falco_keys(const Json &a, const std::string &where) {
  for (const char *k : kFalcoKeys)
    EXPECT_TRUE(a.contains(k)) << where << ": no key " << k << ": " << a.dump();
  EXPECT_TRUE(a.value("output_fields", Json()).is_object())
      << where << ": " << a.dump();
  EXPECT_TRUE(a.value("tags", Json()).is_array()) << where << ": " << a.dump();
  EXPECT_EQ(a.value("source", ""), "syscall") << where << ": " << a.dump();
}

// ---- a minimal HTTP/1.1 listener
// ----------------------------------------------

// Accepts connections on 127.0.0.1:<ephemeral>, reads requests with their
// Content-Length bodies (keep-alive), answers 200 to each.
class HttpSink {
public:
  HttpSink() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(
        bind(listen_fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(listen_fd_, 16), 0);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~HttpSink() {
    stop_ = true;
    thread_.join();
    for (auto &t : conns_)
      t.join();
    close(listen_fd_);
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/";
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  bool wait_for(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return bodies_.size() >= n; });
  }

private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0)
        continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0)
        conns_.emplace_back([this, fd] { serve(fd); });
    }
  }
  bool read_more(int fd, std::string &buf) {
    char chunk[8192];
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      int r = poll(&p, 1, 20);
      if (r == 0)
        continue;
      if (r < 0)
        return false;
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0)
        return false;
      buf.append(chunk, static_cast<size_t>(n));
      return true;
    }
    return false;
  }
  void serve(int fd) {
    std::string buf;
    while (!stop_) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos)
        if (!read_more(fd, buf))
          return (void)close(fd);
      std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      size_t length = 0;
      for (const auto &raw : split(head, '\n')) {
        std::string line = raw;
        if (!line.empty() && line.back() == '\r')
          line.pop_back();
        auto colon = line.find(':');
        if (colon == std::string::npos)
          continue;
        std::string name = line.substr(0, colon);
        for (auto &c : name)
          c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
        if (name == "content-length")
          length = std::stoul(line.substr(colon + 1));
      }
      while (buf.size() < length)
        if (!read_more(fd, buf))
          return (void)close(fd);
      {
        std::lock_guard lock(mu_);
        bodies_.push_back(buf.substr(0, length));
        cv_.notify_all();
      }
      buf.erase(0, length);
      const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
      if (send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0)
        break;
    }
    close(fd);
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> conns_; // only the accept thread adds
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> bodies_;
};

// ---- a background rtsec
// ---------------------------------------------------------

// rtsec without `--`, running until SIGINT, its stdout and stderr in files.
class Background {
public:
  Background(const std::vector<std::string> &argv, const fs::path &out,
             const fs::path &err)
      : out_(out), err_(err) {
    std::vector<char *> args;
    for (const auto &a : argv)
      args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      const int in = ::open("/dev/null", O_RDONLY);
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 ||
          dup2(e, 2) < 0)
        _exit(126);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  Background(const Background &) = delete;
  Background &operator=(const Background &) = delete;
  ~Background() {
    if (pid_ > 0 && !status_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  bool running() {
    if (pid_ <= 0)
      return false;
    int st = 0;
    if (!status_ && waitpid(pid_, &st, WNOHANG) == pid_)
      status_ = st;
    return !status_;
  }
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    if (!running())
      return status_;
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
    status_ = st;
    return std::nullopt;
  }
  std::string out() const { return read_text(out_); }
  std::string err() const { return read_text(err_); }

  // Capture runs once rtsec holds a bpf_link and catches SIGINT (its
  // handlers, SIGHUP's among them, are installed after the probe attaches).
  bool wait_until_capturing(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const fs::path proc = "/proc/" + std::to_string(pid_);
    auto attached = [&] {
      std::error_code ec;
      for (const auto &fd : fs::directory_iterator(proc / "fd", ec)) {
        std::error_code lec;
        if (fs::read_symlink(fd.path(), lec).string() == "anon_inode:bpf_link")
          return true;
      }
      return false;
    };
    auto catches_sigint = [&] {
      for (const auto &line : split(read_text(proc / "status"), '\n'))
        if (line.rfind("SigCgt:", 0) == 0)
          return ((std::stoull(line.substr(7), nullptr, 16) >> (SIGINT - 1)) &
                  1) != 0;
      return false;
    };
    while (running() && std::chrono::steady_clock::now() < deadline) {
      if (attached() && catches_sigint())
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  fs::path out_, err_;
};

// ---- fixture
// ----------------------------------------------------------------------

class DetectionE2e : public ::testing::Test {
protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "the eBPF driver needs root: run as root";
    if (!fs::exists(kPlugin))
      GTEST_SKIP() << "driver plugin " << kPlugin << " is not built";
    std::string templ =
        (fs::temp_directory_path() / "rtsec-detection-e2e-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    for (const auto &p : cleanup_)
      fs::remove_all(p, ec);
    if (!dir_.empty())
      fs::remove_all(dir_, ec);
  }

  // `rtsec ARGS...` to completion.
  conformance::RunResult rtsec(const std::vector<std::string> &args) {
    std::vector<std::string> argv{kRtsec};
    argv.insert(argv.end(), args.begin(), args.end());
    conformance::RunOptions opts;
    opts.timeout = 60s;
    auto run = conformance::run_process(argv, opts);
    if (!run.ok()) {
      ADD_FAILURE() << "cannot run " << kRtsec << ": " << run.error().message;
      return {};
    }
    EXPECT_FALSE(run->timed_out) << "rtsec did not finish in time; stderr:\n"
                                 << tail(run->err);
    EXPECT_TRUE(WIFEXITED(run->status) && WEXITSTATUS(run->status) == 0)
        << run->describe() << "; stderr:\n"
        << tail(run->err);
    return *run;
  }

  fs::path dir_;
  std::vector<fs::path> cleanup_;
};

// ---- 1. the upstream Falco rules
// ---------------------------------------------------

TEST_F(DetectionE2e, UpstreamFalcoRulesFire) {
  if (!fs::exists(kFalcoRules))
    GTEST_SKIP() << "no upstream Falco rules at " << kFalcoRules;
  const auto run = rtsec({"run", "-r", kFalcoRules.string(), "-o",
                          "outputs.json_output=true", "-o", "rule_matching=all",
                          "--", "sh", "-c", "cat /etc/shadow > /dev/null"});
  const auto alerts = alerts_in(run.out);
  const auto hits = matching(alerts, "Read sensitive file untrusted", "fd.name",
                             "/etc/shadow");
  ASSERT_FALSE(hits.empty())
      << "no 'Read sensitive file untrusted' on /etc/shadow; alerts:"
      << dump(alerts) << "\nstderr:\n"
      << tail(run.err);
  bool by_cat = false;
  for (const auto &a : hits)
    by_cat |= a["output_fields"].value("proc.name", Json()) == Json("cat");
  EXPECT_TRUE(by_cat) << "no alert with proc.name=cat:" << dump(hits);
  expect_falco_keys(hits[0], "stdout");
}

// ---- 2. stdout, file and HTTP outputs
// ---------------------------------------------

TEST_F(DetectionE2e, AlertReachesFileAndHttp) {
  HttpSink sink;
  const fs::path alerts_file = dir_ / "alerts.json";
  const fs::path planted =
      fs::path("/usr/local/bin") /
      ("rtsec-e2e-" + std::to_string(getpid()) + "-" +
       std::to_string(
           std::chrono::steady_clock::now().time_since_epoch().count()));
  cleanup_.push_back(planted);
  const std::string rule = "Write below binary directory";

  const auto run =
      rtsec({"run", "-o", "outputs.json_output=true", "-o",
             "outputs.file_output.enabled=true", "-o",
             "outputs.file_output.filename=" + alerts_file.string(), "-o",
             "outputs.http_output.enabled=true", "-o",
             "outputs.http_output.url=" + sink.url(), "--", "touch",
             planted.string()});
  EXPECT_TRUE(fs::exists(planted));

  // stdout
  const auto out_hits =
      matching(alerts_in(run.out), rule, "fd.name", planted.string());
  ASSERT_EQ(out_hits.size(), 1u)
      << "stdout:" << dump(alerts_in(run.out)) << "\nstderr:\n"
      << tail(run.err);
  expect_falco_keys(out_hits[0], "stdout");

  // the file: every line valid JSON
  const std::string file_text = read_text(alerts_file);
  for (const auto &line : split(file_text, '\n'))
    if (!line.empty()) {
      EXPECT_TRUE(Json::accept(line)) << "file line is not JSON: " << line;
    }
  const auto file_hits =
      matching(alerts_in(file_text), rule, "fd.name", planted.string());
  ASSERT_EQ(file_hits.size(), 1u) << alerts_file << ":\n" << tail(file_text);
  expect_falco_keys(file_hits[0], "file");
  EXPECT_EQ(file_hits[0], out_hits[0]);

  // HTTP: rtsec has exited, so every POST has arrived (a short wait for the
  // server thread to record it).
  sink.wait_for(1, 2s);
  std::vector<Json> posted;
  for (const auto &body : sink.bodies()) {
    Json j = Json::parse(body, nullptr, false);
    EXPECT_FALSE(j.is_discarded())
        << "POST body is not JSON: " << body.substr(0, 300);
    if (!j.is_discarded() && j.is_object())
      posted.push_back(std::move(j));
  }
  const auto http_hits = matching(posted, rule, "fd.name", planted.string());
  ASSERT_EQ(http_hits.size(), 1u)
      << "POST bodies:" << dump(posted) << "\nstderr:\n"
      << tail(run.err);
  expect_falco_keys(http_hits[0], "http");
  EXPECT_EQ(http_hits[0], out_hits[0]);
}

// ---- 3. SIGHUP
// -----------------------------------------------------------------

std::string marker_rules(const std::string &path) {
  return "- rule: E2E marker opened\n"
         "  desc: a marker file was opened\n"
         "  condition: evt.type in (open, openat, openat2) and fd.num >= 0 and "
         "fd.name = " +
         path +
         "\n"
         "  output: marker opened (file=%fd.name proc=%proc.name)\n"
         "  priority: WARNING\n";
}

TEST_F(DetectionE2e, SighupReloadsRulesAndKeepsOldOnError) {
  const fs::path a = dir_ / "marker-a";
  const fs::path b = dir_ / "marker-b";
  write_text(a, "a\n");
  write_text(b, "b\n");
  const fs::path rules = dir_ / "rules.yaml";
  write_text(rules, marker_rules(a.string()));
  const std::string rule = "E2E marker opened";

  Background rtsec(
      {kRtsec, "-r", rules.string(), "-o", "outputs.json_output=true"},
      dir_ / "out", dir_ / "err");
  ASSERT_TRUE(rtsec.wait_until_capturing(15s))
      << "rtsec did not start capturing; stderr:\n"
      << tail(rtsec.err());

  auto open_file = [](const fs::path &p) {
    auto r = conformance::run_process({"/bin/cat", p.string()});
    ASSERT_TRUE(r.ok() && r->exited_ok()) << "cat " << p;
  };
  auto count = [&](const fs::path &p) {
    return matching(alerts_in(rtsec.out()), rule, "fd.name", p.string()).size();
  };
  // Waits until `p` has more than `before` alerts.
  auto wait_alert = [&](const fs::path &p, size_t before) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (count(p) > before)
        return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };
  auto wait_stderr = [&](const std::string &needle, size_t occurrences) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string err = rtsec.err();
      size_t n = 0;
      for (size_t pos = err.find(needle); pos != std::string::npos;
           pos = err.find(needle, pos + 1))
        ++n;
      if (n >= occurrences)
        return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };

  // The first rules: A alerts.
  open_file(a);
  ASSERT_TRUE(wait_alert(a, 0)) << "no alert on " << a << "; stdout:\n"
                                << tail(rtsec.out()) << "\nstderr:\n"
                                << tail(rtsec.err());

  // Reloaded: B alerts, A does not.
  write_text(rules, marker_rules(b.string()));
  ASSERT_EQ(kill(rtsec.pid(), SIGHUP), 0);
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(wait_stderr("rules reloaded", 1)) << "stderr:\n"
                                                << tail(rtsec.err());
  const size_t a_before = count(a);
  open_file(a);
  open_file(b);
  ASSERT_TRUE(wait_alert(b, 0))
      << "no alert on " << b << " after SIGHUP; stdout:\n"
      << tail(rtsec.out()) << "\nstderr:\n"
      << tail(rtsec.err());
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(count(a), a_before)
      << "the old rule still alerts after SIGHUP; stdout:\n"
      << tail(rtsec.out());

  // A broken file: not reloaded, B still alerts.
  write_text(rules, "- rule: broken\n  condition: evt.type in (open\n  output: "
                    "[unterminated\n");
  ASSERT_EQ(kill(rtsec.pid(), SIGHUP), 0);
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(wait_stderr("rules not reloaded", 1))
      << "stderr does not say the rules were not reloaded:\n"
      << tail(rtsec.err());
  const size_t b_before = count(b);
  open_file(b);
  EXPECT_TRUE(wait_alert(b, b_before))
      << "the previous rules stopped alerting on " << b << "; stdout:\n"
      << tail(rtsec.out()) << "\nstderr:\n"
      << tail(rtsec.err());
  ASSERT_TRUE(rtsec.running()) << "rtsec exited; stderr:\n"
                               << tail(rtsec.err());

  ASSERT_EQ(kill(rtsec.pid(), SIGINT), 0);
  const auto st = rtsec.wait(10s);
  ASSERT_TRUE(st.has_value())
      << "rtsec did not exit within 10 s of SIGINT; stderr:\n"
      << tail(rtsec.err());
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0)
      << "wait status " << *st << "; stderr:\n"
      << tail(rtsec.err());
  for (const auto &line : split(rtsec.out(), '\n'))
    if (!line.empty()) {
      EXPECT_TRUE(Json::accept(line)) << "stdout line is not JSON: " << line;
    }
}

} // namespace
} // namespace rtsec
