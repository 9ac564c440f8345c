// SPDX-License-Identifier: Apache-2.0
// The outputs: section of rtsec.yaml: Falco's keys, defaults, and errors
// with file:line.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "rtsec/output/outputs_config.hpp"

namespace rtsec::output {
namespace {

Result<OutputsConfig> parse(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  return parse_outputs_config(root["outputs"], "rtsec.yaml");
}

std::string error_of(const std::string& yaml) {
  auto c = parse(yaml);
  EXPECT_FALSE(c.ok()) << yaml;
  return c.ok() ? "" : c.error().message;
}

TEST(OutputConfigTest, DefaultsWhenAbsent) {
  auto c = parse("driver: {kind: ebpf}\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->min_priority, rules::Priority::kDebug);
  EXPECT_FALSE(c->format.json_output);
  EXPECT_TRUE(c->format.json_include_output_property);
  EXPECT_TRUE(c->format.json_include_tags_property);
  EXPECT_TRUE(c->format.json_include_output_fields_property);
  EXPECT_FALSE(c->format.json_include_message_property);
  EXPECT_FALSE(c->format.time_format_iso_8601);
  EXPECT_TRUE(c->stdout_output.enabled);
  EXPECT_FALSE(c->file_output.enabled);
  EXPECT_FALSE(c->program_output.enabled);
  EXPECT_FALSE(c->http_output.enabled);
  EXPECT_FALSE(c->syslog_output.enabled);
  EXPECT_EQ(c->syslog_output.socket, "/dev/log");
  EXPECT_EQ(c->queue_capacity, 1000u);
  EXPECT_EQ(c->rate_limit.rate, 1.0);
  EXPECT_EQ(c->rate_limit.max_burst, 1000u);
  EXPECT_EQ(c->output_timeout_ms, 2000u);

  auto empty = parse("outputs:\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->stdout_output.enabled);
}

TEST(OutputConfigTest, AllKeys) {
  auto c = parse(R"(
outputs:
  priority: warning
  json_output: true
  json_include_output_property: false
  json_include_message_property: true
  json_include_output_fields_property: false
  json_include_tags_property: false
  time_format_iso_8601: true
  rate: 0.5
  max_burst: 10
  output_timeout: 500
  outputs_queue:
    capacity: 64
  stdout_output:
    enabled: false
  file_output:
    enabled: true
    keep_alive: true
    filename: /var/log/rtsec/events.txt
  program_output:
    enabled: true
    keep_alive: true
    program: "jq '{text: .output}' | curl -d @- -X POST https://hooks.example/x"
  http_output:
    enabled: true
    url: http://falcosidekick:2801/
    user_agent: "me/1.0"
    insecure: true
    ca_cert: /ca.pem
    ca_bundle: /bundle.pem
    ca_path: /etc/ssl/certs
    mtls: true
    client_cert: /c.pem
    client_key: /k.pem
    keep_alive: false
    echo: true
    timeout_ms: 1500
    connect_timeout_ms: 300
  syslog_output:
    enabled: true
    socket: /run/rtsec/log.sock
    facility: local3
    ident: rtsec-test
    format: rfc5424
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->min_priority, rules::Priority::kWarning);
  EXPECT_TRUE(c->format.json_output);
  EXPECT_FALSE(c->format.json_include_output_property);
  EXPECT_TRUE(c->format.json_include_message_property);
  EXPECT_FALSE(c->format.json_include_output_fields_property);
  EXPECT_FALSE(c->format.json_include_tags_property);
  EXPECT_TRUE(c->format.time_format_iso_8601);
  EXPECT_EQ(c->rate_limit.rate, 0.5);
  EXPECT_EQ(c->rate_limit.max_burst, 10u);
  EXPECT_EQ(c->output_timeout_ms, 500u);
  EXPECT_EQ(c->queue_capacity, 64u);
  EXPECT_FALSE(c->stdout_output.enabled);
  EXPECT_TRUE(c->file_output.enabled);
  EXPECT_TRUE(c->file_output.keep_alive);
  EXPECT_EQ(c->file_output.filename, "/var/log/rtsec/events.txt");
  EXPECT_TRUE(c->program_output.keep_alive);
  EXPECT_EQ(c->program_output.program,
            "jq '{text: .output}' | curl -d @- -X POST https://hooks.example/x");
  const auto& h = c->http_output;
  EXPECT_TRUE(h.enabled);
  EXPECT_EQ(h.url, "http://falcosidekick:2801/");
  EXPECT_EQ(h.user_agent, "me/1.0");
  EXPECT_TRUE(h.insecure);
  EXPECT_EQ(h.ca_cert, "/ca.pem");
  EXPECT_EQ(h.ca_bundle, "/bundle.pem");
  EXPECT_EQ(h.ca_path, "/etc/ssl/certs");
  EXPECT_TRUE(h.mtls);
  EXPECT_EQ(h.client_cert, "/c.pem");
  EXPECT_EQ(h.client_key, "/k.pem");
  EXPECT_FALSE(h.keep_alive);
  EXPECT_TRUE(h.echo);
  EXPECT_EQ(h.timeout_ms, 1500u);
  EXPECT_EQ(h.connect_timeout_ms, 300u);
  const auto& s = c->syslog_output;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.socket, "/run/rtsec/log.sock");
  EXPECT_EQ(s.facility, 19);
  EXPECT_EQ(s.ident, "rtsec-test");
  EXPECT_EQ(s.format, SyslogFormat::kRfc5424);
}

TEST(OutputConfigTest, PrioritiesAsFalcoSpellsThem) {
  EXPECT_EQ(parse("outputs: {priority: INFO}")->min_priority, rules::Priority::kInformational);
  EXPECT_EQ(parse("outputs: {priority: Critical}")->min_priority, rules::Priority::kCritical);
  EXPECT_EQ(error_of("outputs:\n  priority: loud\n"),
            "rtsec.yaml:2: outputs.priority: expected a priority (emergency, alert, critical, "
            "error, warning, notice, informational, debug), got 'loud'");
}

TEST(OutputConfigTest, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of("outputs:\n  stdout_output:\n    enabled: maybe\n"),
            "rtsec.yaml:3: outputs.stdout_output.enabled: expected true or false, got 'maybe'");
  EXPECT_EQ(error_of("outputs:\n  file_output:\n    enabeld: true\n"),
            "rtsec.yaml:3: unknown key 'outputs.file_output.enabeld' (did you mean "
            "'outputs.file_output.enabled'?)");
  EXPECT_EQ(error_of("outputs:\n  nonsense: 1\n"),
            "rtsec.yaml:2: unknown key 'outputs.nonsense' (known keys under outputs: priority, "
            "json_output, json_include_output_property, json_include_message_property, "
            "json_include_output_fields_property, json_include_tags_property, "
            "time_format_iso_8601, rate, max_burst, output_timeout, outputs_queue, "
            "stdout_output, file_output, program_output, http_output, syslog_output)");
  EXPECT_EQ(error_of("outputs:\n  max_burst: -3\n"),
            "rtsec.yaml:2: outputs.max_burst: expected a whole number from 1 to 1000000000, got "
            "'-3'");
  EXPECT_EQ(error_of("outputs:\n  rate: fast\n"),
            "rtsec.yaml:2: outputs.rate: expected a number of alerts per second (0 for no "
            "limit), got 'fast'");
  EXPECT_EQ(error_of("outputs: [stdout]\n"), "rtsec.yaml:1: outputs: expected a map, got a list");
  EXPECT_EQ(error_of("outputs:\n  http_output: yes\n"),
            "rtsec.yaml:2: outputs.http_output: expected a map, got a scalar");
  EXPECT_EQ(error_of("outputs:\n  stdout_output: {enabled: true}\n  stdout_output: {}\n"),
            "rtsec.yaml:3: duplicate key 'outputs.stdout_output'");
}

TEST(OutputConfigTest, QueuesAreBounded) {
  EXPECT_EQ(error_of("outputs:\n  outputs_queue:\n    capacity: 0\n"),
            "rtsec.yaml:3: outputs.outputs_queue.capacity: rtsec's output queues are bounded: "
            "give a capacity of at least 1 (Falco's 0 means unbounded)");
}

TEST(OutputConfigTest, EnabledOutputsNeedTheirTarget) {
  EXPECT_EQ(error_of("outputs:\n  file_output:\n    enabled: true\n"),
            "rtsec.yaml:2: outputs.file_output: enabled, but no filename");
  EXPECT_EQ(error_of("outputs:\n  program_output: {enabled: true}\n"),
            "rtsec.yaml:2: outputs.program_output: enabled, but no program");
  EXPECT_EQ(error_of("outputs:\n  http_output: {enabled: true}\n"),
            "rtsec.yaml:2: outputs.http_output: enabled, but no url");
  EXPECT_EQ(error_of("outputs:\n  http_output: {enabled: true, url: 'ftp://x/'}\n"),
            "rtsec.yaml:2: outputs.http_output: url 'ftp://x/' must start with http:// or "
            "https://");
  EXPECT_EQ(error_of("outputs:\n  http_output: {enabled: true, url: 'https://x/', mtls: true}\n"),
            "rtsec.yaml:2: outputs.http_output: mtls needs client_cert and client_key");
  // Disabled outputs may be incomplete, as in Falco's default falco.yaml.
  EXPECT_TRUE(parse("outputs:\n  http_output: {enabled: false, url: ''}\n").ok());
}

TEST(OutputConfigTest, FalcoKeysRtsecDoesNotSupportSaySo) {
  EXPECT_EQ(error_of("outputs:\n  http_output:\n    compress_uploads: true\n"),
            "rtsec.yaml:3: 'outputs.http_output.compress_uploads' is a Falco setting rtsec does "
            "not support: rtsec does not compress uploads");
  EXPECT_EQ(error_of("outputs:\n  buffered_outputs: false\n"),
            "rtsec.yaml:2: 'outputs.buffered_outputs' is a Falco setting rtsec does not "
            "support: rtsec writes each alert as it comes");
}

TEST(OutputConfigTest, SyslogFacilities) {
  EXPECT_EQ(parse_syslog_facility("user"), 1);
  EXPECT_EQ(parse_syslog_facility("daemon"), 3);
  EXPECT_EQ(parse_syslog_facility("local7"), 23);
  EXPECT_EQ(parse_syslog_facility("nope"), std::nullopt);
  EXPECT_EQ(error_of("outputs:\n  syslog_output: {facility: nope}\n"),
            "rtsec.yaml:2: outputs.syslog_output.facility: unknown facility 'nope' (expected "
            "user, daemon, auth, authpriv, syslog, local0 ... local7)");
  EXPECT_EQ(error_of("outputs:\n  syslog_output: {format: json}\n"),
            "rtsec.yaml:2: outputs.syslog_output.format: expected rfc3164 or rfc5424");
}

TEST(OutputConfigTest, SourceAndSectionNameTheErrors) {
  YAML::Node root = YAML::Load("x:\n  rate: -1\n");
  auto c = parse_outputs_config(root["x"], "/etc/rtsec/rtsec.yaml", "x");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "/etc/rtsec/rtsec.yaml:2: x.rate: expected a number of alerts per second (0 for no "
            "limit), got '-1'");
}

}  // namespace
}  // namespace rtsec::output
