// SPDX-License-Identifier: Apache-2.0
// The stdout, file, program and syslog outputs for real: files read back, a
// real `sh -c 'cat >> FILE'`, a unix socket bound by the test standing in for
// /dev/log. Includes the injection test: alert text full of shell syntax
// reaches the program's stdin byte for byte and never a command line.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "rtsec/output/dispatcher.hpp"

namespace rtsec::output {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/rtsec-output-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

Alert make_alert(int n, rules::Priority p = rules::Priority::kWarning) {
  Alert a;
  a.time_ns = 1700000000123456789ULL + static_cast<uint64_t>(n);
  a.rule = "Rule " + std::to_string(n);
  a.priority = p;
  a.hostname = "test-host";
  a.output = "alert number " + std::to_string(n) + " (user=root)";
  a.output_fields = {{"user.name", FieldValue::string("root")}};
  a.tags = {"test"};
  return a;
}

// Polls until `pred` holds or `timeout` passes.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

OutputsConfig only(const std::function<void(OutputsConfig&)>& set) {
  OutputsConfig c;
  c.stdout_output.enabled = false;
  c.rate_limit.rate = 0;
  set(c);
  return c;
}

std::unique_ptr<Dispatcher> start(const OutputsConfig& c) {
  auto d = Dispatcher::create(c);
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
  return d.ok() ? std::move(d.value()) : nullptr;
}

class OutputChannelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
  TempDir dir_;
};

// --- stdout ------------------------------------------------------------------

TEST_F(OutputChannelsTest, StdoutWritesOneLinePerAlert) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  FormatOptions f;
  {
    OutputWorker w(make_stdout_output(f, fds[1]), 10);
    w.push(std::make_shared<const Alert>(make_alert(1)));
    w.push(std::make_shared<const Alert>(make_alert(2)));
    w.stop(2s);
    EXPECT_EQ(w.stats().delivered, 2u);
  }
  close(fds[1]);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, n);
  close(fds[0]);
  EXPECT_EQ(got, format_text(make_alert(1), f) + "\n" + format_text(make_alert(2), f) + "\n");
  EXPECT_EQ(format_text(make_alert(1), f),
            "22:13:20.123456790: Warning alert number 1 (user=root)");
}

// --- file --------------------------------------------------------------------

TEST_F(OutputChannelsTest, FileGetsFalcoTextLines) {
  auto path = dir_ / "events.txt";
  auto d = start(only([&](auto& c) {
    c.file_output.enabled = true;
    c.file_output.filename = path;
  }));
  for (int i = 0; i < 3; ++i) d->emit(make_alert(i));
  d->shutdown(5s);
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(lines[i], format_text(make_alert(i), FormatOptions{}));
  EXPECT_EQ(d->stats().outputs[0].delivered, 3u);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(OutputChannelsTest, FileAppendsJsonLines) {
  auto path = dir_ / "events.json";
  {
    std::ofstream pre(path);
    pre << "earlier line\n";
  }
  auto d = start(only([&](auto& c) {
    c.format.json_output = true;
    c.file_output.enabled = true;
    c.file_output.filename = path;
  }));
  d->emit(make_alert(7, rules::Priority::kCritical));
  d->shutdown(5s);
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "earlier line");
  auto j = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(j["rule"], "Rule 7");
  EXPECT_EQ(j["priority"], "Critical");
  EXPECT_EQ(j["hostname"], "test-host");
  EXPECT_EQ(j["source"], "syscall");
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.123456796Z");
  EXPECT_EQ(j["output_fields"]["user.name"], "root");
}

