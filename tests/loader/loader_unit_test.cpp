// SPDX-License-Identifier: Apache-2.0
// The loader's pieces without the network or a kernel: the index format, the
// Ed25519 signature, artifact names, and the one-line edit of rtsec.yaml.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config_edit.hpp"
#include "kernel_env.hpp"
#include "repo.hpp"

namespace fs = std::filesystem;
using namespace rtsec::loader;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::path(RTSEC_LOADER_WORK_DIR) / ("unit-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

const std::string kSha = std::string(64, 'a');

}  // namespace

TEST(LoaderIndex, RoundTrips) {
  std::vector<IndexEntry> in = {{"rtsec_debian_6.1.0-56-amd64_1.ko", 123, kSha}};
  auto out = parse_index(format_index(in));
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].name, in[0].name);
  EXPECT_EQ((*out)[0].size, 123u);
  EXPECT_EQ((*out)[0].sha256, kSha);
}

TEST(LoaderIndex, RejectsWhatIsNotAnIndex) {
  EXPECT_FALSE(parse_index("<html>"));
  const std::string h = std::string(kIndexHeader) + "\n";
  auto bad_name = parse_index(h + kSha + " 1 ../../etc/passwd.ko\n");
  ASSERT_FALSE(bad_name);
  EXPECT_NE(bad_name.error().message.find("line 2"), std::string::npos);
  EXPECT_FALSE(parse_index(h + kSha + " -1 a.ko\n"));
  EXPECT_FALSE(parse_index(h + "ABC 1 a.ko\n"));
  EXPECT_FALSE(parse_index(h + kSha + " 1 a.ko extra\n"));
  EXPECT_FALSE(parse_index(h + kSha + " 1 .hidden.ko\n"));
}

TEST(LoaderSignature, VerifiesOnlyTheSignedBytesWithTheRightKey) {
  const fs::path d = fresh_dir("sig");
  ASSERT_TRUE(generate_key(d / "a.key", d / "a.pem"));
  ASSERT_TRUE(generate_key(d / "b.key", d / "b.pem"));
  EXPECT_EQ(fs::status(d / "a.key").permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
  EXPECT_FALSE(generate_key(d / "a.key", d / "c.pem")) << "a key must never be overwritten";
  auto sig = sign("index text", d / "a.key");
  ASSERT_TRUE(sig) << sig.error().message;
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(verify("index text", *sig, d / "a.pem"));
  EXPECT_FALSE(verify("index text!", *sig, d / "a.pem"));
  EXPECT_FALSE(verify("index text", *sig, d / "b.pem"));
  EXPECT_FALSE(verify("index text", sig->substr(0, 63), d / "a.pem"));
  auto not_a_key = verify("x", *sig, d / "a.key");  // a private key where a public one is expected
  EXPECT_FALSE(not_a_key);
}

TEST(LoaderNames, ArtifactNameAndTargets) {
  EXPECT_EQ(kmod_artifact_name("debian", {"6.1.0-56-amd64", "1", "x86_64"}), "rtsec_debian_6.1.0-56-amd64_1.ko");
  EXPECT_EQ(kernel_build_number("#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2"), "1");
  EXPECT_EQ(kernel_build_number("42"), "42");
  EXPECT_EQ(kernel_build_number("SMP"), "");
  EXPECT_EQ(target_for_distro({"rocky", "9", ""}), "rhel");
  EXPECT_EQ(target_for_distro({"amzn", "2023", ""}), "amazonlinux");
  EXPECT_EQ(target_for_distro({"plan9", "", ""}), "vanilla");
  EXPECT_FALSE(is_known_target("plan9"));
}

TEST(LoaderConfigEdit, ChangesOnlyTheDriverKind) {
  const std::string yaml =
      "# top comment\n"
      "driver:\n"
      "  # ebpf, kmod or ptrace\n"
      "  kind: ebpf   # the default\n"
      "  ebpf:\n"
      "    ring_buffer_bytes: 16777216\n"
      "rules_files:\n"
      "  - rtsec_rules.yaml   # kind: ebpf is not here\n";
  auto out = set_driver_key(yaml, "kind", "kmod");
  ASSERT_TRUE(out) << out.error().message;
  std::string expected = yaml;
  expected.replace(expected.find("kind: ebpf   #"), 10, "kind: kmod");
  EXPECT_EQ(*out, expected);

  auto btf = set_driver_key(yaml, "ebpf.btf_file", "/var/cache/x.btf");
  ASSERT_TRUE(btf);
  EXPECT_NE(btf->find("  ebpf:\n    ring_buffer_bytes: 16777216\n    btf_file: /var/cache/x.btf\nrules_files"),
            std::string::npos) << *btf;

  auto added = set_driver_key("rules_files: [a.yaml]\n", "kind", "kmod");
  ASSERT_TRUE(added);
  EXPECT_EQ(*added, "rules_files: [a.yaml]\ndriver:\n  kind: kmod\n");

  EXPECT_FALSE(set_driver_key("driver: {kind: ebpf}\n", "kind", "kmod")) << "flow style is left to people";
}

TEST(LoaderConfigEdit, RefusesAnEditRtsecWouldNotRead) {
  const fs::path d = fresh_dir("config");
  const fs::path cfg = d / "rtsec.yaml";
  std::ofstream(cfg) << "driver:\n  kind: ebpf\nrules_files: [rtsec_rules.yaml]\n";
  ASSERT_TRUE(configure_driver(cfg, "kmod", ""));
  std::ifstream in(cfg);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_EQ(s.str(), "driver:\n  kind: kmod\nrules_files: [rtsec_rules.yaml]\n");
  auto bad = configure_driver(cfg, "nonsense", "");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("unchanged"), std::string::npos) << bad.error().message;
}
