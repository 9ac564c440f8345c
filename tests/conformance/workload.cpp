// SPDX-License-Identifier: Apache-2.0
// rtsec-conformance-workload CONFORMANCE.yaml REPORT.json
//
// Performs the `do` actions of every step of the conformance file in order,
// each with a raw syscall(2) so the kernel sees exactly the syscall the file
// names, and writes {"values": {...}, "errors": [...]} to REPORT.json: the
// run-time values the expectations refer to as "{placeholders}". Needs no
// privileges (it also runs under the ptrace driver). Exits 0 when every action
// behaved as the file says, 1 otherwise, 2 on bad usage.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "matcher.hpp"

namespace rtsec::conformance {
namespace {

// Symbolic names an action may use for an integer argument.
const std::map<std::string, int64_t, std::less<>> kNames = {
    {"AT_FDCWD", AT_FDCWD},
    {"O_RDONLY", O_RDONLY},
    {"O_WRONLY", O_WRONLY},
    {"O_RDWR", O_RDWR},
    {"O_CREAT", O_CREAT},
    {"O_EXCL", O_EXCL},
    {"O_TRUNC", O_TRUNC},
    {"O_APPEND", O_APPEND},
    {"O_NONBLOCK", O_NONBLOCK},
    {"O_DIRECTORY", O_DIRECTORY},
    {"O_CLOEXEC", O_CLOEXEC},
    {"MFD_CLOEXEC", MFD_CLOEXEC},
    {"MFD_ALLOW_SEALING", MFD_ALLOW_SEALING},
    {"AF_INET", AF_INET},
    {"AF_UNIX", AF_UNIX},
    {"SOCK_STREAM", SOCK_STREAM},
    {"SOCK_DGRAM", SOCK_DGRAM},
    {"SOCK_CLOEXEC", SOCK_CLOEXEC},
    {"SOCK_NONBLOCK", SOCK_NONBLOCK},
    {"PTRACE_TRACEME", PTRACE_TRACEME},
};

// The raw syscall's result: the return value, or -errno.
long sys_result(long r) { return r == -1 ? -errno : r; }

std::string errno_text(long res) {
  if (res >= 0) return std::to_string(res);
  const char* name = strerrorname_np(static_cast<int>(-res));
  return std::to_string(res) + " (" + (name ? name : "?") + ")";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Major/minor as the ABI's wire dev_t (major << 20 | minor).
uint64_t kernel_dev(dev_t dev) { return (uint64_t{major(dev)} << 20) | minor(dev); }

// A step failed: thrown inside one step, caught by the step loop.
struct ActionError {
  std::string message;
};

class Workload {
 public:
  explicit Workload(Json spec) : spec_(std::move(spec)) {}

  // Host values, the run's directory and its paths; false (and an error in
  // the report) if any is missing.
  bool prepare();
  void run_steps();
  void cleanup();
  Status write_report(const std::string& path) const;
  bool ok() const { return errors_.empty(); }

 private:
  void prepare_values();
  void run_actions(const Json& actions, const std::string& where);
  void run_action(const Json& raw);
  void run_child(const Json& action, const std::string& op);
  // Checks res against the action's `errno` (or success) and saves outputs.
  void finish(const Json& action, const std::string& op, long res, const Json& outputs);

  Json value(const Json& pattern) const;
  int64_t int_arg(const Json& action, const char* key) const;
  std::string str_arg(const Json& action, const char* key) const;
  sockaddr_in addr_arg(const Json& action, const char* key) const;

  Json spec_;
  Json values_ = Json::object();
  std::vector<std::string> errors_;
  std::string tmp_;
  bool in_child_ = false;
};

Json Workload::value(const Json& pattern) const {
  auto v = substitute(pattern, values_);
  if (!v) throw ActionError{v.error().message};
  return *v;
}

int64_t Workload::int_arg(const Json& action, const char* key) const {
  if (!action.contains(key)) throw ActionError{std::string("missing argument `") + key + "`"};
  const Json& v = action[key];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (!v.is_string()) throw ActionError{std::string("`") + key + "` must be an integer"};
  const std::string s = v.get<std::string>();
  // "0600": an octal mode, as the file writes modes.
  if (s.size() > 1 && s[0] == '0' && s.find_first_not_of("01234567") == std::string::npos) {
    return std::stoll(s, nullptr, 8);
  }
  int64_t out = 0;
  std::stringstream names(s);
  for (std::string name; std::getline(names, name, '|');) {
    auto it = kNames.find(name);
    if (it == kNames.end()) {
      throw ActionError{"unknown name " + name + " in `" + key + "`: add it to kNames"};
    }
    out |= it->second;
  }
  return out;
}

std::string Workload::str_arg(const Json& action, const char* key) const {
  if (!action.contains(key) || !action[key].is_string()) {
    throw ActionError{std::string("missing string argument `") + key + "`"};
  }
  return action[key].get<std::string>();
}

sockaddr_in Workload::addr_arg(const Json& action, const char* key) const {
  std::string s = str_arg(action, key);
  size_t colon = s.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (colon == std::string::npos ||
      inet_pton(AF_INET, s.substr(0, colon).c_str(), &sa.sin_addr) != 1) {
    throw ActionError{"`" + std::string(key) + "` must be IPv4 \"a.b.c.d:port\", not " + s};
  }
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(s.substr(colon + 1))));
  return sa;
}

bool Workload::prepare() {
  try {
    prepare_values();
    return true;
  } catch (const ActionError& e) {
    std::cerr << "rtsec-conformance-workload: " << e.message << "\n";
    errors_.push_back("prepare: " + e.message);
  } catch (const std::exception& e) {  // a malformed /proc file or value in the spec
    std::cerr << "rtsec-conformance-workload: " << e.what() << "\n";
    errors_.push_back(std::string("prepare: ") + e.what());
  }
  return false;
}

void Workload::prepare_values() {
  values_["pid.main"] = syscall(SYS_getpid);
  values_["ppid.main"] = getppid();
  values_["uid"] = getuid();
  values_["gid"] = getgid();
  values_["euid"] = geteuid();
  // 4294967295 when unset; absent without audit support (then any
  // expectation on it fails naming the placeholder).
  std::string loginuid = read_file("/proc/self/loginuid");
  if (!loginuid.empty()) values_["loginuid"] = std::stoull(loginuid);
  char comm[17] = {};
  prctl(PR_GET_NAME, comm);
  values_["comm.main"] = comm;
  values_["cwd"] = std::filesystem::current_path().string();

  // The cgroup the ABI reports: the cpuset hierarchy's path on a v1 or hybrid
  // host, else the unified ("0::") one.
  std::stringstream cgroups(read_file("/proc/self/cgroup"));
  std::string unified, cpuset;
  for (std::string line; std::getline(cgroups, line);) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = "," + line.substr(a + 1, b - a - 1) + ",";
    if (line.starts_with("0::")) unified = line.substr(b + 1);
    if (controllers.find(",cpuset,") != std::string::npos) cpuset = line.substr(b + 1);
  }
  values_["cgroup"] = cpuset.empty() ? unified : cpuset;

