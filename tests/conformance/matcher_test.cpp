// SPDX-License-Identifier: Apache-2.0
// The conformance matcher, the conformance file's consistency with the event
// table, and the workload run alone (no driver, no privileges needed).
#include "matcher.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "process.hpp"
#include "rtsec/event_table.hpp"

namespace rtsec::conformance {
namespace {

Json yaml(const std::string& text) {
  auto j = yaml_to_json(YAML::Load(text));
  EXPECT_TRUE(j.ok()) << (j.ok() ? "" : j.error().message);
  return j.ok() ? *j : Json();
}

TEST(YamlToJson, PlainIntegersAreNumbersEverythingElseStrings) {
  Json j = yaml(R"({a: 3, b: -100, c: "3", d: ~, e: true, f: "0600", g: 0, h: [x, 1], i: 0x10})");
  EXPECT_EQ(j["a"], Json(3));
  EXPECT_EQ(j["b"], Json(-100));
  EXPECT_EQ(j["c"], Json("3"));
  EXPECT_TRUE(j["d"].is_null());
  EXPECT_EQ(j["e"], Json("true"));  // comm: true is the program "true"
  EXPECT_EQ(j["f"], Json("0600"));
  EXPECT_EQ(j["g"], Json(0));
  EXPECT_EQ(j["h"], Json::parse(R"(["x", 1])"));
  EXPECT_EQ(j["i"], Json(16));
}

TEST(YamlToJson, UnquotedOctalIsAnError) {
  auto j = yaml_to_json(YAML::Load("mode: 0600"));
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.error().message.find("quote it"), std::string::npos) << j.error().message;
}

TEST(Substitute, WholePlaceholderKeepsTheValueType) {
  Json values = {{"fd.file", 3}, {"file", "/tmp/x"}, {"port", 4000}, {"fds", {5, 6}}};
  EXPECT_EQ(*substitute(Json("{fd.file}"), values), Json(3));
  EXPECT_EQ(*substitute(Json("{fds}"), values), Json::parse("[5, 6]"));
  EXPECT_EQ(*substitute(Json("127.0.0.1:{port}"), values), Json("127.0.0.1:4000"));
  EXPECT_EQ(*substitute(Json("{file}.renamed"), values), Json("/tmp/x.renamed"));
  EXPECT_EQ(*substitute(Json(">={fd.file}"), values), Json(">=3"));
  EXPECT_EQ(*substitute(Json("{{literal}}"), values), Json("{literal}"));
  EXPECT_EQ(*substitute(Json(7), values), Json(7));
  Json nested = Json::parse(R"({"fds": ["{fd.file}", 4], "name": "{file}"})");
  EXPECT_EQ(*substitute(nested, values), Json::parse(R"({"fds": [3, 4], "name": "/tmp/x"})"));
}

TEST(Substitute, UnknownOrMalformedPlaceholdersAreErrors) {
  Json values = {{"a", 1}};
  auto r = substitute(Json("x{nope}y"), values);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("{nope}"), std::string::npos) << r.error().message;
  EXPECT_FALSE(substitute(Json("{a"), values).ok());
  EXPECT_FALSE(substitute(Json("a}"), values).ok());
  EXPECT_FALSE(substitute(Json::parse(R"([{"k": "{zz}"}])"), values).ok());
}