TEST_F(OutputChannelsTest, FileKeptOpenFollowsRotationOnReopen) {
  auto path = dir_ / "events.txt";
  auto rotated = dir_ / "events.txt.1";
  auto d = start(only([&](auto& c) {
    c.file_output.enabled = true;
    c.file_output.keep_alive = true;
    c.file_output.filename = path;
  }));
  auto delivered = [&] { return d->stats().outputs[0].delivered; };
  d->emit(make_alert(1));
  ASSERT_TRUE(eventually([&] { return delivered() == 1; }));
  fs::rename(path, rotated);
  d->emit(make_alert(2));  // still the open file, now named events.txt.1
  ASSERT_TRUE(eventually([&] { return delivered() == 2; }));
  d->reopen();  // SIGUSR1
  d->emit(make_alert(3));
  d->shutdown(5s);
  auto old_lines = read_lines(rotated);
  auto new_lines = read_lines(path);
  ASSERT_EQ(old_lines.size(), 2u);
  ASSERT_EQ(new_lines.size(), 1u);
  EXPECT_NE(new_lines[0].find("alert number 3"), std::string::npos);
}

TEST_F(OutputChannelsTest, FileThatCannotBeOpenedCountsFailures) {
  auto d = start(only([&](auto& c) {
    c.file_output.enabled = true;
    c.file_output.filename = dir_ / "no/such/dir/events.txt";
  }));
  for (int i = 0; i < 5; ++i) d->emit(make_alert(i));
  d->shutdown(5s);
  auto s = d->stats().outputs[0];
  EXPECT_EQ(s.failed, 5u);
  EXPECT_NE(s.last_error.find("No such file or directory"), std::string::npos) << s.last_error;
}

// --- program -----------------------------------------------------------------

