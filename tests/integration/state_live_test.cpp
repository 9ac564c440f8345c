// SPDX-License-Identifier: Apache-2.0
// The state kept by the real eBPF driver's events: a child opens a file, connects to a
// 127.0.0.1 listener it made and accepts the connection, then execs a shell that runs cat.
// The fields rules read (fd.name, fd.sip/sport, proc.pname, proc.aname[2], user.name,
// proc.cmdline) must say what happened.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "rtsec/decoder.hpp"
#include "rtsec/engine/eval_context.hpp"
#include "rtsec/engine/field.hpp"
#include "rtsec/event_table.hpp"
#include "rtsec/plugin/driver_host.hpp"
#include "rtsec/state/state.hpp"

namespace rtsec {
namespace {

namespace fs = std::filesystem;

// Field values of one event, as text ("<NA>" when not extracted).
class Snapshot {
 public:
  void take(engine::EvalContext& ctx, std::initializer_list<std::string_view> names) {
    for (std::string_view full : names) {
      std::string name(full);
      std::optional<std::string> arg;
      if (const size_t open = name.find('['); open != std::string::npos) {
        arg = name.substr(open + 1, name.size() - open - 2);
        name.resize(open);
      }
      auto bound = engine::default_field_registry().bind(name, arg);
      ASSERT_TRUE(bound.ok()) << full;
      engine::ValueList out;
      std::string text = "<NA>";
      if (bound->extractor->extract(ctx, out) && !out.empty()) {
        const auto& v = out[0];
        switch (v.type) {
          case engine::FieldType::kString: text = v.s; break;
          case engine::FieldType::kInt: text = std::to_string(v.i); break;
          case engine::FieldType::kUint: text = std::to_string(v.u); break;
          case engine::FieldType::kBool: text = v.i ? "true" : "false"; break;
          default: {
            char buf[INET6_ADDRSTRLEN] = {};
            inet_ntop(v.ip.family, v.ip.bytes.data(), buf, sizeof buf);
            text = buf;
          }
        }
      }
      values_[std::string(full)] = text;
    }
    taken_ = true;
  }
  bool taken() const { return taken_; }
  std::string operator[](const std::string& name) const {
    const auto it = values_.find(name);
    return it == values_.end() ? "(not taken)" : it->second;
  }

