// SPDX-License-Identifier: Apache-2.0
// stdout and file outputs: one line per alert, written with one write() where
// the kernel allows (O_APPEND keeps lines whole between writers).
#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "internal.hpp"
#include "rtsec/output/output.hpp"

namespace rtsec::output {
namespace {

// A blocking fd: the deadline of write_all does not apply; a stuck reader
// stalls this output's worker only.
constexpr auto kNoDeadline = std::chrono::hours(24 * 365);

class StdoutOutput final : public Output {
 public:
  StdoutOutput(const FormatOptions& format, int fd) : format_(format), fd_(fd) {}
  std::string_view name() const override { return "stdout"; }

  Status deliver(const Alert& alert) override {
    std::string line = format_alert(alert, format_);
    line += '\n';
    return detail::write_all(fd_, line, kNoDeadline, "stdout");
  }

 private:
  FormatOptions format_;
  int fd_;  // not owned
};

class FileOutput final : public Output {
 public:
  FileOutput(const FileOutputConfig& config, const FormatOptions& format)
      : config_(config), format_(format) {}
  std::string_view name() const override { return "file"; }

  Status deliver(const Alert& alert) override {
    if (!fd_) {
      if (auto st = open_file(); !st) return st;
    }
    std::string line = format_alert(alert, format_);
    line += '\n';
    Status st = detail::write_all(fd_.get(), line, kNoDeadline, config_.filename);
    // A failed write may mean a file gone bad (disk full, removed mount): open
    // it afresh next time.
    if (!st || !config_.keep_alive) fd_.reset();
    return st;
  }

  void reopen() override { fd_.reset(); }
  void close() override { fd_.reset(); }

 private:
  Status open_file() {
    // 0600: alerts carry command lines, which can hold secrets.
    int fd = ::open(config_.filename.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      int err = errno;
      return make_error("cannot open " + config_.filename + ": " + std::strerror(err), err);
    }
    fd_.reset(fd);
    return Ok{};
  }

  FileOutputConfig config_;
  FormatOptions format_;
  UniqueFd fd_;
};

}  // namespace

std::unique_ptr<Output> make_stdout_output(const FormatOptions& format, int fd) {
  return std::make_unique<StdoutOutput>(format, fd);
}

std::unique_ptr<Output> make_file_output(const FileOutputConfig& config,
                                         const FormatOptions& format) {
  return std::make_unique<FileOutput>(config, format);
}

}  // namespace rtsec::output
