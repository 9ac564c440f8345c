// SPDX-License-Identifier: Apache-2.0
// Capture files: what the writer writes, the reader gives back; a file cut or
// corrupted anywhere gives an error naming the offset, after the events before it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "rtsec/capture/capture_file.hpp"
#include "rtsec/decoder.hpp"
#include "rtsec/event_builder.hpp"

namespace rtsec::capture {
namespace {

namespace fs = std::filesystem;

std::vector<std::byte> close_event(uint64_t ts, int64_t fd) {
  EventBuilder b(RTSEC_EVT_CLOSE, ts, 42, 42);
  b.add_int(0).add_int(fd);
  auto bytes = b.build();
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  return bytes.ok() ? *bytes : std::vector<std::byte>{};
}

state::Process sample_process(pid_t pid) {
  state::Process p;
  p.pid = pid;
  p.ppid = 1;
  p.vpid = 7;
  p.comm = "nginx";
  p.exe = "nginx";
  p.exepath = "/usr/sbin/nginx";
  p.args = "-g daemon off;";
  p.cmdline = "nginx -g daemon off;";
  p.cwd = "/";
  p.env = std::string("A=1\0B=2", 7);
  p.uid = 33;
  p.euid = 33;
  p.gid = 33;
  p.loginuid = state::kNoId;
  p.cap_effective = 0x3fffffffffull;
  p.container_id = std::string(64, 'a');
  p.start_ts = 123456789;
  p.exe_known = true;
  p.complete = true;
  p.threads = 3;
  state::FdInfo sock;
  sock.name = "10.0.0.1:80->10.0.0.2:5555";
  sock.type = state::FdType::kIpv4;
  sock.l4 = state::L4Proto::kTcp;
  sock.role = state::SockRole::kServer;
  sock.connected = true;
  sock.server.ip.family = 2;
  sock.server.ip.bytes[0] = 10;
  sock.server.port = 80;
  p.fds[5] = sock;
  state::FdInfo file;
  file.name = "/var/log/nginx/access.log";
  file.type = state::FdType::kFile;
  file.open_flags = O_WRONLY | O_APPEND;
  file.ino = 99;
  p.fds[6] = file;
  return p;
}

class CaptureFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "rtsec-capture-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A file with two processes and `n` close events.
  std::string write_sample(size_t n) {
    const std::string path = (dir_ / "sample.rtsec").string();
    FileHeader clocks;
    clocks.start_realtime_ns = 1764120000000000000ull;
    clocks.start_boottime_ns = 5000000000ull;
    auto w = CaptureWriter::create(path, clocks);
    EXPECT_TRUE(w.ok()) << w.error().message;
    EXPECT_TRUE(w->add_process(sample_process(100)).ok());
    EXPECT_TRUE(w->add_process(sample_process(200)).ok());
    for (size_t i = 0; i < n; ++i) {
      EXPECT_TRUE(w->add_event(close_event(1000 + i, static_cast<int64_t>(i))).ok());
      if (i % 3 == 2) {
        EXPECT_TRUE(w->flush().ok());  // several event blocks
      }
    }
    EXPECT_TRUE(w->finish({n, 7}).ok());
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  struct Read {
    ReplayResult result;
    FileHeader header;
    std::vector<state::Process> processes;
    std::vector<int64_t> fds;  // of the close events, in order
  };
  static Read read(const std::string& bytes) {
    Read r;
    std::istringstream in(bytes);
    ReplayHandlers h;
    h.on_header = [&](const FileHeader& fh) { r.header = fh; };
    h.on_process = [&](state::Process&& p) { r.processes.push_back(std::move(p)); };
    h.on_event = [&](std::span<const std::byte> b) {
      auto ev = decode_event(b);
      ASSERT_TRUE(ev.ok()) << ev.error().message;
      r.fds.push_back(ev->int_param("fd").value_or(-1));
    };
    r.result = read_capture(in, h);
    return r;
  }

  fs::path dir_;
};

TEST(Crc32c, KnownValue) {
  const std::string check = "123456789";  // the standard check input
  EXPECT_EQ(crc32c(std::as_bytes(std::span(check.data(), check.size()))), 0xE3069283u);
}

TEST_F(CaptureFile, RoundTrip) {
  const auto bytes = write_sample(10);
  EXPECT_EQ(std::string(bytes.data(), 8), "RTSECCAP");
  const auto r = read(bytes);
  ASSERT_FALSE(r.result.error) << r.result.error->message;
  EXPECT_TRUE(r.result.complete);
  EXPECT_EQ(r.result.summary.events, 10u);
  EXPECT_EQ(r.result.summary.drops, 7u);
  EXPECT_EQ(r.header.boot_to_wall_ns(), 1764120000000000000ll - 5000000000ll);
  ASSERT_EQ(r.processes.size(), 2u);
  const auto want = sample_process(100);
  const auto& got = r.processes[0];
  EXPECT_EQ(got.pid, 100);
  EXPECT_EQ(got.vpid, want.vpid);
  EXPECT_EQ(got.cmdline, want.cmdline);
  EXPECT_EQ(got.env, want.env);
  EXPECT_EQ(got.container_id, want.container_id);
  EXPECT_EQ(got.cap_effective, want.cap_effective);
  EXPECT_EQ(got.loginuid, state::kNoId);
  EXPECT_TRUE(got.exe_known && got.complete && !got.env_known);
  EXPECT_EQ(got.threads, 3u);
  ASSERT_EQ(got.fds.size(), 2u);
  const auto& sock = got.fds.at(5);
  EXPECT_EQ(sock.name, want.fds.at(5).name);
  EXPECT_EQ(sock.type, state::FdType::kIpv4);
  EXPECT_EQ(sock.role, state::SockRole::kServer);
  EXPECT_TRUE(sock.connected);
  EXPECT_EQ(sock.server.port, 80);
  EXPECT_EQ(sock.server.ip, want.fds.at(5).server.ip);
  EXPECT_EQ(got.fds.at(6).open_flags, static_cast<uint32_t>(O_WRONLY | O_APPEND));
  EXPECT_EQ(got.fds.at(6).ino, 99u);
  std::vector<int64_t> fds;
  for (int64_t i = 0; i < 10; ++i) fds.push_back(i);
  EXPECT_EQ(r.fds, fds);
}

TEST_F(CaptureFile, CreatedPrivate) {
  write_sample(1);
  struct stat st{};
  ASSERT_EQ(stat((dir_ / "sample.rtsec").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(CaptureFile, NotACaptureFile) {
  const auto r = read("#!/bin/sh\necho hello\n");
  ASSERT_TRUE(r.result.error);
  EXPECT_EQ(r.result.error->message, "byte offset 0: not an rtsec capture file (no RTSECCAP magic)");
}

// Cut anywhere: an error naming an offset within what is left, the events of
// every complete block before the cut delivered, nothing invented.
TEST_F(CaptureFile, TruncatedAnywhere) {
  const auto bytes = write_sample(9);
  size_t last_events = 0;
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    const auto r = read(bytes.substr(0, cut));
    ASSERT_TRUE(r.result.error) << "cut at " << cut;
    const std::string& m = r.result.error->message;
    ASSERT_EQ(m.rfind("byte offset ", 0), 0u) << m;
    EXPECT_LE(std::stoull(m.substr(12)), cut) << m;
    EXPECT_FALSE(r.result.complete);
    // Events come in whole blocks, in order, and never go back as the cut moves on.
    EXPECT_GE(r.fds.size(), last_events) << "cut at " << cut;
    last_events = r.fds.size();
    for (size_t i = 0; i < r.fds.size(); ++i) EXPECT_EQ(r.fds[i], static_cast<int64_t>(i));
  }
  EXPECT_EQ(last_events, 9u);  // cut inside the end block: every event is there
  const auto whole = read(bytes);
  EXPECT_FALSE(whole.result.error);
}

TEST_F(CaptureFile, CutShortSaysSo) {
  const auto bytes = write_sample(3);
  const auto r = read(bytes.substr(0, bytes.size() - (kBlockHeaderSize + 16)));  // no end block
  ASSERT_TRUE(r.result.error);
  EXPECT_NE(r.result.error->message.find("ends without its end block"), std::string::npos)
      << r.result.error->message;
  EXPECT_EQ(r.fds.size(), 3u);
}

// A flipped bit anywhere is caught: by the header's checksum, a block's, or a
// length check; never an event that was not written.
TEST_F(CaptureFile, CorruptedAnywhere) {
  const auto bytes = write_sample(6);
  for (size_t at = 0; at < bytes.size(); ++at) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    const auto r = read(bad);
    ASSERT_TRUE(r.result.error) << "flip at " << at << " went unnoticed";
    const std::string& m = r.result.error->message;
    EXPECT_LE(std::stoull(m.substr(12)), at) << m;
    for (size_t i = 0; i < r.fds.size(); ++i) EXPECT_EQ(r.fds[i], static_cast<int64_t>(i));
  }
}

TEST_F(CaptureFile, ChecksumErrorNamesTheBlock) {
  const auto bytes = write_sample(2);
  std::string bad = bytes;
  bad[bad.size() - (kBlockHeaderSize + 16) - 3] ^= 1;  // inside the last event block
  const auto r = read(bad);
  ASSERT_TRUE(r.result.error);
  EXPECT_NE(r.result.error->message.find("block checksum mismatch"), std::string::npos)
      << r.result.error->message;
}

TEST_F(CaptureFile, CannotCreateSaysWhere) {
  auto w = CaptureWriter::create((dir_ / "no/such/dir/x.rtsec").string(), {});
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("no/such/dir/x.rtsec"), std::string::npos);
}

}  // namespace
}  // namespace rtsec::capture
