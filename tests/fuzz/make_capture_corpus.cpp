// SPDX-License-Identifier: Apache-2.0
// Writes the capture reader fuzzer's seeds into a directory: small valid capture files
// (a snapshot with processes and fds, events of several types, the end block), written by
// CaptureWriter so the seeds follow the format.
#include <fcntl.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "rtsec/capture/capture_file.hpp"
#include "rtsec/event_builder.hpp"

namespace {

rtsec::state::Process sample_process(pid_t pid) {
  rtsec::state::Process p;
  p.pid = pid;
  p.ppid = 1;
  p.comm = "sh";
  p.exe = "/bin/sh";
  p.exepath = "/usr/bin/dash";
  p.args = "-c id";
  p.cmdline = "sh -c id";
  p.cwd = "/root";
  p.uid = p.euid = p.gid = 0;
  p.complete = true;
  rtsec::state::FdInfo f;
  f.name = "/etc/passwd";
  f.type = rtsec::state::FdType::kFile;
  f.open_flags = O_RDONLY;
  p.fds[3] = f;
  return p;
}

bool write_file(const std::string& path, int nevents) {
  rtsec::capture::FileHeader clocks;
  clocks.start_realtime_ns = 1764120000000000000ull;
  clocks.start_boottime_ns = 120000000000ull;
  auto w = rtsec::capture::CaptureWriter::create(path, clocks);
  if (!w) return std::fprintf(stderr, "%s\n", w.error().message.c_str()), false;
  for (pid_t pid : {100, 101})
    if (!w->add_process(sample_process(pid))) return false;
  for (int i = 0; i < nevents; ++i) {
    rtsec::EventBuilder b(RTSEC_EVT_CLOSE, 1000 + static_cast<uint64_t>(i), 100, 100);
    b.add_int(0).add_int(3);
    auto bytes = b.build();
    if (!bytes) return std::fprintf(stderr, "%s\n", bytes.error().message.c_str()), false;
    if (!w->add_event(*bytes)) return false;
  }
  return static_cast<bool>(w->finish({static_cast<uint64_t>(nevents), 0}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  bool ok = true;
  for (int n : {0, 1, 5}) ok = write_file(dir / ("capture-" + std::to_string(n)), n) && ok;
  return ok ? 0 : 1;
}