  // tty_nr, field 7 of /proc/self/stat (after the parenthesised comm), is in
  // the st_dev encoding; 0 without a controlling tty.
  std::string stat = read_file("/proc/self/stat");
  std::stringstream rest(stat.substr(stat.rfind(')') + 1));
  std::string field;
  for (int i = 0; i < 5; ++i) rest >> field;
  auto tty = static_cast<dev_t>(std::stoull(field));
  values_["tty"] = kernel_dev(tty);
  values_["tty.st"] = static_cast<uint64_t>(tty);

  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/rtsec-conformance-XXXXXX";
  if (!mkdtemp(templ.data())) {
    throw ActionError{"mkdtemp " + templ + ": " + std::strerror(errno)};
  }
  tmp_ = templ;
  values_["tmp"] = tmp_;
  const Json paths = spec_.value("paths", Json::object());
  for (const auto& [name, pattern] : paths.items()) values_[name] = value(pattern);
  const Json realpaths = spec_.value("realpaths", Json::object());
  for (const auto& [name, pattern] : realpaths.items()) {
    std::string path = value(pattern).get<std::string>();
    char resolved[PATH_MAX];
    if (!realpath(path.c_str(), resolved)) {
      throw ActionError{"realpath " + path + ": " + std::strerror(errno)};
    }
    values_[name] = resolved;
  }
}

void Workload::run_steps() {
  const Json steps = spec_.value("steps", Json::array());
  for (size_t i = 0; i < steps.size(); ++i) {
    const Json& step = steps[i];
    std::string where = "step #" + std::to_string(i + 1) + " '" + step.value("name", "") + "'";
    if (step.contains("do")) run_actions(step["do"], where);
  }
}

// Runs a `do` list; the first failing action ends the list (later ones would
// use what it failed to make).
void Workload::run_actions(const Json& actions, const std::string& where) {
  if (!actions.is_array()) {
    errors_.push_back(where + ": `do` must be a list");
    return;
  }
  for (size_t i = 0; i < actions.size(); ++i) {
    std::string why;
    try {
      run_action(actions[i]);
    } catch (const ActionError& e) {
      why = e.message;
    } catch (const std::exception& e) {  // a malformed argument (stoi, a JSON type)
      why = e.what();
    }
    if (!why.empty()) {
      std::string msg = where + ", action #" + std::to_string(i + 1) + " (" +
                        (actions[i].is_object() ? actions[i].value("op", "?") : "?") + "): " + why;
      std::cerr << "rtsec-conformance-workload: " << msg << "\n";
      errors_.push_back(std::move(msg));
      return;
    }
  }
}

