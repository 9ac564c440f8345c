// SPDX-License-Identifier: Apache-2.0
// The deployment image: deploy/image/build.sh packs the build tree into an image offline,
// rtsec runs from it as a container with the documented flags against the host's dockerd,
// and a process in another container raises an alert naming that container.
#include <gtest/gtest.h>

#include "../docker/docker_testbed.hpp"

namespace rtsec {
namespace {

using namespace dockertest;

// The `docker run` flags of docs/CONTAINERS.md, with the capabilities spelled out (what
// --privileged grants, less what these machines' root lacks: CAP_SYS_RESOURCE).
const std::vector<std::string> kRunFlags = {
    "--pid=host", "--uts=host", "--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE",
    "--cap-add", "DAC_READ_SEARCH", "--cap-add", "IPC_LOCK",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "-v", "/var/run/docker.sock:/var/run/docker.sock",
};

class DockerDeploy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = docker_unavailable()) GTEST_SKIP() << *why;
    tag_ = "rtsec-deploy-test:" + std::to_string(getpid());
    name_ = "rtsec-deploy-test-" + std::to_string(getpid());
  }
  void TearDown() override {
    if (tag_.empty()) return;
    docker({"rm", "-f", name_}, 30s);
    docker({"rmi", "-f", tag_}, 30s);
  }

  // The JSON alerts rtsec's container printed so far.
  std::vector<Json> alerts() {
    std::vector<Json> out;
    std::istringstream in(docker({"logs", name_}, 30s).out);
    for (std::string line; std::getline(in, line);) {
      Json j = Json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object() && j.contains("rule")) out.push_back(std::move(j));
    }
    return out;
  }

  std::string tag_, name_;
};

TEST_F(DockerDeploy, ImageRunsAndAlertsOnAnotherContainer) {
  const std::string build_dir = fs::path(RTSEC_BIN_DIR).parent_path().string();
  auto built = run({std::string(RTSEC_SOURCE_DIR) + "/deploy/image/build.sh", "--build", build_dir,
                    "--tag", tag_},
                   180s);
  ASSERT_TRUE(built.exited_ok()) << built.describe() << ": " << built.err;

  std::vector<std::string> args = {"run", "-d", "--name", name_};
  args.insert(args.end(), kRunFlags.begin(), kRunFlags.end());
  args.insert(args.end(), {tag_, "run", "-o", "outputs.json_output=true", "-o",
                           "outputs.json_include_output_fields_property=true"});
  auto started = docker(args, 60s);
  ASSERT_TRUE(started.exited_ok()) << started.describe() << ": " << started.err;

  // Ready once a canary on the host raises its alert (the probe loads in seconds).
  const fs::path canary = fs::temp_directory_path() / ("rtsec-canary-" + std::to_string(getpid()));
  fs::copy_file(find_program("cat"), canary, fs::copy_options::overwrite_existing);
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    run({canary.string(), "/etc/shadow"}, 5s);
    std::this_thread::sleep_for(400ms);
    for (const auto& a : alerts())
      ready |= a["output_fields"].value("proc.cmdline", "").rfind("rtsec-canary", 0) == 0;
  }
  fs::remove(canary);
  ASSERT_TRUE(ready) << "rtsec in its container raised no alert; its log:\n"
                     << docker({"logs", name_}, 30s).err;

  Container c("rtsec-deploy-target");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c.run({"cat", "/etc/shadow"}).exited_ok());
  const Json* hit = nullptr;
  std::vector<Json> seen;
  for (int i = 0; i < 50 && !hit; ++i) {
    std::this_thread::sleep_for(200ms);
    seen = alerts();
    for (const auto& a : seen)
      if (a["output_fields"].value("container.id", "") == c.short_id()) hit = &a;
  }
  ASSERT_NE(hit, nullptr) << "no alert of container " << c.short_id() << ":" << dump(seen);
  EXPECT_EQ(hit->value("rule", ""), "Read sensitive file by untrusted program") << hit->dump();
  EXPECT_EQ((*hit)["output_fields"].value("container.name", ""), c.name()) << hit->dump();
  EXPECT_EQ((*hit)["output_fields"].value("container.image.repository", ""), kImageRepository)
      << hit->dump();
}

}  // namespace
}  // namespace rtsec
