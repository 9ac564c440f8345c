// SPDX-License-Identifier: Apache-2.0
// The ptrace driver, on the real thing: real programs traced by the real
// rtsec-ptrace and rtsec, the real shared ring. Needs no privileges; the
// cases that need root to set up (dropping to an unprivileged user) skip
// with a reason otherwise.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "capture.hpp"
#include "event_ring.hpp"
#include "process.hpp"
#include "tracer.hpp"
#include "rtsec/decoder.hpp"
#include "rtsec/event_builder.hpp"
#include "rtsec/event_table.hpp"

namespace rtsec::ptrace {
namespace {

namespace fs = std::filesystem;
using conformance::RunOptions;
using conformance::RunResult;
using Json = nlohmann::json;
using namespace std::chrono_literals;

const std::string kBin = RTSEC_BIN_DIR;
const std::string kTracer = kBin + "/rtsec-ptrace";
const std::string kRtsec = kBin + "/rtsec";
const std::string kProg = RTSEC_PTRACE_TESTPROG;

std::string tail(const std::string& s, size_t n = 3000) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

// The shell's view of a wait status: the code, or 128 + the signal.
int exit_code(const RunResult& r) {
  if (WIFEXITED(r.status)) return WEXITSTATUS(r.status);
  if (WIFSIGNALED(r.status)) return 128 + WTERMSIG(r.status);
  return -1;
}

RunResult run(const std::vector<std::string>& argv, RunOptions opts = {}) {
  if (opts.timeout == RunOptions{}.timeout) opts.timeout = 30s;
  auto r = conformance::run_process(argv, opts);
  if (!r.ok()) {
    ADD_FAILURE() << "cannot run " << argv[0] << ": " << r.error().message;
    return {};
  }
  EXPECT_FALSE(r->timed_out) << argv[0] << " did not finish in time; stderr:\n" << tail(r->err);
  return *r;
}

// The decoded events of a ring file, all of them.
struct RingEvents {
  std::vector<std::vector<std::byte>> raw;
  RingCounters counters;
  std::optional<int> exit_status;
  size_t malformed = 0;

  std::vector<DecodedEvent> decoded() const {
    std::vector<DecodedEvent> out;
    for (const auto& r : raw)
      if (auto ev = decode_event(r)) out.push_back(*ev);
    return out;
  }
  size_t count(std::string_view type) const {
    size_t n = 0;
    for (const auto& ev : decoded()) n += ev.name() == type;
    return n;
  }
};

RingEvents read_ring(const std::string& path, size_t max = SIZE_MAX) {
  RingEvents out;
  auto ring = RingMapping::open_file(path);
  if (!ring) {
    ADD_FAILURE() << ring.error().message;
    return out;
  }
  RingConsumer consumer(&*ring);
  std::vector<std::span<const std::byte>> batch;
  while (out.raw.size() < max) {
    auto n = consumer.read(batch, std::min<size_t>(256, max - out.raw.size()));
    if (!n || *n == 0) break;
    for (auto s : batch) {
      out.raw.emplace_back(s.begin(), s.end());
      if (!decode_event(s)) ++out.malformed;
    }
  }
  out.counters = consumer.counters();
  out.exit_status = consumer.exit_status();
  return out;
}

class PtraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kTracer)) << kTracer << " is not built";
    std::string templ = (fs::temp_directory_path() / "rtsec-ptrace-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    ring_ = (dir_ / "events.ring").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::vector<std::string> traced(std::vector<std::string> cmd, std::vector<std::string> opts = {}) {
    std::vector<std::string> argv{kTracer, "--ring", ring_};
    argv.insert(argv.end(), opts.begin(), opts.end());
    argv.push_back("--");
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    return argv;
  }
  fs::path dir_;
  std::string ring_;
};

// ---- traced programs behave as untraced ----------------------------------------------

struct Scenario {
  const char* name;
  std::vector<std::string> argv;  // "{prog}" is the test program
};

class BehavesAsUntraced : public PtraceTest, public ::testing::WithParamInterface<Scenario> {};

TEST_P(BehavesAsUntraced, SameOutputAndExitStatus) {
  std::vector<std::string> argv;
  for (const auto& a : GetParam().argv) argv.push_back(a == "{prog}" ? kProg : a);
  const RunResult plain = run(argv);
  const RunResult traced_run = run(traced(argv, {"--stats"}));
  EXPECT_EQ(traced_run.out, plain.out) << "stderr traced:\n" << tail(traced_run.err);
  EXPECT_EQ(exit_code(traced_run), exit_code(plain))
      << "untraced: " << plain.describe() << ", traced: " << traced_run.describe() << "\n"
      << tail(traced_run.err);
  // The tracer saw the program: at least its exec and its exit.
  RingEvents ev = read_ring(ring_);
  EXPECT_GE(ev.count("execve"), 1u);
  EXPECT_GE(ev.count("procexit"), 1u);
  EXPECT_EQ(ev.malformed, 0u);
  EXPECT_EQ(ev.counters.drops, 0u);
  ASSERT_TRUE(ev.exit_status.has_value()) << "the ring does not say the command finished";
}

