// SPDX-License-Identifier: Apache-2.0
// Output channels: stdout, file, program, HTTP, syslog. An Output does the
// (blocking) delivery of one alert; it runs on its own worker thread behind a
// bounded queue (OutputWorker), never on the thread that detects.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "rtsec/output/alert.hpp"
#include "rtsec/output/outputs_config.hpp"
#include "rtsec/result.hpp"

namespace rtsec::output {

// One channel. Called from one thread at a time (its worker's); may block up
// to its own timeouts.
class Output {
 public:
  virtual ~Output() = default;
  virtual std::string_view name() const = 0;
  // Delivers one alert, rendered as the output is configured (Falco's text or
  // JSON; HTTP always JSON). An error is counted and logged by the worker.
  virtual Status deliver(const Alert& alert) = 0;
  // SIGUSR1: reopen files, restart a kept-alive program (log rotation).
  virtual void reopen() {}
  // End of the run: flush and let a program finish, within the output's timeout.
  virtual void close() {}
};

// Writes each alert and a newline to `fd` (stdout by default).
std::unique_ptr<Output> make_stdout_output(const FormatOptions& format, int fd = 1);
// Appends to the file (created 0600); opened per alert unless keep_alive.
std::unique_ptr<Output> make_file_output(const FileOutputConfig& config,
                                         const FormatOptions& format);
// Runs `/bin/sh -c program` with the alert, and a newline, on its stdin: once
// for all alerts with keep_alive, else once per alert. The alert never reaches
// a command line. `timeout` bounds each write and, per alert, the exit.
std::unique_ptr<Output> make_program_output(const ProgramOutputConfig& config,
                                            const FormatOptions& format,
                                            std::chrono::milliseconds timeout);
// POSTs Falco's JSON alert (Content-Type: application/json), the body
// Falcosidekick reads; a status other than 2xx is a failure.
Result<std::unique_ptr<Output>> make_http_output(const HttpOutputConfig& config,
                                                 const FormatOptions& format);
// Sends each alert as a syslog message (RFC 3164 as syslog(3) writes it, or
// RFC 5424) to a unix socket, /dev/log by default; the severity is the
// priority (Falco's priorities are syslog's severities).
std::unique_ptr<Output> make_syslog_output(const SyslogOutputConfig& config,
                                           const FormatOptions& format,
                                           std::chrono::milliseconds timeout);

// What happened to the alerts handed to one output.
struct OutputStats {
  std::string name;
  uint64_t queued = 0;  // accepted into the queue
  uint64_t delivered = 0;
  uint64_t failed = 0;     // deliver() returned an error
  uint64_t dropped = 0;    // the queue was full
  uint64_t abandoned = 0;  // still queued when shutdown's deadline passed
  size_t queue_depth = 0;
  size_t queue_capacity = 0;
  std::string last_error;
};

// An output behind a bounded queue, with its own thread. push() never blocks
// on the output: when the queue is full the alert is dropped and counted.
class OutputWorker {
 public:
  OutputWorker(std::unique_ptr<Output> output, size_t capacity);
  ~OutputWorker();  // stop(5s)
  OutputWorker(const OutputWorker&) = delete;
  OutputWorker& operator=(const OutputWorker&) = delete;

  // False when dropped (queue full, or stopped).
  bool push(std::shared_ptr<const Alert> alert);
  // The output's reopen(), on its thread, before the next alert.
  void request_reopen();
  OutputStats stats() const;
  std::string_view name() const { return name_; }
  // Stops taking alerts, delivers what is queued until `timeout`, closes the
  // output. A thread still stuck in the output after that is left to finish
  // on its own (it owns its state) and reported.
  void stop(std::chrono::milliseconds timeout);
  // stop() in two steps, so that several outputs drain at the same time:
  // begin_stop() returns at once; finish_stop() waits until `wait_until`.
  void begin_stop(std::chrono::steady_clock::time_point deadline);
  void finish_stop(std::chrono::steady_clock::time_point wait_until);

 private:
  struct State;
  std::string name_;
  std::shared_ptr<State> state_;  // shared with the thread
  std::thread thread_;
};

}  // namespace rtsec::output