TEST(Mismatch, Literals) {
  EXPECT_EQ(mismatch(Json(3), Json(3)), std::nullopt);
  EXPECT_EQ(mismatch(Json(3), Json(3u)), std::nullopt);
  EXPECT_NE(mismatch(Json(3), Json(4)), std::nullopt);
  // A number rendered as a string is a contract violation, not a match.
  auto why = mismatch(Json(0), Json("0"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("a string"), std::string::npos) << *why;
  EXPECT_EQ(mismatch(Json("0600"), Json("0600")), std::nullopt);
  EXPECT_NE(mismatch(Json("0600"), Json(384)), std::nullopt);
  EXPECT_EQ(mismatch(Json(nullptr), Json(nullptr)), std::nullopt);
  EXPECT_NE(mismatch(Json(nullptr), Json(0)), std::nullopt);
  EXPECT_NE(mismatch(Json(0), Json(nullptr)), std::nullopt);
  EXPECT_EQ(mismatch(Json::parse(R"(["/bin/true", "arg two"])"),
                     Json::parse(R"(["/bin/true", "arg two"])")),
            std::nullopt);
  EXPECT_NE(mismatch(Json::parse(R"(["/bin/true", "arg two"])"),
                     Json::parse(R"(["/bin/true", "arg", "two"])")),
            std::nullopt);
  EXPECT_NE(mismatch(Json::parse("[3, 4]"), Json::parse("[3, 5]")), std::nullopt);
  EXPECT_EQ(mismatch(Json::parse(R"([">=0", ">=0"])"), Json::parse("[3, 4]")), std::nullopt);
}

TEST(Mismatch, IntegerComparisons) {
  EXPECT_EQ(mismatch(Json(">=0"), Json(0)), std::nullopt);
  EXPECT_EQ(mismatch(Json(">=0"), Json(5)), std::nullopt);
  EXPECT_NE(mismatch(Json(">=0"), Json(-2)), std::nullopt);
  EXPECT_NE(mismatch(Json(">=0"), Json("3")), std::nullopt);
  EXPECT_NE(mismatch(Json(">=0"), Json(nullptr)), std::nullopt);
  EXPECT_EQ(mismatch(Json("<0"), Json(-2)), std::nullopt);
  EXPECT_EQ(mismatch(Json(">2"), Json(3)), std::nullopt);
  EXPECT_NE(mismatch(Json(">2"), Json(2)), std::nullopt);
  EXPECT_EQ(mismatch(Json("<= -100"), Json(-100)), std::nullopt);
  EXPECT_EQ(mismatch(Json("!=0"), Json(1)), std::nullopt);
  EXPECT_NE(mismatch(Json("!=0"), Json(0)), std::nullopt);
  EXPECT_EQ(mismatch(Json(">0"), Json(UINT64_MAX)), std::nullopt);
}

TEST(Mismatch, FlagStrings) {
  EXPECT_EQ(mismatch(Json("flags:O_WRONLY|O_CREAT"), Json("O_CREAT|O_WRONLY")), std::nullopt);
  EXPECT_EQ(mismatch(Json("flags:O_WRONLY|O_CREAT"), Json("O_WRONLY | O_CREAT")), std::nullopt);
  auto why = mismatch(Json("flags:O_WRONLY|O_CREAT"), Json("O_WRONLY|O_CREAT|O_CLOEXEC"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("extra O_CLOEXEC"), std::string::npos) << *why;
  why = mismatch(Json("flags:O_WRONLY|O_CREAT"), Json("O_WRONLY"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("lacks O_CREAT"), std::string::npos) << *why;
  EXPECT_EQ(mismatch(Json("contains:O_CREAT"), Json("O_WRONLY|O_CREAT")), std::nullopt);
  EXPECT_NE(mismatch(Json("contains:O_CREAT|O_EXCL"), Json("O_WRONLY|O_CREAT")), std::nullopt);
  EXPECT_NE(mismatch(Json("contains:O_CREAT"), Json(65)), std::nullopt);
  EXPECT_NE(mismatch(Json("contains:O_CREAT"), Json(nullptr)), std::nullopt);
  EXPECT_EQ(mismatch(Json("excludes:CLONE_VM|CLONE_THREAD"), Json("SIGCHLD")), std::nullopt);
  EXPECT_NE(mismatch(Json("excludes:CLONE_VM"), Json("CLONE_VM|SIGCHLD")), std::nullopt);
  EXPECT_NE(mismatch(Json("excludes:CLONE_VM"), Json(nullptr)), std::nullopt);
  // A plain string is exact: order matters there.
  EXPECT_NE(mismatch(Json("O_WRONLY|O_CREAT"), Json("O_CREAT|O_WRONLY")), std::nullopt);
}

TEST(Mismatch, OtherMatchers) {
  EXPECT_EQ(mismatch(Json("any"), Json(nullptr)), std::nullopt);
  EXPECT_EQ(mismatch(Json("nonnull"), Json(0)), std::nullopt);
  EXPECT_NE(mismatch(Json("nonnull"), Json(nullptr)), std::nullopt);
  EXPECT_EQ(mismatch(Json("regex:/(usr/)?bin/true"), Json("/usr/bin/true")), std::nullopt);
  EXPECT_NE(mismatch(Json("regex:/(usr/)?bin/true"), Json("/usr/bin/true2")), std::nullopt);
  EXPECT_EQ(mismatch(Json("str:>=0"), Json(">=0")), std::nullopt);
  EXPECT_NE(mismatch(Json("str:>=0"), Json(3)), std::nullopt);
}

TEST(LoadExpectations, ReadsStepsAndRejectsTypos) {
  Json spec = yaml(R"(
steps:
  - name: one
    do: [{op: close, fd: 3}]
    expect:
      - {type: close, process: main, comm: x, params: {res: 0, fd: 3}}
      - {type: procexit, process: kid}
  - name: two
)");
  auto exps = load_expectations(spec);
  ASSERT_TRUE(exps.ok()) << exps.error().message;
  ASSERT_EQ(exps->size(), 2u);
  EXPECT_EQ((*exps)[0].type, "close");
  EXPECT_EQ((*exps)[0].fields, Json::parse(R"({"comm": "x"})"));
  EXPECT_EQ((*exps)[0].params, Json::parse(R"({"res": 0, "fd": 3})"));
  EXPECT_EQ((*exps)[1].process, "kid");
  EXPECT_EQ((*exps)[1].label(), "step #1 'one', expect #2 (procexit by kid)");

  auto bad = load_expectations(yaml("steps: [{name: a, expect: [{type: close, prams: {}}]}]"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("unknown key `prams`"), std::string::npos);
  EXPECT_FALSE(load_expectations(yaml("steps: [{name: a, expect: [{type: close}]}]")).ok());
  EXPECT_FALSE(load_expectations(yaml("steps: [{expect: []}]")).ok());
  EXPECT_FALSE(load_expectations(yaml("nothing: 1")).ok());
}

Event ev(size_t line, const std::string& json) { return {line, Json::parse(json)}; }

std::vector<Expectation> two_closes() {
  auto e = load_expectations(Json::parse(R"({"steps": [{"name": "s", "expect": [
      {"type": "openat", "process": "main", "params": {"fd": "{fd}", "flags": "contains:O_CREAT"}},
      {"type": "close", "process": "main", "params": {"res": 0, "fd": "{fd}"}}]}]})"));
  EXPECT_TRUE(e.ok());
  return *e;
}

TEST(MatchEvents, FindsAnOrderedSubsequenceOfTheProcess) {
  auto exps = two_closes();
  Json values = {{"pid.main", 10}, {"fd", 3}};
  std::vector<Event> events = {
      ev(1, R"({"type":"close","pid":10,"tid":10,"params":{"res":0,"fd":3}})"),
      ev(2, R"({"type":"openat","pid":11,"tid":11,"params":{"fd":3,"flags":"O_CREAT"}})"),
      ev(3, R"({"type":"openat","pid":10,"tid":10,"params":{"fd":3,"flags":"O_WRONLY|O_CREAT"}})"),
      ev(4, R"({"type":"read","pid":10,"tid":10,"params":{"res":0,"fd":3}})"),
      ev(5, R"({"type":"close","pid":10,"tid":10,"params":{"res":0,"fd":3}})"),
  };
  EXPECT_TRUE(match_events(exps, values, events).empty());
}

TEST(MatchEvents, ReportsOutOfOrderEvents) {
  auto exps = two_closes();
  Json values = {{"pid.main", 10}, {"fd", 3}};
  std::vector<Event> events = {
      ev(1, R"({"type":"close","pid":10,"tid":10,"params":{"res":0,"fd":3}})"),
      ev(2, R"({"type":"openat","pid":10,"tid":10,"params":{"fd":3,"flags":"O_CREAT"}})"),
  };
  auto f = match_events(exps, values, events);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].expectation, &exps[1]);
  EXPECT_NE(f[0].message.find("out of step order"), std::string::npos) << f[0].message;
}