INSTANTIATE_TEST_SUITE_P(
    Programs, BehavesAsUntraced,
    ::testing::Values(
        Scenario{"ShellPipeline",
                 {"/bin/sh", "-c", "seq 1 3000 | sort -rn | head -n 5 | tr '\\n' ' '; echo"}},
        Scenario{"MultiThreaded", {"{prog}", "threads", "8"}},
        Scenario{"HundredChildren", {"{prog}", "children", "100"}},
        Scenario{"StopsAndContinues", {"{prog}", "stopcont"}},
        Scenario{"KilledBySignal", {"{prog}", "killself", "15"}},
        Scenario{"KilledBySigkill", {"/bin/sh", "-c", "echo before; kill -9 $$; echo after"}},
        Scenario{"HandlesSignals", {"{prog}", "signals"}},
        Scenario{"ExecsAnother", {"{prog}", "exec", "/bin/sh", "-c", "echo exec ok; exit 7"}},
        Scenario{"GarbagePointers", {"{prog}", "badptr"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(PtraceTest, StdinPassesThrough) {
  // The traced cat reads the pipe given to rtsec-ptrace.
  const RunResult r = run({"/bin/sh", "-c", "printf 'line 1\\nline 2\\n' | " + kTracer + " --ring " +
                                                ring_ + " -- cat"});
  EXPECT_EQ(r.out, "line 1\nline 2\n");
  EXPECT_EQ(exit_code(r), 0) << r.err;
}

TEST_F(PtraceTest, EventsCarryWhatTheProgramDid) {
  const std::string file = (dir_ / "hello.txt").string();
  const RunResult r = run(traced({"/bin/sh", "-c", "echo hi > " + file + "; rm " + file}));
  ASSERT_EQ(exit_code(r), 0) << r.err;
  RingEvents ev = read_ring(ring_);
  bool opened = false, unlinked = false;
  for (const auto& e : ev.decoded()) {
    if (e.name() == "openat" && e.string_param("name") == file) {
      opened = true;
      EXPECT_GE(e.int_param("fd").value_or(-1), 0);
      EXPECT_TRUE(e.uint_param("ino").has_value());
    }
    if (e.name() == "unlinkat" && e.string_param("name") == file) {
      unlinked = true;
      EXPECT_EQ(e.int_param("res"), 0);
    }
  }
  EXPECT_TRUE(opened) << "no openat of " << file;
  EXPECT_TRUE(unlinked) << "no unlinkat of " << file;
}

// An exec event names the new image as /proc/<pid>/comm does, also when
// status (where the name is usually taken from) shows it escaped.
TEST_F(PtraceTest, ExecEventsNameTheImageExactly) {
  const fs::path plain = dir_ / "plain-name", escaped = dir_ / "back\\slash\tname";
  for (const fs::path& p : {plain, escaped}) fs::copy_file("/bin/true", p);
  const RunResult r = run(traced({"/bin/sh", "-c", "'" + plain.string() + "' && '" + escaped.string() + "'"}));
  ASSERT_EQ(exit_code(r), 0) << r.err;
  std::set<std::string> comms;
  const RingEvents events = read_ring(ring_);
  for (const auto& e : events.decoded())
    if (e.name() == "execve" && e.int_param("res") == 0)
      if (auto comm = e.string_param("comm")) comms.emplace(*comm);
  EXPECT_TRUE(comms.count("plain-name")) << testing::PrintToString(comms);
  EXPECT_TRUE(comms.count("back\\slash\tname")) << testing::PrintToString(comms);
}

// Syscalls outside the event set never stop the workload: the seccomp filter
// lets them through in the kernel.
TEST_F(PtraceTest, SyscallsOutsideTheSetNeverStop) {
  // 8 threads x 200 open/close pairs, with only unlink (and the process
  // life cycle) captured.
  const RunResult r = run(traced({kProg, "threads", "8"}, {"--events", "unlink", "--stats"}));
  ASSERT_EQ(exit_code(r), 0) << r.err;
  const Json stats = Json::parse(r.err.substr(r.err.rfind("{\"rtsec_ptrace\"")), nullptr, false);
  ASSERT_TRUE(stats.is_object()) << r.err;
  const uint64_t stops = stats["rtsec_ptrace"].value("stops", uint64_t{0});
  EXPECT_LT(stops, 100u) << "1600 opens must not stop the program: " << r.err;
  // --stats accounts for every stop by kind, and shows the filter's calls.
  uint64_t by_kind = 0;
  for (const auto& [kind, n] : stats["rtsec_ptrace"]["stops_by_kind"].items()) by_kind += n.get<uint64_t>();
  EXPECT_EQ(by_kind, stops) << r.err;
  EXPECT_GE(stats["rtsec_ptrace"]["stops_by_kind"].value("fork", uint64_t{0}), 8u) << r.err;
  const Json& filtered = stats["rtsec_ptrace"]["filtered_syscalls"];
  EXPECT_NE(std::find(filtered.begin(), filtered.end(), SYS_unlink), filtered.end()) << r.err;
  EXPECT_EQ(std::find(filtered.begin(), filtered.end(), SYS_openat), filtered.end()) << r.err;
  RingEvents ev = read_ring(ring_);
  EXPECT_EQ(ev.count("openat"), 0u);
  EXPECT_EQ(ev.count("close"), 0u);
  EXPECT_GE(ev.count("clone") + ev.count("clone3"), 16u);  // 8 threads, both sides
  // The same program with opens captured: one stop at entry and one at exit
  // per open, one per close (its result is known at entry).
  const RunResult all = run(traced({kProg, "threads", "8"}, {"--stats"}));
  ASSERT_EQ(exit_code(all), 0) << all.err;
  RingEvents ev_all = read_ring(ring_);
  EXPECT_GE(ev_all.count("openat"), 1600u);
  EXPECT_GE(ev_all.count("close"), 1600u);
}

// Opens answered at entry by a prediction (no exit stop) report what the
// kernel returned: the same descriptor, the same file; the cases that cannot
// be predicted take the exit stop and are just as exact.
TEST_F(PtraceTest, PredictedOpensReportWhatTheKernelReturned) {
  const std::string file = (dir_ / "read-me").string(), other = (dir_ / "truncate-me").string();
  std::ofstream(file) << "x";
  std::ofstream(other) << "y";
  const RunResult r = run(traced({kProg, "opens", file, other}, {"--stats"}), RunOptions{});
  ASSERT_EQ(exit_code(r), 0) << r.err;
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);

  std::vector<std::pair<std::string, int64_t>> kernel;  // name, result, in call order
  std::istringstream out(r.out);
  for (std::string label, name; out >> label >> name;) {
    int64_t ret = 0;
    out >> ret;
    kernel.emplace_back(name, ret);
  }
  ASSERT_EQ(kernel.size(), 10u) << r.out;
  std::set<std::string> names;
  for (const auto& [name, ret] : kernel) names.insert(name);
  std::vector<DecodedEvent> seen;
  const RingEvents events = read_ring(ring_);  // the decoded events point into it
  for (const auto& e : events.decoded()) {
    const auto name = e.string_param("name");
    if ((e.name() == "open" || e.name() == "openat" || e.name() == "creat") && name &&
        names.count(std::string(*name)))
      seen.push_back(e);
  }
  ASSERT_EQ(seen.size(), kernel.size());
  for (size_t i = 0; i < kernel.size(); ++i) {
    SCOPED_TRACE("call " + std::to_string(i) + " " + kernel[i].first);
    EXPECT_EQ(seen[i].string_param("name"), kernel[i].first);
    EXPECT_EQ(seen[i].int_param("fd"), kernel[i].second);
    if ((kernel[i].first == file || i == 6) && kernel[i].second >= 0) {
      EXPECT_EQ(seen[i].uint_param("ino"), st.st_ino);  // h: the file, through the linked directory
    }
  }
  EXPECT_EQ(kernel[7].second, -ELOOP) << "i: O_NOFOLLOW on a symlink";
  EXPECT_GE(kernel[8].second, 0) << "j: the program's own /proc/self/status";
  const Json stats = Json::parse(r.err.substr(r.err.rfind("{\"rtsec_ptrace\"")), nullptr, false);
  ASSERT_TRUE(stats.is_object()) << r.err;
  // a, b, c, d (a failure), h and g are predicted (and the dynamic loader's
  // opens); e (/proc/self behind a link), f (O_EXCL), i (ELOOP) and j
  // (/proc/self behind a link) are not. g's process dies before a stop
  // could confirm it.
  EXPECT_GE(stats["rtsec_ptrace"].value("opens_predicted", 0), 6) << r.err;
  EXPECT_GE(stats["rtsec_ptrace"].value("opens_predicted_failing", 0), 1) << r.err;
  EXPECT_EQ(stats["rtsec_ptrace"].value("opens_unconfirmed", 0), 1) << r.err;
}

// A predicted open is held for its thread's next stop, but a thread that
// never stops again must not hold it back: it reaches the ring within
// milliseconds, while the program still runs.
TEST_F(PtraceTest, PredictedOpenIsNotHeldBackByAThreadThatNeverStops) {
  const std::string file = (dir_ / "opened-then-quiet").string();
  std::ofstream(file) << "x";
  const pid_t tracer = fork();
  if (tracer == 0) {
    execl(kTracer.c_str(), kTracer.c_str(), "--ring", ring_.c_str(), "--", kProg.c_str(),
          "open-then-compute", file.c_str(), "3", nullptr);
    _exit(127);
  }
  const auto start = std::chrono::steady_clock::now();
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() - start < 2s) {
    std::this_thread::sleep_for(50ms);
    if (!fs::exists(ring_)) continue;
    const RingEvents events = read_ring(ring_);  // the decoded events point into it
    for (const auto& e : events.decoded())
      seen = seen || (e.name() == "openat" && e.string_param("name") == file);
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  int st = 0;
  ASSERT_EQ(waitpid(tracer, &st, 0), tracer);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  EXPECT_TRUE(seen) << "the open of " << file << " was not in the ring 2 s after the start, "
                    << "while the program computed for 3 s";
  EXPECT_LT(waited, 2s);
}

// The "<label> <name> <result>" lines a test program printed, in call order.
std::vector<std::pair<std::string, int64_t>> kernel_results(const std::string& out) {
  std::vector<std::pair<std::string, int64_t>> kernel;
  std::istringstream in(out);
  for (std::string label, name; in >> label >> name;) {
    int64_t ret = 0;
    in >> ret;
    kernel.emplace_back(name, ret);
  }
  return kernel;
}

Json stats_of(const RunResult& r) {
  const size_t at = r.err.rfind("{\"rtsec_ptrace\"");
  return at == std::string::npos ? Json() : Json::parse(r.err.substr(at), nullptr, false);
}

// Failing opens answered at entry report exactly the kernel's errno; those
// that cannot be predicted (a dangling symlink, EMFILE at the descriptor
// limit) take the exit stop and are just as exact. --stats counts them.
TEST_F(PtraceTest, PredictedFailingOpensReportTheKernelsErrno) {
  const fs::path work = dir_ / "work";
  fs::create_directory(work);
  const RunResult r = run(traced({kProg, "failing-opens", work.string()}, {"--stats"}));
  ASSERT_EQ(exit_code(r), 0) << r.err;
  const auto kernel = kernel_results(r.out);
  ASSERT_EQ(kernel.size(), 11u) << r.out;
  // What the kernel said, as the program saw it: the cases are what they claim.
  const std::vector<int64_t> expected = {-ENOENT, -ENOENT, -ENOTDIR, -ENOENT, -ENOENT, -ENOENT,
                                         -ENOENT, -EMFILE, 0,       -ENAMETOOLONG, -EFAULT};
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] < 0) EXPECT_EQ(kernel[i].second, expected[i]) << i;
    else EXPECT_GE(kernel[i].second, 0) << i;
  }
  // j and k: the event's name is what the tracer could read (cut), not the label.
  std::vector<DecodedEvent> cut;

  std::vector<DecodedEvent> seen;
  const RingEvents events = read_ring(ring_);  // the decoded events point into it
  for (const auto& e : events.decoded()) {
    const auto name = e.string_param("name");
    if ((e.name() != "open" && e.name() != "openat") || !name) continue;
    if (e.uint_param("flags").value_or(0) & O_CREAT) continue;  // the program's own setup
    if (name->starts_with(work.string() + "/") || *name == "missing" || *name == "no/such")
      seen.push_back(e);
    else if (name->starts_with("m/m/m/") || *name == "/miss")
      cut.push_back(e);
  }
  std::string names;
  for (const auto& e : seen) names += std::string(e.string_param("name").value_or("?")) + "\n";
  ASSERT_EQ(seen.size() + cut.size(), kernel.size()) << names;
  ASSERT_EQ(cut.size(), 2u);
  EXPECT_EQ(cut[0].int_param("fd"), -ENAMETOOLONG);
  EXPECT_EQ(cut[1].int_param("fd"), -EFAULT);
  for (size_t i = 0; i < seen.size(); ++i) {
    SCOPED_TRACE("call " + std::to_string(i) + " " + kernel[i].first);
    EXPECT_EQ(seen[i].string_param("name"), kernel[i].first);
    EXPECT_EQ(seen[i].int_param("fd"), kernel[i].second);
    EXPECT_EQ(seen[i].uint_param("ino").has_value(), kernel[i].second >= 0);
  }
  const Json stats = stats_of(r);
  ASSERT_TRUE(stats.is_object()) << r.err;
  // a to f are predicted failures (the dynamic loader may add some); g
  // (a symlink on the way), h (EMFILE), j and k (a path cut) are not.
  EXPECT_GE(stats["rtsec_ptrace"].value("opens_predicted_failing", 0), 6) << r.err;
  EXPECT_EQ(stats["rtsec_ptrace"].value("opens_corrected", -1), 0) << r.err;
}

