// SPDX-License-Identifier: Apache-2.0
#include "rtsec/config.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

namespace rtsec {
namespace {

namespace fs = std::filesystem;

Config parse_ok(std::string_view yaml) {
  auto config = parse_config(yaml, "rtsec.yaml");
  EXPECT_TRUE(config.ok()) << config.error().message;
  return config ? *config : Config{};
}

std::string parse_error(std::string_view yaml) {
  auto config = parse_config(yaml, "rtsec.yaml");
  EXPECT_FALSE(config.ok()) << "accepted:\n" << yaml;
  if (config) return "";
  EXPECT_EQ(config.error().sys_errno, EINVAL);
  return config.error().message;
}

TEST(Config, EmptyFileMeansDefaults) {
  for (auto yaml : {"", "\n", "# only a comment\n", "---\n"}) {
    auto config = parse_ok(yaml);
    EXPECT_EQ(config.driver.kind, "ebpf") << yaml;
    EXPECT_TRUE(config.driver.options.empty()) << yaml;
    EXPECT_EQ(config.source, "rtsec.yaml");
  }
  EXPECT_EQ(parse_ok("driver:\n").driver.kind, "ebpf");
  EXPECT_EQ(parse_ok("driver:\n  ebpf:\n").driver.kind, "ebpf");
}

TEST(Config, TheShippedFileParses) {
  auto config = load_config(fs::path(RTSEC_SOURCE_DIR) / "rtsec.yaml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->source, fs::path(RTSEC_SOURCE_DIR) / "rtsec.yaml");
  EXPECT_TRUE(config->driver.kind == "ebpf" || config->driver.kind == "kmod" ||
              config->driver.kind == "ptrace");
}

TEST(Config, OptionsComeFromTheChosenKindAsWritten) {
  auto config = parse_ok(R"(
driver:
  kind: ptrace
  ebpf:
    ring_buffer_bytes: 16777216
  ptrace:
    follow_forks: true
    mask: 0x10
    name: 'quoted value'
    empty: ""
)");
  EXPECT_EQ(config.driver.kind, "ptrace");
  EXPECT_EQ(
      config.driver.options,
      (std::map<std::string, std::string>{
          {"follow_forks", "true"}, {"mask", "0x10"}, {"name", "quoted value"}, {"empty", ""}}));
}

TEST(Config, KindDefaultsToEbpfAndTakesItsOptions) {
  auto config = parse_ok("driver:\n  ebpf:\n    ring_buffer_bytes: 4096\n  kmod:\n    x: 1\n");
  EXPECT_EQ(config.driver.kind, "ebpf");
  EXPECT_EQ(config.driver.options,
            (std::map<std::string, std::string>{{"ring_buffer_bytes", "4096"}}));
}

TEST(Config, UnknownDriverNamesFileLineAndKey) {
  EXPECT_EQ(parse_error("# rtsec\n\ndriver:\n  kind: foo\n"),
            "rtsec.yaml:4: driver.kind: unknown driver 'foo' (expected ebpf, kmod or ptrace)");
  EXPECT_EQ(parse_error("driver:\n  kind: EBPF\n"),
            "rtsec.yaml:2: driver.kind: unknown driver 'EBPF' (expected ebpf, kmod or ptrace)");
}

TEST(Config, EngineThreadsFromOneTo64) {
  auto one = parse_config("driver:\n  kind: ebpf\n", "rtsec.yaml");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->engine_threads, 1u);
  auto four = parse_config("engine:\n  threads: 4\n", "rtsec.yaml");
  ASSERT_TRUE(four.ok()) << four.error().message;
  EXPECT_EQ(four->engine_threads, 4u);
  for (const char* bad : {"0", "65", "-1", "two", "2x"})
    EXPECT_EQ(parse_error(std::string("engine:\n  threads: ") + bad + "\n"),
              "rtsec.yaml:2: engine.threads: expected a number of threads from 1 to 64")
        << bad;
}

TEST(Config, UnknownKeysAreRefusedWithASuggestion) {
  EXPECT_EQ(parse_error("# rtsec\ndrivr:\n  kind: ebpf\n"),
            "rtsec.yaml:2: unknown key 'drivr' (did you mean 'driver'?)");
  EXPECT_EQ(parse_error("driver:\n  kind: ebpf\nalerts: []\n"),
            "rtsec.yaml:3: unknown key 'alerts' (known top-level keys: driver, rules_files, "
            "rules, rule_matching, enforcement, engine, outputs, containers, metrics, "
            "syscall_event_drops)");
  EXPECT_EQ(parse_error("driver:\n  knd: ebpf\n"),
            "rtsec.yaml:2: unknown key 'driver.knd' (did you mean 'driver.kind'?)");
  EXPECT_EQ(parse_error("driver:\n  bpf:\n    x: 1\n"),
            "rtsec.yaml:2: unknown key 'driver.bpf' (did you mean 'driver.ebpf'?)");
  EXPECT_EQ(parse_error("driver:\n  kind: ebpf\n  colour: red\n"),
            "rtsec.yaml:3: unknown key 'driver.colour' (known keys under driver: kind, ebpf, "
            "kmod, ptrace)");
}

TEST(Config, SyntaxErrorsNameTheirLine) {
  auto msg = parse_error("driver:\n  kind: ebpf\n  ebpf: [1, 2\n");
  EXPECT_EQ(msg.rfind("rtsec.yaml:", 0), 0u) << msg;
  EXPECT_NE(msg.find("invalid YAML"), std::string::npos) << msg;

  msg = parse_error("driver:\n  kind: ebpf\n bad: indentation\n");
  EXPECT_EQ(msg.rfind("rtsec.yaml:3: invalid YAML: ", 0), 0u) << msg;
}

TEST(Config, WrongNodeTypesNameTheKey) {
  EXPECT_EQ(parse_error("driver:\n  ebpf:\n    ring_buffer_bytes:\n      a: 1\n"),
            "rtsec.yaml:4: driver.ebpf.ring_buffer_bytes: expected a scalar value, got a map");
  EXPECT_EQ(parse_error("driver:\n  ebpf:\n    ring_buffer_bytes: [1]\n"),
            "rtsec.yaml:3: driver.ebpf.ring_buffer_bytes: expected a scalar value, got a list");
  // An empty value is reported on its key's line.
  EXPECT_EQ(parse_error("driver:\n  ebpf:\n    ring_buffer_bytes:\n  kind: ebpf\n"),
            "rtsec.yaml:3: driver.ebpf.ring_buffer_bytes: expected a scalar value, got nothing");
  EXPECT_EQ(parse_error("driver:\n  kind:\n  ebpf: {}\n"),
            "rtsec.yaml:2: driver.kind: expected a scalar, got nothing");
  EXPECT_EQ(parse_error("driver:\n  kind: [ebpf]\n"),
            "rtsec.yaml:2: driver.kind: expected a scalar, got a list");
  EXPECT_EQ(parse_error("driver:\n  kmod: 3\n"),
            "rtsec.yaml:2: driver.kmod: expected a map, got a scalar");
  EXPECT_EQ(parse_error("driver: ebpf\n"), "rtsec.yaml:1: driver: expected a map, got a scalar");
  EXPECT_EQ(parse_error("- driver\n"), "rtsec.yaml:1: expected a map of settings, got a list");
  EXPECT_EQ(parse_error("[a, b]: 1\n"), "rtsec.yaml:1: expected a scalar key, got a list");
}

TEST(Config, DuplicateKeysAndExtraDocumentsAreRefused) {
  EXPECT_EQ(parse_error("driver:\n  kind: ebpf\n  kind: kmod\n"),
            "rtsec.yaml:3: duplicate key 'driver.kind'");
  EXPECT_EQ(parse_error("driver:\n  ebpf:\n    a: 1\n    a: 2\n"),
            "rtsec.yaml:4: duplicate key 'driver.ebpf.a'");
  EXPECT_EQ(parse_error("driver: {}\n---\ndriver: {}\n"),
            "rtsec.yaml:3: more than one YAML document (remove '---')");
}

TEST(Config, LoadConfigNamesThePathGiven) {
  auto missing = load_config("/nonexistent/rtsec.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().sys_errno, ENOENT);
  EXPECT_EQ(missing.error().message,
            "cannot read /nonexistent/rtsec.yaml: No such file or directory");

  char tmpl[] = "/tmp/rtsec-config-test-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::close(fd);
  fs::path file = tmpl;
  std::ofstream(file) << "driver:\n  kind: kmod\n  kmod:\n    buffer_pages: 64\n";
  auto config = load_config(file);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->source, file);
  EXPECT_EQ(config->driver.kind, "kmod");
  EXPECT_EQ(config->driver.options.at("buffer_pages"), "64");

  std::ofstream(file) << "driver:\n  kind: bogus\n";
  config = load_config(file);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message.rfind(file.string() + ":2: driver.kind: ", 0), 0u)
      << config.error().message;
  fs::remove(file);
}

TEST(Config, DefaultPathsAreRelativeToTheExecutable) {
  auto exe_dir = executable_dir();
  EXPECT_EQ(exe_dir, fs::read_symlink("/proc/self/exe").parent_path());
  EXPECT_TRUE(exe_dir.is_absolute());
  EXPECT_EQ(default_plugin_dir(), fs::weakly_canonical(exe_dir / ".." / "lib" / "rtsec"));
  auto local = fs::weakly_canonical(exe_dir / ".." / "etc" / "rtsec" / "rtsec.yaml");
  EXPECT_EQ(default_config_path(), fs::exists(local) ? local : "/etc/rtsec/rtsec.yaml");
}

}  // namespace
}  // namespace rtsec