TEST(MatchEvents, ShowsTheClosestCandidatesWithFieldDiffs) {
  auto exps = two_closes();
  Json values = {{"pid.main", 10}, {"fd", 3}};
  std::vector<Event> events = {
      ev(1, R"({"type":"openat","pid":10,"tid":10,"params":{"fd":4,"flags":"O_RDONLY"}})"),
      ev(2, R"({"type":"openat","pid":10,"tid":10,"params":{"fd":3,"flags":"O_WRONLY"}})"),
      ev(3, R"({"type":"close","pid":10,"tid":10,"params":{"res":0,"fd":3}})"),
  };
  auto f = match_events(exps, values, events);
  ASSERT_EQ(f.size(), 1u);
  const std::string& m = f[0].message;
  EXPECT_NE(m.find("step #1 's', expect #1 (openat by main)"), std::string::npos) << m;
  EXPECT_NE(m.find("params.flags: want at least O_CREAT"), std::string::npos) << m;
  // The closer candidate (one wrong field) comes first.
  EXPECT_LT(m.find("line 2"), m.find("line 1")) << m;
}

TEST(MatchEvents, PointsAtOtherProcessesWhenThePidIsWrong) {
  auto exps = two_closes();
  Json values = {{"pid.main", 10}, {"fd", 3}};
  std::vector<Event> events = {
      ev(1, R"({"type":"openat","pid":10,"tid":12,"params":{"fd":3,"flags":"O_CREAT"}})"),
      ev(2, R"({"type":"close","pid":10,"tid":10,"params":{"res":0,"fd":3}})"),
  };
  auto f = match_events(exps, values, events);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].message.find("none from this pid"), std::string::npos) << f[0].message;
  EXPECT_NE(f[0].message.find("tid: want 10, got 12"), std::string::npos) << f[0].message;
}

