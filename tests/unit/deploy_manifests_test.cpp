// SPDX-License-Identifier: Apache-2.0
// The deployment files of deploy/ hold configuration and rules that rtsec must accept as
// they are: each rtsec.yaml of a ConfigMap (and the Helm chart's default config) parses,
// its containers: section too, and the rules of the rules ConfigMap load together with
// the default rules. (No cluster here: the manifests themselves are not applied.)
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rtsec/config.hpp"
#include "rtsec/container/containers_config.hpp"
#include "rtsec/engine/field.hpp"
#include "rtsec/engine/ruleset.hpp"

namespace rtsec {
namespace {

namespace fs = std::filesystem;
const fs::path kDeploy = fs::path(RTSEC_SOURCE_DIR) / "deploy";

// The ConfigMaps of a manifest file, by name.
std::map<std::string, YAML::Node> config_maps(const fs::path& file) {
  std::map<std::string, YAML::Node> out;
  for (const auto& doc : YAML::LoadAllFromFile(file.string()))
    if (doc["kind"] && doc["kind"].as<std::string>() == "ConfigMap")
      out[doc["metadata"]["name"].as<std::string>()] = doc["data"];
  return out;
}

// Parses an rtsec.yaml text; the rules paths of the image are mapped to this tree.
void expect_valid_config(const std::string& text, const std::string& where) {
  auto config = parse_config(text, where + "/rtsec.yaml");
  ASSERT_TRUE(config) << config.error().message;
  auto containers = container::parse_containers_config(config->root["containers"], where);
  EXPECT_TRUE(containers) << (containers ? "" : containers.error().message);
}

TEST(DeployManifests, DaemonSetConfigAndRulesLoad) {
  const auto maps = config_maps(kDeploy / "kubernetes/rtsec-daemonset.yaml");
  ASSERT_TRUE(maps.count("rtsec-config") && maps.count("rtsec-rules"));
  expect_valid_config(maps.at("rtsec-config")["rtsec.yaml"].as<std::string>(), "rtsec-config");
  const auto config = parse_config(maps.at("rtsec-config")["rtsec.yaml"].as<std::string>(), "");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->rules_files.size(), 2u);

  // The rules ConfigMap, as its volume shows it, after the default rules.
  const fs::path dir = fs::temp_directory_path() / ("rtsec-deploy-rules-" + std::to_string(getpid()));
  fs::create_directories(dir);
  for (const auto& kv : maps.at("rtsec-rules"))
    std::ofstream(dir / kv.first.as<std::string>()) << kv.second.as<std::string>();
  const std::vector<fs::path> paths = {fs::path(RTSEC_SOURCE_DIR) / "rules/rtsec_rules.yaml", dir};
  auto load = engine::load_ruleset(paths, config->rules, engine::default_field_registry());
  fs::remove_all(dir);
  std::string diags;
  for (const auto& d : load.result.diagnostics) diags += d.to_string() + "\n";
  ASSERT_TRUE(load.ruleset) << diags;
  bool found = false;
  for (const auto& r : load.result.rules) found |= r.name == "Terminal shell in a pod";
  EXPECT_TRUE(found);
}

TEST(DeployManifests, PtraceSidecarConfigLoads) {
  const auto maps = config_maps(kDeploy / "kubernetes/rtsec-ptrace-sidecar.yaml");
  ASSERT_TRUE(maps.count("rtsec-ptrace-config"));
  const std::string text = maps.at("rtsec-ptrace-config")["rtsec.yaml"].as<std::string>();
  expect_valid_config(text, "rtsec-ptrace-config");
  auto config = parse_config(text, "");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->driver.kind, "ptrace");
  EXPECT_EQ(config->driver.options["ring"], "/var/run/rtsec/events.ring");
}

TEST(DeployManifests, HelmChartDefaultConfigParses) {
  const YAML::Node values = YAML::LoadFile((kDeploy / "helm/rtsec/values.yaml").string());
  ASSERT_TRUE(values["config"].IsMap());
  YAML::Emitter out;
  out << values["config"];  // what the chart's toYaml writes into the ConfigMap
  expect_valid_config(out.c_str(), "helm values.config");
  const YAML::Node chart = YAML::LoadFile((kDeploy / "helm/rtsec/Chart.yaml").string());
  EXPECT_EQ(chart["name"].as<std::string>(), "rtsec");
}

}  // namespace
}  // namespace rtsec