TEST_F(OutputChannelsTest, ProgramPerAlertRunsShWithTheAlertOnStdin) {
  auto out = dir_ / "out.txt";
  auto pids = dir_ / "pids.txt";
  auto d = start(only([&](auto& c) {
    c.program_output.enabled = true;
    c.program_output.program = "echo $$ >> '" + pids + "'; cat >> '" + out + "'";
  }));
  for (int i = 0; i < 3; ++i) d->emit(make_alert(i));
  d->shutdown(10s);
  auto lines = read_lines(out);
  ASSERT_EQ(lines.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(lines[i], format_text(make_alert(i), FormatOptions{}));
  EXPECT_EQ(read_lines(pids).size(), 3u);  // one run per alert, as Falco's popen()
  EXPECT_EQ(d->stats().outputs[0].delivered, 3u);
}

TEST_F(OutputChannelsTest, ProgramKeptAliveRunsOnce) {
  auto out = dir_ / "out.txt";
  auto pids = dir_ / "pids.txt";
  auto d = start(only([&](auto& c) {
    c.format.json_output = true;
    c.program_output.enabled = true;
    c.program_output.keep_alive = true;
    c.program_output.program = "echo $$ >> '" + pids + "'; cat >> '" + out + "'";
  }));
  for (int i = 0; i < 5; ++i) d->emit(make_alert(i));
  d->shutdown(10s);  // closes its stdin: cat ends
  auto lines = read_lines(out);
  ASSERT_EQ(lines.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(nlohmann::json::parse(lines[i])["rule"], "Rule " + std::to_string(i));
  }
  EXPECT_EQ(read_lines(pids).size(), 1u);
}

TEST_F(OutputChannelsTest, AlertTextNeverReachesAShell) {
  auto out = dir_ / "out.txt";
  auto cmdline = dir_ / "cmdline";
  std::string m = dir_ / "pwned";
  const std::string program = "cat >> '" + out + "'; cat /proc/$$/cmdline > '" + cmdline + "'";
  for (bool keep_alive : {false, true}) {
    SCOPED_TRACE(keep_alive ? "keep_alive" : "per alert");
    fs::remove(out);
    auto d = start(only([&](auto& c) {
      c.program_output.enabled = true;
      c.program_output.keep_alive = keep_alive;
      c.program_output.program = program;
    }));
    Alert a = make_alert(1);
    a.rule = "Rule '$(touch " + m + "-rule)'";
    a.output = "file=$(touch " + m + "1) `touch " + m + "2` ; touch " + m + "3 | touch " + m +
               "4 && touch " + m + "5\nsecond line 'single' \"double\" \\ $HOME * ~ \t!$ %s %n";
    std::string expected = format_text(a, FormatOptions{}) + "\n";
    d->emit(std::move(a));
    d->shutdown(10s);
    EXPECT_EQ(read_file(out), expected);
    for (const char* suffix : {"1", "2", "3", "4", "5", "-rule"}) {
      EXPECT_FALSE(fs::exists(m + suffix)) << m + suffix;
    }
    // The shell ran the configured program and nothing else.
    EXPECT_EQ(read_file(cmdline), std::string("/bin/sh\0-c\0", 11) + program + '\0');
  }
}

TEST_F(OutputChannelsTest, ProgramFailuresAreCountedNotFatal) {
  auto d = start(only([&](auto& c) {
    c.program_output.enabled = true;
    c.program_output.program = "cat > /dev/null; exit 3";
  }));
  for (int i = 0; i < 3; ++i) d->emit(make_alert(i));
  d->shutdown(10s);
  auto s = d->stats().outputs[0];
  EXPECT_EQ(s.failed, 3u);
  EXPECT_NE(s.last_error.find("exited with status 3"), std::string::npos) << s.last_error;
}

TEST_F(OutputChannelsTest, KeptAliveProgramThatExitsIsRestartedWithoutSigpipe) {
  auto out = dir_ / "out.txt";
  auto d = start(only([&](auto& c) {
    c.program_output.enabled = true;
    c.program_output.keep_alive = true;
    c.program_output.program = "head -n 1 >> '" + out + "'";  // reads one alert, then exits
  }));
  auto stats = [&] { return d->stats().outputs[0]; };
  d->emit(make_alert(1));
  ASSERT_TRUE(eventually([&] { return stats().delivered == 1; }));
  ASSERT_TRUE(eventually([&] { return read_lines(out).size() == 1; }));
  std::this_thread::sleep_for(100ms);  // head has exited
  d->emit(make_alert(2));              // no SIGPIPE kills us; the program is restarted (throttled)
  ASSERT_TRUE(eventually([&] { return stats().delivered + stats().failed == 2; }));
  std::this_thread::sleep_for(1100ms);
  d->emit(make_alert(3));
  ASSERT_TRUE(eventually([&] { return stats().delivered + stats().failed == 3; }));
  d->shutdown(10s);
  EXPECT_GE(read_lines(out).size(), 2u);
  EXPECT_GE(stats().delivered, 2u);
}

TEST_F(OutputChannelsTest, ProgramThatHangsIsKilledAtTheTimeout) {
  auto pidfile = dir_ / "pid";
  auto d = start(only([&](auto& c) {
    c.output_timeout_ms = 300;
    c.program_output.enabled = true;
    // A pipeline: the whole process group goes.
    c.program_output.program = "sleep 30 & echo $! > '" + pidfile + "'; cat > /dev/null; wait";
  }));
  auto t0 = std::chrono::steady_clock::now();
  d->emit(make_alert(1));
  d->shutdown(10s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  auto s = d->stats().outputs[0];
  EXPECT_EQ(s.failed, 1u);
  EXPECT_NE(s.last_error.find("did not exit within 300 ms"), std::string::npos) << s.last_error;
  pid_t sleeper = std::stoi(read_file(pidfile));
  EXPECT_TRUE(eventually([&] { return kill(sleeper, 0) != 0; }, 2s)) << "sleep survived";
}

// --- syslog ------------------------------------------------------------------

class SyslogSocket {
 public:
  SyslogSocket(const std::string& path, int type) : path_(path) {
    fd_ = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
    if (type == SOCK_STREAM) listen(fd_, 4);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~SyslogSocket() {
    close(fd_);
    unlink(path_.c_str());
  }
  std::string receive() {
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, n) : std::string();
  }
  int fd() const { return fd_; }

 private:
  std::string path_;
  int fd_;
};

TEST_F(OutputChannelsTest, SyslogRfc3164AsSyslog3WritesIt) {
  auto path = dir_ / "log.sock";
  SyslogSocket sock(path, SOCK_DGRAM);
  auto d = start(only([&](auto& c) {
    c.syslog_output.enabled = true;
    c.syslog_output.socket = path;
  }));
  d->emit(make_alert(1, rules::Priority::kError));
  d->emit(make_alert(2, rules::Priority::kDebug));
  std::string m1 = sock.receive(), m2 = sock.receive();
  d->shutdown(5s);
  // user.err = 1*8+3; the time is the alert's, local (UTC here).
  std::string pid = std::to_string(getpid());
  EXPECT_EQ(m1, "<11>Nov 14 22:13:20 rtsec[" + pid +
                    "]: " + format_text(make_alert(1, rules::Priority::kError), FormatOptions{}));
  EXPECT_EQ(m2.substr(0, 4), "<15>");
  EXPECT_EQ(d->stats().outputs[0].delivered, 2u);
}

TEST_F(OutputChannelsTest, SyslogRfc5424WithFacilityAndJson) {
  auto path = dir_ / "log.sock";
  SyslogSocket sock(path, SOCK_DGRAM);
  auto d = start(only([&](auto& c) {
    c.format.json_output = true;
    c.syslog_output.enabled = true;
    c.syslog_output.socket = path;
    c.syslog_output.facility = *parse_syslog_facility("local0");
    c.syslog_output.format = SyslogFormat::kRfc5424;
  }));
  d->emit(make_alert(1, rules::Priority::kWarning));
  std::string m = sock.receive();
  d->shutdown(5s);
  std::string prefix =
      "<132>1 2023-11-14T22:13:20.123456Z test-host rtsec " + std::to_string(getpid()) + " - - ";
  ASSERT_EQ(m.substr(0, prefix.size()), prefix);
  auto j = nlohmann::json::parse(m.substr(prefix.size()));
  EXPECT_EQ(j["rule"], "Rule 1");
}

TEST_F(OutputChannelsTest, SyslogOverAStreamSocket) {
  auto path = dir_ / "log.sock";
  SyslogSocket sock(path, SOCK_STREAM);
  auto d = start(only([&](auto& c) {
    c.syslog_output.enabled = true;
    c.syslog_output.socket = path;
  }));
  d->emit(make_alert(1));
  d->emit(make_alert(2));
  int conn = accept(sock.fd(), nullptr, nullptr);
  ASSERT_GE(conn, 0);
  timeval tv{5, 0};
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string data;
  char buf[4096];
  while (std::count(data.begin(), data.end(), '\0') < 2) {
    ssize_t n = recv(conn, buf, sizeof buf, 0);
    if (n <= 0) break;
    data.append(buf, n);
  }
  close(conn);
  d->shutdown(5s);
  // Each message ends with a NUL, as syslog(3) frames them on a stream.
  auto first_end = data.find('\0');
  ASSERT_NE(first_end, std::string::npos);
  EXPECT_NE(data.substr(0, first_end).find("alert number 1"), std::string::npos);
  EXPECT_NE(data.substr(first_end + 1).find("alert number 2"), std::string::npos);
  EXPECT_EQ(data.back(), '\0');
}

TEST_F(OutputChannelsTest, SyslogWithoutADaemonCountsFailures) {
  auto d = start(only([&](auto& c) {
    c.syslog_output.enabled = true;
    c.syslog_output.socket = dir_ / "nobody-listens.sock";
  }));
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) d->emit(make_alert(i));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);
  d->shutdown(5s);
  auto s = d->stats().outputs[0];
  EXPECT_EQ(s.failed, 10u);
  EXPECT_NE(s.last_error.find("cannot connect to syslog socket"), std::string::npos)
      << s.last_error;
}

}  // namespace
}  // namespace rtsec::output