TEST(MatchEvents, MissingParamsAndPlaceholdersAreFailures) {
  auto exps = two_closes();
  std::vector<Event> events = {
      ev(1, R"({"type":"openat","pid":10,"tid":10,"params":{"fd":3}})"),
      ev(2, R"({"type":"close","pid":10,"tid":10,"params":{"res":0,"fd":3}})"),
  };
  auto f = match_events(exps, Json{{"pid.main", 10}, {"fd", 3}}, events);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].message.find("params.flags: absent"), std::string::npos) << f[0].message;

  f = match_events(exps, Json{{"pid.main", 10}}, events);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_NE(f[0].message.find("{fd}"), std::string::npos) << f[0].message;
  f = match_events(exps, Json{{"fd", 3}}, events);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_NE(f[0].message.find("{pid.main}"), std::string::npos) << f[0].message;
}

TEST(MatchEvents, NoEventOfTheTypeListsWhatThePidHad) {
  auto exps = two_closes();
  std::vector<Event> events = {
      ev(1, R"({"type":"close","pid":10,"tid":10,"params":{"res":0,"fd":3}})"),
  };
  auto f = match_events(exps, Json{{"pid.main", 10}, {"fd", 3}}, events);
  ASSERT_GE(f.size(), 1u);
  EXPECT_NE(f[0].message.find("no openat event at all"), std::string::npos) << f[0].message;
  EXPECT_NE(f[0].message.find("\"close\"x1"), std::string::npos) << f[0].message;
}

// ---- the conformance file itself ----

Json spec() {
  auto s = load_yaml_file(RTSEC_CONFORMANCE_FILE);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return s.ok() ? *s : Json();
}

// Children the file's actions make: the process names an expectation may use.
std::set<std::string> processes(const Json& spec) {
  std::set<std::string> out = {"main"};
  for (const auto& step : spec["steps"]) {
    for (const auto& action : step.value("do", Json::array())) {
      if (action.contains("child")) out.insert(action["child"].get<std::string>());
    }
  }
  return out;
}