// A file created between the tracer's look (missing: a failure predicted)
// and the kernel's: the open succeeds, and the event says so, with the
// descriptor the program got and the file's inode. The race is forced: the
// tracer's test hook creates the file after the prediction, before the
// tracee makes the call.
TEST_F(PtraceTest, FailurePredictedForAFileCreatedMeanwhileIsReportedAsTheSuccess) {
  const std::string path = (dir_ / "appears").string();
  auto mapping = RingMapping::create_file(ring_, 1 << 20);
  ASSERT_TRUE(mapping.ok()) << mapping.error().message;
  RingProducer producer(&*mapping, 0);
  TracerOptions opts;
  opts.recipes = rtsec::make_recipes({RTSEC_EVT_OPENAT});
  opts.ring = &producer;
  opts.colocate = false;
  int hooked = 0;
  opts.on_open_predicted = [&](pid_t, const std::string& p) {
    if (p != path) return;
    ++hooked;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) ::close(fd);
  };
  // The program's output goes to a file (the tracee inherits stdout).
  const std::string out = (dir_ / "out").string();
  const int saved = dup(STDOUT_FILENO);
  const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(out_fd, 0);
  dup2(out_fd, STDOUT_FILENO);
  Tracer tracer(std::move(opts));
  auto st = tracer.spawn({kProg, "open-raced", path});
  dup2(saved, STDOUT_FILENO);
  ::close(saved);
  ::close(out_fd);
  ASSERT_TRUE(st.ok()) << st.error().message;
  tracer.release();
  const int status = tracer.run();
  producer.finish(status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(hooked, 1) << "the open of " << path << " was not predicted";

  std::ifstream in(out);
  std::string word, name;
  int64_t fd = -1;
  in >> word >> name >> fd;
  ASSERT_EQ(word, "raced");
  ASSERT_GE(fd, 0) << "the program's open failed: the file was not created in time";
  struct stat made {};
  ASSERT_EQ(stat(path.c_str(), &made), 0);
  size_t found = 0;
  const RingEvents events = read_ring(ring_);  // the decoded events point into it
  for (const auto& e : events.decoded()) {
    if (e.name() != "openat" || e.string_param("name") != path) continue;
    ++found;
    EXPECT_EQ(e.int_param("fd"), fd);
    EXPECT_EQ(e.uint_param("ino"), made.st_ino);
    EXPECT_TRUE(e.uint_param("dev").has_value());
  }
  EXPECT_EQ(found, 1u);
  const auto counts = tracer.open_predictions();
  EXPECT_GE(counts.failures, 1u);
  EXPECT_EQ(counts.corrected, 1u);
}