void Workload::finish(const Json& action, const std::string& op, long res, const Json& outputs) {
  if (action.contains("errno")) {
    std::string want = action["errno"].get<std::string>();
    const char* got = res < 0 ? strerrorname_np(static_cast<int>(-res)) : nullptr;
    if (!got || want != got) {
      throw ActionError{op + " returned " + errno_text(res) + ", expected failure with " + want};
    }
  } else if (res < 0) {
    throw ActionError{op + " failed: " + errno_text(res)};
  }
  const Json save = action.value("save", Json::object());
  for (const auto& [key, name] : save.items()) {
    if (!outputs.contains(key)) {
      throw ActionError{op + " has no output `" + key + "` to save"};
    }
    // A dev is saved as the ABI's wire dev_t, and as stat(2) has it under ".st".
    if (key == "dev") {
      auto st_dev = static_cast<dev_t>(outputs[key].get<uint64_t>());
      values_[name.get<std::string>()] = kernel_dev(st_dev);
      values_[name.get<std::string>() + ".st"] = outputs[key];
    } else {
      values_[name.get<std::string>()] = outputs[key];
    }
  }
}

void Workload::run_action(const Json& raw) {
  if (!raw.is_object() || !raw.contains("op")) throw ActionError{"an action needs an `op`"};
  const std::string op = raw["op"].get<std::string>();
  if (op == "clone" || op == "fork") return run_child(raw, op);
  const Json a = value(raw);
  Json out = Json::object();
  long r = 0;
  if (op == "openat") {
    std::string path = str_arg(a, "path");
    r = sys_result(syscall(SYS_openat, int_arg(a, "dirfd"), path.c_str(), int_arg(a, "flags"),
                           int_arg(a, "mode")));
    if (r >= 0) {
      struct stat st {};
      if (sys_result(syscall(SYS_fstat, r, &st)) < 0) throw ActionError{"fstat failed"};
      out = {{"fd", r}, {"dev", static_cast<uint64_t>(st.st_dev)}, {"ino", st.st_ino}};
    }
  } else if (op == "write") {
    std::string data = str_arg(a, "data");
    r = sys_result(syscall(SYS_write, int_arg(a, "fd"), data.data(), data.size()));
    if (r >= 0 && static_cast<size_t>(r) != data.size()) {
      throw ActionError{"short write: " + std::to_string(r) + " of " + std::to_string(data.size())};
    }
  } else if (op == "close") {
    r = sys_result(syscall(SYS_close, int_arg(a, "fd")));
  } else if (op == "dup2") {
    r = sys_result(syscall(SYS_dup2, int_arg(a, "oldfd"), int_arg(a, "newfd")));
    out = {{"fd", r}};
  } else if (op == "fchmodat") {
    std::string path = str_arg(a, "path");
    r = sys_result(syscall(SYS_fchmodat, int_arg(a, "dirfd"), path.c_str(), int_arg(a, "mode")));
  } else if (op == "rename") {
    std::string from = str_arg(a, "oldpath"), to = str_arg(a, "newpath");
    r = sys_result(syscall(SYS_rename, from.c_str(), to.c_str()));
  } else if (op == "unlink") {
    std::string path = str_arg(a, "path");
    r = sys_result(syscall(SYS_unlink, path.c_str()));
  } else if (op == "mkdirat") {
    std::string path = str_arg(a, "path");
    r = sys_result(syscall(SYS_mkdirat, int_arg(a, "dirfd"), path.c_str(), int_arg(a, "mode")));
  } else if (op == "rmdir") {
    std::string path = str_arg(a, "path");
    r = sys_result(syscall(SYS_rmdir, path.c_str()));
  } else if (op == "symlinkat") {
    std::string target = str_arg(a, "target"), link = str_arg(a, "linkpath");
    r = sys_result(syscall(SYS_symlinkat, target.c_str(), int_arg(a, "dirfd"), link.c_str()));
  } else if (op == "pipe2") {
    int fds[2] = {-1, -1};
    r = sys_result(syscall(SYS_pipe2, fds, int_arg(a, "flags")));
    out = {{"read", fds[0]}, {"write", fds[1]}};
  } else if (op == "memfd_create") {
    std::string name = str_arg(a, "name");
    r = sys_result(syscall(SYS_memfd_create, name.c_str(), int_arg(a, "flags")));
    out = {{"fd", r}};
  } else if (op == "socket") {
    r = sys_result(
        syscall(SYS_socket, int_arg(a, "domain"), int_arg(a, "type"), int_arg(a, "proto")));
    out = {{"fd", r}};
  } else if (op == "bind" || op == "connect") {
    sockaddr_in sa = addr_arg(a, "addr");
    int64_t fd = int_arg(a, "fd");
    r = sys_result(syscall(op == "bind" ? SYS_bind : SYS_connect, fd, &sa, sizeof sa));
    // The local port it got: the listening port after bind to :0, the
    // client's ephemeral port after connect.
    sockaddr_in local{};
    socklen_t len = sizeof local;
    if (r == 0 && sys_result(syscall(SYS_getsockname, fd, &local, &len)) == 0) {
      out = {{"port", ntohs(local.sin_port)}};
    }
  } else if (op == "listen") {
    r = sys_result(syscall(SYS_listen, int_arg(a, "fd"), int_arg(a, "backlog")));
  } else if (op == "accept4") {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    r = sys_result(syscall(SYS_accept4, int_arg(a, "fd"), &peer, &len, int_arg(a, "flags")));
    out = {{"fd", r}, {"port", ntohs(peer.sin_port)}};
  } else if (op == "execve") {
    std::string path = str_arg(a, "path");
    std::vector<std::string> args = a.value("argv", std::vector<std::string>{});
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    char* envp[] = {nullptr};
    r = sys_result(syscall(SYS_execve, path.c_str(), argv.data(), envp));
    // Only a failed exec returns here.
    if (!a.contains("errno")) throw ActionError{"execve " + path + " failed: " + errno_text(r)};
  } else if (op == "ptrace") {
    r = sys_result(syscall(SYS_ptrace, int_arg(a, "request"), int_arg(a, "pid"), int_arg(a, "addr"),
                           int_arg(a, "data")));
  } else {
    throw ActionError{"unknown op `" + op + "`"};
  }
  finish(a, op, r, out);
}