TEST(ConformanceFile, ExpectationsNameRealEventsParamsAndProcesses) {
  Json s = spec();
  auto exps = load_expectations(s);
  ASSERT_TRUE(exps.ok()) << exps.error().message;
  EXPECT_GE(exps->size(), 20u);
  auto procs = processes(s);
  std::set<std::string> types;
  for (const auto& e : *exps) {
    SCOPED_TRACE(e.label());
    EXPECT_TRUE(procs.contains(e.process)) << "no action makes a child named " << e.process;
    const EventInfo* info = find_event(e.type);
    ASSERT_NE(info, nullptr) << "no event " << e.type << " in event_table.h";
    types.insert(e.type);
    for (const auto& [name, want] : e.params.items()) {
      bool known = false;
      for (const auto& p : info->params) known = known || p.name == name;
      EXPECT_TRUE(known) << e.type << " has no parameter " << name;
    }
  }
  // What the issue asks the suite to cover, at least.
  for (const char* t : {"openat", "write", "close", "rename", "unlink", "execve", "clone", "socket",
                        "connect", "ptrace", "memfd_create", "procexit"}) {
    EXPECT_TRUE(types.contains(t)) << "no expectation of a " << t << " event";
  }
}

// ---- the workload alone ----

class WorkloadRun : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ =
        (std::filesystem::temp_directory_path() / "rtsec-conf-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs the workload, checks it succeeded and that every placeholder of every
  // expectation resolves against its report.
  void run_and_check(const RunOptions& opts) {
    std::string report = dir_ + "/report.json";
    auto r = run_process({RTSEC_CONFORMANCE_WORKLOAD, RTSEC_CONFORMANCE_FILE, report}, opts);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->exited_ok()) << r->describe() << "\nstderr:\n" << r->err;
    std::ifstream in(report);
    ASSERT_TRUE(in) << "no report at " << report << "; stderr:\n" << r->err;
    Json rep = Json::parse(in);
    EXPECT_EQ(rep["errors"], Json::array()) << rep["errors"].dump(2);
    const Json& values = rep["values"];
    for (const char* key : {"pid.main", "pid.exec", "pid.tracee", "fd.file", "port", "tmp",
                            "exe.true", "cgroup", "comm.main"}) {
      EXPECT_TRUE(values.contains(key)) << key;
    }
    EXPECT_EQ(values.value("comm.main", ""), "rtsec-conforman");
    EXPECT_FALSE(std::filesystem::exists(values.value("tmp", "/nonexistent")))
        << "the workload leaves its directory behind";
    auto exps = load_expectations(spec());
    ASSERT_TRUE(exps.ok());
    for (const auto& e : *exps) {
      auto p = substitute(e.params, values);
      EXPECT_TRUE(p.ok()) << e.label() << ": " << p.error().message;
      auto f = substitute(e.fields, values);
      EXPECT_TRUE(f.ok()) << e.label() << ": " << f.error().message;
      EXPECT_TRUE(values.contains("pid." + e.process)) << e.label();
    }
  }

  std::string dir_;
};

TEST_F(WorkloadRun, SucceedsAndReportsEveryPlaceholder) { run_and_check({}); }

// It will run under the ptrace driver as any user.
TEST_F(WorkloadRun, SucceedsUnprivileged) {
  if (geteuid() != 0) return run_and_check({});  // already unprivileged
  ASSERT_EQ(chmod(dir_.c_str(), 0777), 0);
  RunOptions opts;
  opts.uid = 65534;
  opts.gid = 65534;
  opts.cwd = dir_;
  run_and_check(opts);
}

TEST(Workload, BadUsageExits2) {
  auto r = run_process({RTSEC_CONFORMANCE_WORKLOAD});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 2) << r->describe();
  EXPECT_NE(r->err.find("usage:"), std::string::npos);
}

}  // namespace
}  // namespace rtsec::conformance