// A tracee in another mount namespace sees other files at the same paths:
// its opens are not predicted from what the tracer sees.
TEST_F(PtraceTest, OpensInAnotherMountNamespaceAreNotPredicted) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs in a new mount namespace needs root";
  if (access("/usr/bin/unshare", X_OK) != 0) GTEST_SKIP() << "unshare (util-linux) is not installed";
  const fs::path over = dir_ / "over";
  fs::create_directory(over);
  const std::string only_there = (over / "only-there").string();
  // unshare -m makes the new namespace's mounts private: the tracer never
  // sees the tmpfs nor the file in it.
  const RunResult r = run(traced({"/usr/bin/unshare", "-m", "/bin/sh", "-c",
                                  "mount -t tmpfs none " + over.string() + " && echo there > " +
                                      only_there + " && cat " + only_there},
                                 {"--stats"}));
  if (exit_code(r) != 0 && r.err.find("mount") != std::string::npos)
    GTEST_SKIP() << "cannot mount a tmpfs in a new mount namespace here: " << tail(r.err, 300);
  ASSERT_EQ(exit_code(r), 0) << r.err;
  EXPECT_EQ(r.out, "there\n");
  EXPECT_FALSE(fs::exists(only_there));
  bool cat_opened = false;
  const RingEvents events = read_ring(ring_);  // the decoded events point into it
  for (const auto& e : events.decoded()) {
    if (e.name() != "openat" || e.string_param("name") != only_there) continue;
    const auto flags = e.uint_param("flags").value_or(0);
    if (flags & O_CREAT) continue;  // the shell's redirection
    cat_opened = true;
    EXPECT_GE(e.int_param("fd").value_or(-1), 0) << "cat's open is reported as failed";
    EXPECT_TRUE(e.uint_param("ino").has_value());
  }
  EXPECT_TRUE(cat_opened) << "no openat of " << only_there;
}

// A process that changes its credentials without an exec is no longer
// stood in for by the tracer: root's file, opened after setuid(nobody),
// fails with EACCES, and the event says so. (Where the tracer lacks
// CAP_SYS_RESOURCE it cannot read the limits of another user's process and
// predicts nothing there anyway; the chroot case below does not depend on it.)
TEST_F(PtraceTest, OpensAfterSetuidAreCheckedWithTheNewCredentials) {
  if (geteuid() != 0) GTEST_SKIP() << "dropping to another user needs root";
  const std::string secret = (dir_ / "root-only").string();
  std::ofstream(secret) << "x";
  ASSERT_EQ(chmod(secret.c_str(), 0600), 0);
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  const RunResult r = run(traced({kProg, "setuid-open", "65534", secret}));
  ASSERT_EQ(exit_code(r), 0) << r.err;
  ASSERT_EQ(r.out, "after-setuid " + secret + " " + std::to_string(-EACCES) + "\n");
  bool seen = false;
  const RingEvents events = read_ring(ring_);
  for (const auto& e : events.decoded()) {
    if (e.name() != "openat" || e.string_param("name") != secret) continue;
    seen = true;
    EXPECT_EQ(e.int_param("fd"), -EACCES);
  }
  EXPECT_TRUE(seen) << "no openat of " << secret;
}

