// SPDX-License-Identifier: Apache-2.0
// Driver conformance (DESIGN.md, "Conformance"): runs the scripted workload of
// tests/conformance/conformance.yaml under `rtsec trace --json --driver KIND`
// and requires every expected event, with its exact parameters, in step order
// per process, and no drops. One instance per driver kind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "matcher.hpp"
#include "process.hpp"

namespace rtsec::conformance {
namespace {

namespace fs = std::filesystem;

struct DriverKind {
  const char* name;
  bool needs_root;  // kernel drivers; ptrace traces its own children as anyone
};

// Every driver kind the suite knows; the instantiation below picks the built ones.
const std::map<std::string, DriverKind> kDrivers = {
    {"ebpf", {"ebpf", true}},
    {"kmod", {"kmod", true}},
    {"ptrace", {"ptrace", false}},
};

class DriverConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "rtsec-conformance-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

// The stats object of the final `{"stats": {...}}` line on stderr, or null.
Json find_stats(const std::string& err) {
  std::istringstream lines(err);
  Json stats;
  for (std::string line; std::getline(lines, line);) {
    Json j = Json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("stats")) stats = j["stats"];
  }
  return stats;
}

std::string tail(const std::string& s, size_t n = 4000) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

TEST_P(DriverConformance, WorkloadProducesTheExpectedEvents) {
  const DriverKind& kind = kDrivers.at(GetParam());
  if (kind.needs_root && geteuid() != 0) {
    GTEST_SKIP() << "the " << kind.name << " driver needs root: run the integration tests as root";
  }
  const fs::path plugin =
      fs::path(RTSEC_PLUGIN_DIR) / (std::string("librtsec-driver-") + kind.name + ".so");
  if (!fs::exists(plugin)) {
    GTEST_SKIP() << "driver plugin " << plugin.string() << " is not built";
  }
  if (GetParam() == "kmod" && !fs::exists("/dev/rtsec")) {
    GTEST_SKIP() << "the rtsec kernel module is not loaded (no /dev/rtsec); where modules cannot "
                    "be loaded, tests/vm/kernel-matrix.sh runs this test in a VM";
  }
  const std::string rtsec = std::string(RTSEC_BIN_DIR) + "/rtsec";
  const std::string workload = std::string(RTSEC_BIN_DIR) + "/rtsec-conformance-workload";
  const std::string file = std::string(RTSEC_SOURCE_DIR) + "/tests/conformance/conformance.yaml";
  const std::string report = (dir_ / "report.json").string();
  ASSERT_TRUE(fs::exists(workload)) << workload << " is not built";

  auto spec = load_yaml_file(file);
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  auto expectations = load_expectations(*spec);
  ASSERT_TRUE(expectations.ok()) << expectations.error().message;

  auto run =
      run_process({rtsec, "trace", "--json", "--driver", kind.name, "--", workload, file, report});
  ASSERT_TRUE(run.ok()) << run.error().message;
  // Kept for a person to read when something below fails.
  std::ofstream(dir_ / "stdout.jsonl") << run->out;
  std::ofstream(dir_ / "stderr.txt") << run->err;
  SCOPED_TRACE("rtsec output kept in " + dir_.string());
  ASSERT_FALSE(run->timed_out) << "rtsec trace did not finish in 60 s; stderr:\n" << tail(run->err);
  EXPECT_TRUE(run->exited_ok()) << "rtsec trace: " << run->describe() << "; stderr:\n"
                                << tail(run->err);

  std::ifstream report_in(report);
  ASSERT_TRUE(report_in) << "the workload wrote no report; rtsec stderr:\n" << tail(run->err);
  Json rep = Json::parse(report_in, nullptr, false);
  ASSERT_TRUE(rep.is_object() && rep["values"].is_object()) << "unreadable report " << report;
  ASSERT_EQ(rep["errors"], Json::array())
      << "the workload itself failed, so its events cannot be checked:\n"
      << rep["errors"].dump(2);

  std::vector<Event> events;
  std::vector<std::string> bad_lines;
  std::istringstream out(run->out);
  size_t n = 0;
  for (std::string line; std::getline(out, line);) {
    ++n;
    if (line.empty()) continue;
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      bad_lines.push_back("line " + std::to_string(n) + ": " + line.substr(0, 200));
    } else {
      events.push_back({n, std::move(j)});
    }
  }
  if (!bad_lines.empty()) {
    ADD_FAILURE() << bad_lines.size() << " stdout lines are not JSON objects, first "
                  << bad_lines.front();
  }
  ASSERT_FALSE(events.empty()) << "no events on stdout; stderr:\n" << tail(run->err);

  for (const auto& f : match_events(*expectations, rep["values"], events)) {
    ADD_FAILURE() << f.message;
  }

  Json stats = find_stats(run->err);
  ASSERT_TRUE(stats.is_object()) << "no {\"stats\": ...} line on stderr:\n" << tail(run->err);
  EXPECT_EQ(stats.value("drops", Json()), Json(0)) << "stats: " << stats.dump();
  for (const auto& cpu : stats.value("per_cpu", Json::array())) {
    EXPECT_EQ(cpu.value("drops", Json()), Json(0)) << "cpu " << cpu.value("cpu", Json()).dump();
  }
  // Each expected type is counted at least as often as the file expects it.
  std::map<std::string, int> want;
  for (const auto& e : *expectations) want[e.type]++;
  const Json by_type = stats.value("by_type", Json::object());
  for (const auto& [type, count] : want) {
    EXPECT_GE(by_type.value(type, 0), count) << "stats.by_type." << type << " in " << stats.dump();
  }
}

std::vector<std::string> driver_kinds() {
  // The ones with a plugin in tree today; kmod and ptrace join as they land.
  return {"ebpf", "kmod", "ptrace"};
}

INSTANTIATE_TEST_SUITE_P(Drivers, DriverConformance, ::testing::ValuesIn(driver_kinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace rtsec::conformance