 private:
  std::map<std::string, std::string> values_;
  bool taken_ = false;
};

std::string self_comm() {
  std::ifstream in("/proc/self/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

class StateLive : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the eBPF driver needs root (or CAP_BPF+CAP_PERFMON)";
    if (!fs::exists(std::string(RTSEC_PLUGIN_DIR) + "/librtsec-driver-ebpf.so"))
      GTEST_SKIP() << "the eBPF plugin is not built in " << RTSEC_PLUGIN_DIR;
    marker_ = (fs::temp_directory_path() / ("rtsec-state-live-" + std::to_string(getpid())))
                  .string();
  }
  void TearDown() override { fs::remove(marker_); }
  std::string marker_;
};

TEST_F(StateLive, FieldsOfARealChildsFileSocketAndExec) {
  auto driver = plugin::load_driver(RTSEC_PLUGIN_DIR, "ebpf", {});
  ASSERT_TRUE(driver.ok()) << driver.error().message;
  ASSERT_TRUE((*driver)->set_events(make_recipes({})).ok());
  ASSERT_TRUE((*driver)->start().ok());

  state::State st;
  st.seed_from_proc();
  engine::EvalContext ctx(st);

  int go[2];
  ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
  const std::string script = "cat " + marker_ + " > /dev/null; true";
  const pid_t child = fork();
  if (child == 0) {
    ::close(go[1]);
    const int f = ::open(marker_.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (f < 0) _exit(10);
    const int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (bind(l, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(l, 1) != 0 ||
        getsockname(l, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
      _exit(11);
    const int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) _exit(12);
    if (accept(l, nullptr, nullptr) < 0) _exit(13);
    char byte;
    if (read(go[0], &byte, 1) != 1) _exit(14);  // until the test has seen all of this
    execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    _exit(15);
  }
  ::close(go[0]);
  ASSERT_GT(child, 0);

  Snapshot at_open, at_connect, at_accept, at_sh_exec, at_cat_open;
  std::string listener_port, client_port_seen;
  bool released = false, child_exited = false;
  uint64_t num = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!child_exited && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*driver)->next_batch(50);
    ASSERT_TRUE(batch.ok()) << batch.error().message;
    for (const auto& view : *batch) {
      auto ev = decode_event({static_cast<const std::byte*>(view.data), view.len});
      ASSERT_TRUE(ev.ok()) << ev.error().message;
      st.on_event(*ev);
      ctx.reset(*ev, ++num);
      const auto& h = ev->header();
      const auto type = h.type;
      const pid_t pid = static_cast<pid_t>(h.pid);
      const auto res = ev->int_param("res").value_or(ev->int_param("fd").value_or(-1));
      if (pid == child && type == RTSEC_EVT_OPENAT && ev->string_param("name") == marker_) {
        at_open.take(ctx, {"fd.name", "fd.typechar", "fd.num", "proc.name", "proc.pname",
                           "user.name", "evt.arg.flags", "evt.is_open_write"});
      } else if (pid == child && type == RTSEC_EVT_LISTEN) {
        Snapshot bound;
        bound.take(ctx, {"fd.sport"});
        listener_port = bound["fd.sport"];
      } else if (pid == child && type == RTSEC_EVT_CONNECT) {
        at_connect.take(ctx, {"fd.name", "fd.sip", "fd.sport", "fd.rip", "fd.cip", "fd.cport",
                              "fd.l4proto", "fd.type", "fd.is_server", "fd.connected"});
      } else if (pid == child && (type == RTSEC_EVT_ACCEPT || type == RTSEC_EVT_ACCEPT4) &&
                 res >= 0) {
        at_accept.take(ctx, {"fd.name", "fd.cip", "fd.cport", "fd.sip", "fd.sport",
                             "fd.is_server", "fd.lport"});
        const char byte = 1;
        ASSERT_EQ(write(go[1], &byte, 1), 1);
        released = true;
      } else if (pid == child && type == RTSEC_EVT_EXECVE && res == 0) {
        at_sh_exec.take(ctx, {"proc.name", "proc.cmdline", "proc.pname", "proc.exepath",
                              "user.name", "proc.aname[1]"});
      } else if (type == RTSEC_EVT_OPENAT && ev->string_param("name") == marker_ &&
                 pid != child && res >= 0) {
        at_cat_open.take(ctx, {"fd.name", "proc.name", "proc.pname", "proc.aname[2]",
                               "proc.cmdline", "proc.exepath", "user.name", "user.uid",
                               "proc.ppid", "container.id", "thread.cap_effective"});
      } else if (type == RTSEC_EVT_PROCEXIT && pid == child && h.tid == h.pid) {
        child_exited = true;
      }
      st.after_event(*ev);
    }
  }
  ASSERT_TRUE(released) << "the child's accept was never seen";
  ASSERT_TRUE((*driver)->stop().ok());
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ::close(go[1]);

  const std::string me = self_comm();
  ASSERT_TRUE(at_open.taken());
  EXPECT_EQ(at_open["fd.name"], marker_);
  EXPECT_EQ(at_open["fd.typechar"], "f");
  EXPECT_EQ(at_open["proc.name"], me) << "before its exec, the child is a copy of the test";
  EXPECT_EQ(at_open["proc.pname"], me);
  EXPECT_EQ(at_open["user.name"], "root");
  EXPECT_NE(at_open["evt.arg.flags"].find("O_CREAT"), std::string::npos);
  EXPECT_EQ(at_open["evt.is_open_write"], "true");

  ASSERT_TRUE(at_connect.taken());
  ASSERT_FALSE(listener_port.empty());
  EXPECT_EQ(at_connect["fd.sip"], "127.0.0.1");
  EXPECT_EQ(at_connect["fd.sport"], listener_port);
  EXPECT_EQ(at_connect["fd.rip"], "127.0.0.1");
  EXPECT_EQ(at_connect["fd.type"], "ipv4");
  EXPECT_EQ(at_connect["fd.l4proto"], "tcp");
  EXPECT_EQ(at_connect["fd.is_server"], "false");
  EXPECT_EQ(at_connect["fd.connected"], "true");
  // The local end, asked of the kernel while the child still held the socket.
  EXPECT_EQ(at_connect["fd.cip"], "127.0.0.1");
  EXPECT_EQ(at_connect["fd.name"], "127.0.0.1:" + at_connect["fd.cport"] + "->127.0.0.1:" +
                                       listener_port);

  ASSERT_TRUE(at_accept.taken());
  EXPECT_EQ(at_accept["fd.sip"], "127.0.0.1");
  EXPECT_EQ(at_accept["fd.sport"], listener_port);
  EXPECT_EQ(at_accept["fd.lport"], listener_port);
  EXPECT_EQ(at_accept["fd.cip"], "127.0.0.1");
  EXPECT_EQ(at_accept["fd.cport"], at_connect["fd.cport"]) << "both ends of one connection";
  EXPECT_EQ(at_accept["fd.is_server"], "true");
  EXPECT_EQ(at_accept["fd.name"], at_connect["fd.name"]);

  ASSERT_TRUE(at_sh_exec.taken());
  EXPECT_EQ(at_sh_exec["proc.name"], "sh");
  EXPECT_EQ(at_sh_exec["proc.cmdline"], "sh -c " + script);
  EXPECT_EQ(at_sh_exec["proc.pname"], me);
  EXPECT_EQ(at_sh_exec["proc.aname[1]"], me);
  EXPECT_EQ(at_sh_exec["user.name"], "root");
  EXPECT_EQ(at_sh_exec["proc.exepath"], fs::canonical("/bin/sh").string());

  ASSERT_TRUE(at_cat_open.taken()) << "cat's open of the marker was not seen";
  EXPECT_EQ(at_cat_open["fd.name"], marker_);
  EXPECT_EQ(at_cat_open["proc.name"], "cat");
  EXPECT_EQ(at_cat_open["proc.cmdline"], "cat " + marker_);
  EXPECT_EQ(at_cat_open["proc.pname"], "sh");
  EXPECT_EQ(at_cat_open["proc.aname[2]"], me);
  EXPECT_EQ(at_cat_open["proc.ppid"], std::to_string(child));
  EXPECT_EQ(at_cat_open["proc.exepath"], fs::canonical("/bin/cat").string());
  EXPECT_EQ(at_cat_open["user.name"], "root");
  EXPECT_EQ(at_cat_open["user.uid"], "0");
  EXPECT_EQ(at_cat_open["container.id"], "host");
  EXPECT_NE(at_cat_open["thread.cap_effective"].find("CAP_SYS_ADMIN"), std::string::npos)
      << "root's capabilities, read from /proc at exec";
}

// A churn of real short-lived processes (a shell spawning /bin/true, fork or vfork as it
// likes) leaves the table as it was: every entry leaves with its process.
TEST_F(StateLive, AChurnOfRealProcessesLeavesTheTableAsItWas) {
  auto driver = plugin::load_driver(RTSEC_PLUGIN_DIR, "ebpf", {});
  ASSERT_TRUE(driver.ok()) << driver.error().message;
  ASSERT_TRUE((*driver)->set_events(make_recipes(state::required_events())).ok());
  ASSERT_TRUE((*driver)->start().ok());
  state::State st;
  st.seed_from_proc();
  auto drain = [&](pid_t until_exit_of, int timeout_ms) {
    bool seen = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      auto batch = (*driver)->next_batch(50);
      if (!batch.ok()) return false;
      for (const auto& view : *batch) {
        auto ev = decode_event({static_cast<const std::byte*>(view.data), view.len});
        if (!ev.ok()) continue;
        st.on_event(*ev);
        st.after_event(*ev);
        const auto& h = ev->header();
        if (h.type == RTSEC_EVT_PROCEXIT && h.pid == static_cast<uint32_t>(until_exit_of) &&
            h.tid == h.pid && !seen) {
          seen = true;  // then a little more, for events other CPUs hold
          deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
        }
      }
    }
    return seen;
  };
  const size_t before = st.process_count();
  const pid_t shell = fork();
  if (shell == 0) {
    execl("/bin/sh", "sh", "-c", "i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_TRUE(drain(shell, 60000)) << "the shell's exit was not seen";
  int status = 0;
  waitpid(shell, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const auto cpu = (*driver)->stats();
  uint64_t drops = 0;
  if (cpu.ok())
    for (const auto& c : *cpu) drops += c.drops;
  ASSERT_TRUE((*driver)->stop().ok());
  // Other processes of the machine may come and go meanwhile: a few, not a thousand.
  EXPECT_LE(st.process_count(), before + 10) << "before " << before << ", drops " << drops;
  EXPECT_EQ(st.stats().table_full, 0u);
}

}  // namespace
}  // namespace rtsec