// The same after chroot(): "/only-in-the-jail" is missing for the tracer
// and there for the process.
TEST_F(PtraceTest, OpensAfterChrootAreNotPredictedFromTheTracersRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "chroot needs root";
  const fs::path jail = dir_ / "jail";
  fs::create_directory(jail);
  std::ofstream(jail / "only-in-the-jail") << "x";
  const RunResult r = run(traced({kProg, "chroot-open", jail.string(), "/only-in-the-jail"}));
  ASSERT_EQ(exit_code(r), 0) << r.err;
  const auto kernel = kernel_results(r.out);
  ASSERT_EQ(kernel.size(), 1u) << r.out;
  ASSERT_GE(kernel[0].second, 0) << r.out;
  bool seen = false;
  const RingEvents events = read_ring(ring_);
  for (const auto& e : events.decoded()) {
    if (e.name() != "openat" || e.string_param("name") != "/only-in-the-jail") continue;
    seen = true;
    EXPECT_EQ(e.int_param("fd"), kernel[0].second);
    EXPECT_TRUE(e.uint_param("ino").has_value());
  }
  EXPECT_TRUE(seen) << "no openat of /only-in-the-jail";
}

// Rebuilding a held event for another result: the parameters that depend
// on the result follow it, every other one is kept byte for byte.
TEST(PtraceRebuild, ReencodesAnEventForAnotherResult) {
  const rtsec_event_recipe* openat = nullptr;
  const auto recipes = rtsec::make_recipes({});
  for (const auto& r : recipes) openat = r.type == RTSEC_EVT_OPENAT ? &r : openat;
  ASSERT_NE(openat, nullptr);
  const std::string path = "relative/missing.h";
  SyscallContext c;
  c.tid = c.pid = getpid();
  c.ret = -ENOENT;
  c.args[0] = static_cast<uint64_t>(AT_FDCWD);
  c.args[1] = reinterpret_cast<uint64_t>(path.c_str());
  c.args[2] = O_RDONLY | O_CLOEXEC;
  TaskFacts facts(c.tid);
  auto failed = encode_event(*openat, c, facts, 123456789, nullptr);
  ASSERT_TRUE(failed.has_value());

  std::string err;
  auto ok = rebuild_with_result(*openat, failed->bytes, 7, FileId{0x800001, 4242}, &err);
  ASSERT_TRUE(ok.has_value()) << err;
  auto ev = decode_event(*ok);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->header().ts_ns, 123456789u);
  EXPECT_EQ(ev->header().tid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(ev->int_param("fd"), 7);
  EXPECT_EQ(ev->int_param("dirfd"), AT_FDCWD);
  EXPECT_EQ(ev->string_param("name"), path);
  EXPECT_EQ(ev->uint_param("flags"), static_cast<uint64_t>(O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(ev->uint_param("dev"), 0x800001u);
  EXPECT_EQ(ev->uint_param("ino"), 4242u);

  // And back: the same bytes as the event encoded for the failure.
  auto back = rebuild_with_result(*openat, *ok, -ENOENT, std::nullopt, &err);
  ASSERT_TRUE(back.has_value()) << err;
  EXPECT_EQ(*back, failed->bytes);

  // What does not match the recipe is refused, not trusted.
  auto cut = failed->bytes;
  cut.resize(cut.size() - 3);
  EXPECT_FALSE(rebuild_with_result(*openat, cut, 7, std::nullopt, &err).has_value());
  const rtsec_event_recipe* close = nullptr;
  for (const auto& r : recipes) close = r.type == RTSEC_EVT_CLOSE ? &r : close;
  ASSERT_NE(close, nullptr);
  EXPECT_FALSE(rebuild_with_result(*close, failed->bytes, 0, std::nullopt, &err).has_value());
}

TEST_F(PtraceTest, GarbagePointersLeaveParametersEmpty) {
  const RunResult r = run(traced({kProg, "badptr"}));
  ASSERT_EQ(exit_code(r), 0) << r.err;
  RingEvents ev = read_ring(ring_);
  EXPECT_EQ(ev.malformed, 0u);
  EXPECT_GT(ev.counters.faults, 0u) << "unreadable parameters must be counted";
  size_t bad_opens = 0;
  for (const auto& e : ev.decoded()) {
    if (e.name() != "openat" || e.int_param("fd").value_or(0) >= 0) continue;
    ++bad_opens;
  }
  EXPECT_GE(bad_opens, 4u);
}

// ---- enforcement hooks -------------------------------------------------------------------

TEST_F(PtraceTest, DenySkipsTheSyscallWithEperm) {
  const std::string file = (dir_ / "keep").string();
  const RunResult r = run(traced({"/bin/sh", "-c", "touch " + file + "; rm -f " + file +
                                                        "; test -e " + file + " && echo kept"},
                                 {"--deny", "unlinkat"}));
  EXPECT_EQ(r.out, "kept\n");
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
  bool denied = false;
  const RingEvents ev = read_ring(ring_);  // the decoded events borrow its bytes
  for (const auto& e : ev.decoded())
    if (e.name() == "unlinkat" && e.int_param("res") == -EPERM) denied = true;
  EXPECT_TRUE(denied) << "no unlinkat event with res -EPERM";
}

TEST_F(PtraceTest, KillHookKillsTheProcess) {
  // The shell execs mkdir: the killed process is the traced command itself.
  const RunResult r = run(traced({"/bin/sh", "-c", "echo before; exec mkdir " + (dir_ / "d").string()},
                                 {"--kill-on", "mkdirat", "--kill-on", "mkdir"}));
  EXPECT_EQ(r.out, "before\n");
  EXPECT_EQ(exit_code(r), 128 + SIGKILL);
  EXPECT_FALSE(fs::exists(dir_ / "d"));
}

// ---- no privileges -------------------------------------------------------------------------

TEST_F(PtraceTest, WorksWithNoCapabilitiesAtAll) {
  std::vector<std::string> argv = traced({kProg, "children", "10"}, {"--stats"});
  std::string how = "as this unprivileged user";
  if (geteuid() == 0) {
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv (util-linux) is not installed";
    // nobody must reach the binaries and write the ring.
    for (fs::path p = fs::path(kTracer).parent_path(); p != p.root_path(); p = p.parent_path()) {
      struct stat st {};
      if (stat(p.c_str(), &st) != 0 || !(st.st_mode & S_IXOTH))
        GTEST_SKIP() << p << " is not searchable by others, so user nobody cannot run " << kTracer;
    }
    fs::permissions(dir_, fs::perms::all);
    argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                               "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"});
    how = "as nobody with every capability dropped (setpriv)";
  }
  SCOPED_TRACE(how);
  const RunResult r = run(argv);
  EXPECT_EQ(r.out, "children 10 sum 24\n") << r.err;
  EXPECT_EQ(exit_code(r), 0) << r.err;
  RingEvents ev = read_ring(ring_);
  EXPECT_GE(ev.count("fork") + ev.count("clone"), 20u);  // parent's and child's events
  EXPECT_EQ(ev.count("procexit"), 11u);
}