// clone/fork: the child runs the nested `do` list and leaves with
// exit_group(0) (1 if an action failed) unless it exec'd; the parent waits and
// requires exit status 0.
void Workload::run_child(const Json& raw, const std::string& op) {
  if (in_child_) throw ActionError{"nested children are not supported"};
  std::string child = str_arg(raw, "child");
  // fork-like clone: a new process with SIGCHLD as its exit signal, no stack
  // of its own (it continues on a copy of ours).
  long pid = op == "clone" ? syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) : syscall(SYS_fork);
  if (pid == 0) {
    in_child_ = true;
    values_["pid." + child] = syscall(SYS_getpid);
    size_t before = errors_.size();
    run_actions(raw.value("do", Json::array()), "child " + child);
    syscall(SYS_exit_group, errors_.size() == before ? 0 : 1);
  }
  if (pid < 0) throw ActionError{op + " failed: " + errno_text(sys_result(pid))};
  values_["pid." + child] = pid;
  int status = 0;
  long w = sys_result(syscall(SYS_wait4, pid, &status, 0, nullptr));
  if (w != pid) throw ActionError{"wait4 for child " + child + ": " + errno_text(w)};
  values_["status." + child] = status;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string how = WIFEXITED(status)
                          ? "exited with " + std::to_string(WEXITSTATUS(status))
                          : "was killed by signal " + std::to_string(WTERMSIG(status));
    throw ActionError{"child " + child + " " + how};
  }
  // The parent's own save (pid under another name, say) goes through finish.
  finish(raw, op, pid, {{"pid", pid}});
}

void Workload::cleanup() {
  if (tmp_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(tmp_, ec);
}

Status Workload::write_report(const std::string& path) const {
  Json report = {{"values", values_}, {"errors", errors_}};
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << report.dump(2) << "\n";
    if (!out) return make_error("cannot write " + tmp + ": " + std::strerror(errno), errno);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return make_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno), errno);
  }
  return Ok{};
}

}  // namespace
}  // namespace rtsec::conformance

int main(int argc, char** argv) {
  using namespace rtsec::conformance;
  if (argc != 3) {
    std::cerr << "usage: rtsec-conformance-workload CONFORMANCE.yaml REPORT.json\n";
    return 2;
  }
  auto spec = load_yaml_file(argv[1]);
  if (!spec) {
    std::cerr << "rtsec-conformance-workload: " << spec.error().message << "\n";
    return 2;
  }
  Workload w(std::move(*spec));
  if (w.prepare()) w.run_steps();
  w.cleanup();
  if (auto st = w.write_report(argv[2]); !st) {
    std::cerr << "rtsec-conformance-workload: " << st.error().message << "\n";
    return 1;
  }
  return w.ok() ? 0 : 1;
}
