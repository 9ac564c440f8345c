// SPDX-License-Identifier: Apache-2.0
// The `outputs:` section of rtsec.yaml. Its keys are Falco's falco.yaml keys
// for the same things (stdout_output, file_output, program_output,
// http_output, syslog_output, json_output, json_include_*_property,
// time_format_iso_8601, priority, outputs_queue, output_timeout, and the
// historical outputs.rate / outputs.max_burst), gathered under one section:
//
//   outputs:
//     priority: notice             # minimum priority of the alerts sent
//     json_output: true
//     rate: 1                      # per rule: alerts per second, 0 = no limit
//     max_burst: 1000
//     outputs_queue: {capacity: 1000}
//     stdout_output: {enabled: true}
//     file_output: {enabled: true, keep_alive: false, filename: /var/log/rtsec/events.txt}
//     program_output: {enabled: false, keep_alive: false, program: "jq -c . | logger"}
//     http_output: {enabled: true, url: "http://falcosidekick:2801/"}
//     syslog_output: {enabled: false, socket: /dev/log, facility: user}
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "rtsec/output/alert.hpp"
#include "rtsec/result.hpp"
#include "rtsec/rules/priority.hpp"

namespace YAML {
class Node;
}

namespace rtsec::output {

struct StdoutOutputConfig {
  bool enabled = true;
};

struct FileOutputConfig {
  bool enabled = false;
  bool keep_alive = false;  // keep the file open (reopen() after rotation); else open per alert
  std::string filename;
};

struct ProgramOutputConfig {
  bool enabled = false;
  // One `/bin/sh -c program` for all alerts, one alert per line on its stdin;
  // else one run per alert, the alert on its stdin. Never an alert in argv.
  bool keep_alive = false;
  std::string program;
};

struct HttpOutputConfig {
  bool enabled = false;
  std::string url;
  std::string user_agent = "rtsec/0.1.0";
  bool insecure = false;  // do not verify the server's certificate
  std::string ca_cert;    // CA certificate file (CURLOPT_CAINFO)
  std::string ca_bundle;  // CA bundle file, when ca_cert is empty
  std::string ca_path;    // CA directory (CURLOPT_CAPATH)
  bool mtls = false;
  std::string client_cert;
  std::string client_key;
  bool keep_alive = true;              // reuse the connection
  bool echo = false;                   // copy the response body to stdout
  uint32_t timeout_ms = 5000;          // the whole request
  uint32_t connect_timeout_ms = 2000;  // the connection
};

enum class SyslogFormat : uint8_t { kRfc3164, kRfc5424 };

struct SyslogOutputConfig {
  bool enabled = false;
  std::string socket = "/dev/log";  // a unix socket, datagram or stream
  int facility = 1;                 // LOG_USER >> 3
  std::string ident = "rtsec";
  SyslogFormat format = SyslogFormat::kRfc3164;  // what syslog(3) writes
};

struct RateLimit {
  double rate = 1.0;          // tokens gained per second; 0 turns the limit off
  uint32_t max_burst = 1000;  // bucket size
};

struct OutputsConfig {
  rules::Priority min_priority = rules::Priority::kDebug;
  FormatOptions format;
  RateLimit rate_limit;
  size_t queue_capacity = 1000;       // per output
  uint32_t output_timeout_ms = 2000;  // a program or socket write, a program's exit
  StdoutOutputConfig stdout_output;
  FileOutputConfig file_output;
  ProgramOutputConfig program_output;
  HttpOutputConfig http_output;
  SyslogOutputConfig syslog_output;
};

// Parses the value of `outputs:`; a null node gives the defaults. Errors read
// "rtsec.yaml:12: outputs.http_output.url: <message>": `source` names the
// file, `key_path` the section.
Result<OutputsConfig> parse_outputs_config(const YAML::Node& node,
                                           const std::filesystem::path& source,
                                           std::string_view key_path = "outputs");

// "user", "daemon", "local0".."local7"...: the facility code (LOG_USER >> 3).
std::optional<int> parse_syslog_facility(std::string_view name);

}  // namespace rtsec::output