// ---- bad input -------------------------------------------------------------------------------

TEST_F(PtraceTest, CommandThatDoesNotExist) {
  RunResult r = run(traced({"/no/such/program"}));
  EXPECT_EQ(exit_code(r), 127);
  EXPECT_NE(r.err.find("cannot run /no/such/program"), std::string::npos) << r.err;
  r = run(traced({"no-such-program-in-path"}));
  EXPECT_EQ(exit_code(r), 127);
  EXPECT_NE(r.err.find("command not found"), std::string::npos) << r.err;
  r = run({kRtsec, "trace", "--driver", "ptrace", "--", "/no/such/program"});
  EXPECT_EQ(exit_code(r), 127) << r.err;
  EXPECT_NE(r.err.find("/no/such/program"), std::string::npos) << r.err;
}

TEST_F(PtraceTest, UsageErrors) {
  EXPECT_EQ(exit_code(run({kTracer})), 2);
  EXPECT_EQ(exit_code(run({kTracer, "-p", "1", "--", "true"})), 2);
  EXPECT_EQ(exit_code(run({kTracer, "--events", "no_such_event", "--", "true"})), 2);
  EXPECT_EQ(exit_code(run({kTracer, "--ring-bytes", "12345", "--ring", ring_, "--", "true"})), 1);
}

TEST_F(PtraceTest, PidThatIsGone) {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);  // reaped: the pid names nothing now
  const RunResult r = run({kTracer, "--ring", ring_, "-p", std::to_string(pid)});
  EXPECT_EQ(exit_code(r), 1);
  EXPECT_NE(r.err.find("no such process"), std::string::npos) << r.err;
}

TEST_F(PtraceTest, PidNotTraceableSaysWhy) {
  std::vector<std::string> argv{kTracer, "--ring", ring_, "-p", "1"};
  if (geteuid() == 0) {
    if (access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv (util-linux) is not installed";
    fs::permissions(dir_, fs::perms::all);
    argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                               "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"});
  }
  const RunResult r = run(argv);
  EXPECT_EQ(exit_code(r), 1);
  EXPECT_NE(r.err.find("CAP_SYS_PTRACE"), std::string::npos) << r.err;
}

// If the tracer dies, nothing it traced is left stopped (PTRACE_O_EXITKILL).
TEST_F(PtraceTest, TracerDeathLeavesNoTraceeStopped) {
  pid_t tracer = fork();
  if (tracer == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 1);
    dup2(null, 2);
    execl(kTracer.c_str(), kTracer.c_str(), "--ring", ring_.c_str(), "--", kProg.c_str(),
          "openloop", nullptr);
    _exit(127);
  }
  // Its child: the traced program, once it runs.
  pid_t traced_pid = 0;
  for (int i = 0; i < 200 && traced_pid == 0; ++i) {
    std::this_thread::sleep_for(10ms);
    std::ifstream children("/proc/" + std::to_string(tracer) + "/task/" + std::to_string(tracer) +
                           "/children");
    children >> traced_pid;
  }
  ASSERT_GT(traced_pid, 0) << "the traced program did not start";
  std::this_thread::sleep_for(200ms);
  kill(tracer, SIGKILL);
  int st = 0;
  ASSERT_EQ(waitpid(tracer, &st, 0), tracer);
  // Gone (killed with its tracer), not stopped; a zombie until init reaps it.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    std::ifstream stat_file("/proc/" + std::to_string(traced_pid) + "/stat");
    std::string line;
    std::getline(stat_file, line);
    const size_t paren = line.rfind(')');
    gone = line.empty() || paren == std::string::npos || line[paren + 2] == 'Z' || line[paren + 2] == 'X';
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone) << "process " << traced_pid << " outlived its tracer";
}

// ---- attach ------------------------------------------------------------------------------------

TEST_F(PtraceTest, AttachSeesEventsAndDetachesCleanly) {
  pid_t target = fork();
  if (target == 0) {
    execl(kProg.c_str(), kProg.c_str(), "openloop", nullptr);
    _exit(127);
  }
  std::this_thread::sleep_for(100ms);
  pid_t tracer = fork();
  if (tracer == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    execl(kTracer.c_str(), kTracer.c_str(), "--ring", ring_.c_str(), "-p",
          std::to_string(target).c_str(), nullptr);
    _exit(127);
  }
  std::this_thread::sleep_for(500ms);
  kill(tracer, SIGINT);  // detach
  int st = 0;
  ASSERT_EQ(waitpid(tracer, &st, 0), tracer);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "rtsec-ptrace -p: status " << st;
  // Still alive and running untraced: not stopped, not killed.
  std::this_thread::sleep_for(100ms);
  std::ifstream stat_file("/proc/" + std::to_string(target) + "/stat");
  std::string stat_line;
  std::getline(stat_file, stat_line);
  const char state = stat_line.empty() ? '?' : stat_line[stat_line.rfind(')') + 2];
  EXPECT_TRUE(state == 'S' || state == 'R') << "target state " << state;
  std::string status_text;
  {
    std::ifstream status("/proc/" + std::to_string(target) + "/status");
    for (std::string line; std::getline(status, line);)
      if (line.starts_with("TracerPid:")) status_text = line;
  }
  EXPECT_EQ(status_text, "TracerPid:\t0");
  kill(target, SIGKILL);
  waitpid(target, &st, 0);
  EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  EXPECT_GE(read_ring(ring_).count("openat"), 5u);
}

// ---- rtsec with the plugin ------------------------------------------------------------------------

TEST_F(PtraceTest, RtsecTraceExitStatusIsTheCommands) {
  const fs::path plugin = fs::path(RTSEC_PLUGIN_DIR) / "librtsec-driver-ptrace.so";
  if (!fs::exists(plugin)) GTEST_SKIP() << plugin << " is not built";
  RunResult r = run({kRtsec, "trace", "--driver", "ptrace", "--", "/bin/sh", "-c", "exit 3"});
  EXPECT_EQ(exit_code(r), 3) << r.err;
  r = run({kRtsec, "trace", "--driver", "ptrace", "--", kProg, "killself", "15"});
  EXPECT_EQ(exit_code(r), 128 + 15) << r.err;
}

// With the detection engine: the default rules see what the ptrace driver
// captures as they see the kernel drivers' events.
TEST_F(PtraceTest, DetectionEngineAlertsOnWhatPtraceCaptures) {
  const fs::path plugin = fs::path(RTSEC_PLUGIN_DIR) / "librtsec-driver-ptrace.so";
  if (!fs::exists(plugin)) GTEST_SKIP() << plugin << " is not built";
  if (geteuid() != 0) GTEST_SKIP() << "reading /etc/shadow succeeds only as root";
  const RunResult help = run({kRtsec, "run", "--help"});
  if (exit_code(help) != 0 || help.out.find("--driver") == std::string::npos)
    GTEST_SKIP() << "`rtsec run` (the detection engine) is not in this build";
  const RunResult dry = run({kRtsec, "run", "--dry-run"});
  if (exit_code(dry) != 0)
    GTEST_SKIP() << "the detection engine does not load its rules here: " << tail(dry.err, 500);
  const RunResult r =
      run({kRtsec, "run", "--driver", "ptrace", "--", "/bin/sh", "-c", "cat /etc/shadow >/dev/null"});
  EXPECT_EQ(exit_code(r), 0) << r.err;
  EXPECT_NE((r.out + r.err).find("Sensitive file opened for reading"), std::string::npos)
      << "stdout:\n" << tail(r.out) << "\nstderr:\n" << tail(r.err);
}

// The sidecar layout: rtsec-ptrace writes the ring, rtsec reads it in
// another process, and a reader that restarts while the workload runs goes on
// where the last one stopped: nothing lost, nothing read twice.
TEST_F(PtraceTest, SidecarReaderRestartsWithoutLosingEvents) {
  const fs::path plugin = fs::path(RTSEC_PLUGIN_DIR) / "librtsec-driver-ptrace.so";
  if (!fs::exists(plugin)) GTEST_SKIP() << plugin << " is not built";
  const std::string config = (dir_ / "rtsec.yaml").string();
  std::ofstream(config) << "driver:\n  kind: ptrace\n  ptrace:\n    ring: " << ring_ << "\n";
  const std::string fifo = (dir_ / "go").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);

  // The workload: one marker, then it waits for the test, then another.
  const std::string first = (dir_ / "first-marker").string(), second = (dir_ / "second-marker").string();
  pid_t tracer = fork();
  if (tracer == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 1);
    dup2(null, 2);
    execl(kTracer.c_str(), kTracer.c_str(), "--ring", ring_.c_str(), "--", "/bin/sh", "-c",
          ("cat " + first + "; read x < " + fifo + "; cat " + second).c_str(), nullptr);
    _exit(127);
  }
  // An `rtsec trace` reading the ring until `want` shows in its output.
  auto read_until = [&](const std::string& want) {
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid_t pid = fork();
    if (pid == 0) {
      dup2(out[1], 1);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 2);
      close(out[0]);
      execl(kRtsec.c_str(), kRtsec.c_str(), "trace", "--json", "--config", config.c_str(), nullptr);
      _exit(127);
    }
    close(out[1]);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (text.find(want) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      char buf[65536];
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n > 0) text.append(buf, static_cast<size_t>(n));
      else std::this_thread::sleep_for(20ms);
    }
    kill(pid, SIGINT);
    fcntl(out[0], F_SETFL, 0);
    char buf[65536];
    for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    close(out[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "rtsec trace status " << st;
    return text;
  };
  // The workload's openat of each marker (its argv names both).
  const std::string open_first = "\"name\":\"" + first + "\"";
  const std::string open_second = "\"name\":\"" + second + "\"";
  const std::string one = read_until(open_first);
  EXPECT_NE(one.find(open_first), std::string::npos) << tail(one);
  EXPECT_EQ(one.find(open_second), std::string::npos);
  // The first reader is gone; the workload goes on and writes more.
  std::ofstream(fifo) << "go\n";
  int st = 0;
  ASSERT_EQ(waitpid(tracer, &st, 0), tracer);
  EXPECT_TRUE(WIFEXITED(st)) << st;
  const std::string two = read_until(open_second);
  EXPECT_NE(two.find(open_second), std::string::npos) << "lost while no reader ran:\n" << tail(two);
  EXPECT_EQ(two.find(open_first), std::string::npos) << "read twice:\n" << tail(two);
}

// ---- the ring itself ---------------------------------------------------------------------------------

std::vector<std::byte> sample_event(uint32_t tid, const std::string& path) {
  EventBuilder b(RTSEC_EVT_UNLINK, 1, tid, tid);
  return *b.add_int(0).add_string(path).build();
}

TEST_F(PtraceTest, FullRingDropsAndCountsWithoutBlocking) {
  auto ring = RingMapping::create_file(ring_, 64 * 1024);
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  RingProducer producer(&*ring, 50);
  const auto ev = sample_event(1, std::string(200, 'x'));
  const auto start = std::chrono::steady_clock::now();
  size_t written = 0, dropped = 0;
  for (int i = 0; i < 2000; ++i) (producer.write(ev, false) ? written : dropped)++;
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GT(dropped, 0u);
  EXPECT_GT(written, 100u);
  // One wait of 50 ms for a reader, then drops without waiting.
  EXPECT_LT(took, 1s);
  RingEvents got = read_ring(ring_);
  EXPECT_EQ(got.raw.size(), written);
  EXPECT_EQ(got.counters.drops, dropped);
  // Every drop is the writing process's (the event's pid).
  const auto by_process = read_process_drops(*ring->header());
  ASSERT_EQ(by_process.size(), 1u);
  EXPECT_EQ(by_process[0], (std::pair<uint32_t, uint64_t>{1, dropped}));
  // Room again: the producer writes once the ring is half empty.
  EXPECT_TRUE(producer.write(ev, false));
}

// Drops by process in the ring's header: more processes than slots evict the
// ones with the fewest drops (their drops stay in the total), and a slot no
// producer could have written (a tgid out of range) is not reported.
TEST_F(PtraceTest, RingCountsDropsByProcessAndTrustsNoSlot) {
  auto ring = RingMapping::create_file(ring_, 64 * 1024);
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  RingProducer producer(&*ring, 0);
  while (producer.write(sample_event(1, "/c"), false)) {  // full: nothing more fits
  }
  const uint64_t before = ring->header()->drops;
  // Process 7 drops 1,000 events; 1,000 other processes drop one each.
  for (int i = 0; i < 1000; ++i) producer.write(sample_event(7, "/a"), false);
  for (uint32_t pid = 100; pid < 1100; ++pid) producer.write(sample_event(pid, "/b"), false);
  const RingHeader& h = *ring->header();
  uint64_t listed = 0, seven = 0;
  const auto by_process = read_process_drops(h);
  EXPECT_LE(by_process.size(), kProcessDropSlots);
  for (const auto& [pid, drops] : by_process) {
    listed += drops;
    if (pid == 7) seven = drops;
  }
  EXPECT_EQ(seven, 1000u) << "the heavy dropper keeps its slot";
  EXPECT_LE(listed, h.drops);
  EXPECT_EQ(h.drops, before + 2000);
  // A hostile writer's slot: tgid beyond PID_MAX_LIMIT.
  ring->header()->process_drops[0] = (uint64_t{1} << 63) | 5;
  for (const auto& [pid, drops] : read_process_drops(*ring->header())) EXPECT_LT(pid, 1u << 22);
}

TEST_F(PtraceTest, CorruptRingIsSkippedNotTrusted) {
  auto ring = RingMapping::create_file(ring_, 64 * 1024);
  ASSERT_TRUE(ring.ok());
  RingProducer producer(&*ring, 0);
  for (int i = 0; i < 10; ++i) producer.write(sample_event(static_cast<uint32_t>(i + 1), "/a"), false);
  // A record length that points past the data.
  uint32_t bogus = 0x7fff0000;
  std::memcpy(ring->data(), &bogus, sizeof bogus);
  RingEvents got = read_ring(ring_);
  EXPECT_EQ(got.raw.size(), 0u);
  EXPECT_EQ(got.counters.corrupt, 1u);
  // Events written after it are read.
  producer.write(sample_event(99, "/b"), false);
  got = read_ring(ring_);
  ASSERT_EQ(got.raw.size(), 1u);
  EXPECT_EQ(got.decoded().at(0).header().tid, 99u);
  // Positions that make no sense.
  ring->header()->tail = ring->header()->head + 12345;
  got = read_ring(ring_);
  EXPECT_EQ(got.raw.size(), 0u);
  EXPECT_EQ(got.counters.corrupt, 2u);
  // A header of another format or garbage is refused with a reason.
  std::memcpy(ring->header()->magic, "garbage!", 8);
  auto refused = RingMapping::open_file(ring_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("not initialised"), std::string::npos) << refused.error().message;
  std::memcpy(ring->header()->magic, kRingMagic, 8);
  ring->header()->capacity = 12345;
  refused = RingMapping::open_file(ring_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("corrupt"), std::string::npos) << refused.error().message;
}

// Whatever the file holds, the reader returns only records that lie inside
// what it read, and never crashes.
TEST_F(PtraceTest, RandomBytesNeverCrashTheReader) {
  auto ring = RingMapping::create_file(ring_, 64 * 1024);
  ASSERT_TRUE(ring.ok());
  RingProducer producer(&*ring, 0);
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return seed;
  };
  size_t records = 0;
  for (int round = 0; round < 300; ++round) {
    // Some real records, then random bytes over part of the data and the positions.
    for (int i = 0; i < 20; ++i) producer.write(sample_event(static_cast<uint32_t>(i + 1), "/x"), false);
    auto* data = reinterpret_cast<uint8_t*>(ring->data());
    for (int i = 0; i < 64; ++i) data[next() % ring->capacity()] = static_cast<uint8_t>(next());
    if (round % 3 == 0) ring->header()->head = next() % (4 * ring->capacity());
    if (round % 5 == 0) ring->header()->tail = next() % (4 * ring->capacity());
    auto reader = RingMapping::open_file(ring_);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    RingConsumer consumer(&*reader);
    std::vector<std::span<const std::byte>> batch;
    for (int k = 0; k < 4; ++k) {
      auto n = consumer.read(batch, 64);
      ASSERT_TRUE(n.ok());
      for (auto rec : batch) {
        ASSERT_GE(rec.size(), size_t{RTSEC_EVENT_HDR_LEN});
        ASSERT_LE(rec.size(), size_t{RTSEC_MAX_EVENT_LEN});
        (void)decode_event(rec);  // may reject it; must not crash
        ++records;
      }
    }
    // The producer starts over from where the reader left the positions.
    ring->header()->head = ring->header()->tail = 0;
  }
  EXPECT_GT(records, 0u);
}

TEST_F(PtraceTest, RingRefusesSymlinksAndForeignFiles) {
  fs::create_symlink("/etc/passwd", ring_);
  auto r = RingMapping::create_file(ring_, 64 * 1024);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("symbolic link"), std::string::npos) << r.error().message;
  auto missing = RingMapping::open_file((dir_ / "none.ring").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("rtsec-ptrace"), std::string::npos);
}

}  // namespace
}  // namespace rtsec::ptrace
