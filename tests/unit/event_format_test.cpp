// SPDX-License-Identifier: Apache-2.0
// Symbolic names, sockaddrs, and the text and JSON forms of parameters (the JSON form is a
// contract other components parse).
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "rtsec/decoder.hpp"
#include "rtsec/event_builder.hpp"
#include "rtsec/event_format.hpp"

namespace rtsec {
namespace {

using Bytes = std::vector<std::byte>;

template <typename T>
Bytes bytes_of(const T& value, size_t size = sizeof(T)) {
  Bytes out(size);
  std::memcpy(out.data(), &value, std::min(size, sizeof(T)));
  return out;
}

// An event built and decoded, for looking its parameters up by name.
class Event {
 public:
  explicit Event(const EventBuilder& b) {
    auto bytes = b.build();
    if (!bytes.ok()) throw std::runtime_error(bytes.error().message);
    bytes_ = std::move(bytes).value();
    auto ev = decode_event(bytes_);
    if (!ev.ok()) throw std::runtime_error(ev.error().message);
    ev_ = std::make_unique<DecodedEvent>(std::move(ev).value());
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  const DecodedEvent& decoded() const { return *ev_; }
  std::string text(std::string_view name) const { return format_param_text(*ev_, index(name)); }
  std::string json(std::string_view name) const { return format_param_json(*ev_, index(name)); }

 private:
  size_t index(std::string_view name) const {
    const int i = ev_->index_of(name);
    if (i < 0) throw std::runtime_error("no parameter " + std::string(name));
    return static_cast<size_t>(i);
  }
  Bytes bytes_;
  std::unique_ptr<DecodedEvent> ev_;
};

// ---- flags and enums --------------------------------------------------------------------------

TEST(FormatFlags, OpenFlagsShowTheAccessModeFirst) {
  EXPECT_EQ(format_flags(RTSEC_PF_OPEN_FLAGS, O_RDONLY), "O_RDONLY");
  EXPECT_EQ(format_flags(RTSEC_PF_OPEN_FLAGS, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC),
            "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC");
  EXPECT_EQ(format_flags(RTSEC_PF_OPEN_FLAGS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_PATH),
            "O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_PATH");
  EXPECT_EQ(format_flags(RTSEC_PF_OPEN_FLAGS, O_RDWR | O_EXCL | O_NOCTTY | O_APPEND | O_NONBLOCK |
                                                  O_ASYNC | O_DIRECT | O_NOATIME),
            "O_RDWR|O_EXCL|O_NOCTTY|O_APPEND|O_NONBLOCK|O_ASYNC|O_DIRECT|O_NOATIME");
}

TEST(FormatFlags, OpenFlagGroupsHideTheFlagsTheyContain) {
  EXPECT_EQ(format_flags(RTSEC_PF_OPEN_FLAGS, O_RDWR | O_SYNC), "O_RDWR|O_SYNC");
  EXPECT_EQ(format_flags(RTSEC_PF_OPEN_FLAGS, O_DSYNC), "O_RDONLY|O_DSYNC");
  EXPECT_EQ(format_flags(RTSEC_PF_OPEN_FLAGS, O_RDWR | O_TMPFILE), "O_RDWR|O_TMPFILE");
  EXPECT_EQ(format_flags(RTSEC_PF_OPEN_FLAGS, O_DIRECTORY), "O_RDONLY|O_DIRECTORY");
}

TEST(FormatFlags, OpenFlagsUseTheKernelsValues) {
  // glibc's O_LARGEFILE is 0 on x86-64; the kernel's (what an argument carries) is 0100000.
  EXPECT_EQ(format_flags(RTSEC_PF_OPEN_FLAGS, 0100000), "O_RDONLY|O_LARGEFILE");
}

TEST(FormatFlags, UnknownBitsBecomeAHexRemainder) {
  EXPECT_EQ(format_flags(RTSEC_PF_OPEN_FLAGS, O_CREAT | 0x40000000), "O_RDONLY|O_CREAT|0x40000000");
  EXPECT_EQ(format_flags(RTSEC_PF_OPEN_FLAGS, O_ACCMODE), "0x3");  // no such access mode
  EXPECT_EQ(format_flags(RTSEC_PF_AT_FLAGS, 0x1), "0x1");
  EXPECT_EQ(format_flags(RTSEC_PF_CLONE_FLAGS, uint64_t{1} << 40), "0x10000000000");
}

TEST(FormatFlags, AtFlags) {
  EXPECT_EQ(format_flags(RTSEC_PF_AT_FLAGS, 0), "0");
  EXPECT_EQ(format_flags(RTSEC_PF_AT_FLAGS, AT_REMOVEDIR), "AT_REMOVEDIR");
  EXPECT_EQ(format_flags(RTSEC_PF_AT_FLAGS, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW),
            "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH");
}

TEST(FormatFlags, CloneFlagsCarryTheExitSignalLast) {
  EXPECT_EQ(format_flags(RTSEC_PF_CLONE_FLAGS, CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD),
            "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
  EXPECT_EQ(format_flags(RTSEC_PF_CLONE_FLAGS, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                                   CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS),
            "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|"
            "CLONE_SETTLS");
  EXPECT_EQ(format_flags(RTSEC_PF_CLONE_FLAGS, CLONE_NEWNS | CLONE_NEWTIME | CLONE_NEWUSER),
            "CLONE_NEWNS|CLONE_NEWUSER|CLONE_NEWTIME");
  // CLONE_INTO_CGROUP (clone3 only) is in <linux/sched.h>, which clashes with <sched.h>
  EXPECT_EQ(format_flags(RTSEC_PF_CLONE_FLAGS, 0x200000000), "CLONE_INTO_CGROUP");
  EXPECT_EQ(format_flags(RTSEC_PF_CLONE_FLAGS, 0), "0");
  EXPECT_EQ(format_flags(RTSEC_PF_CLONE_FLAGS, CLONE_VM | 100), "CLONE_VM|0x64");  // no signal 100
}

TEST(FormatFlags, MemoryProtectionAndMapping) {
  EXPECT_EQ(format_flags(RTSEC_PF_PROT_FLAGS, PROT_NONE), "PROT_NONE");
  EXPECT_EQ(format_flags(RTSEC_PF_PROT_FLAGS, PROT_READ | PROT_EXEC), "PROT_READ|PROT_EXEC");
  EXPECT_EQ(format_flags(RTSEC_PF_MMAP_FLAGS, MAP_PRIVATE | MAP_ANONYMOUS),
            "MAP_PRIVATE|MAP_ANONYMOUS");
  EXPECT_EQ(format_flags(RTSEC_PF_MMAP_FLAGS, MAP_SHARED_VALIDATE | MAP_SYNC),
            "MAP_SHARED_VALIDATE|MAP_SYNC");
  EXPECT_EQ(format_flags(RTSEC_PF_MMAP_FLAGS, MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_POPULATE),
            "MAP_SHARED|MAP_POPULATE|MAP_FIXED_NOREPLACE");
  EXPECT_EQ(format_flags(RTSEC_PF_MMAP_FLAGS, MAP_PRIVATE | MAP_HUGETLB | 21 << MAP_HUGE_SHIFT),
            "MAP_PRIVATE|MAP_HUGETLB|0x54000000");
}

TEST(FormatFlags, SocketFamiliesAndTypes) {
  EXPECT_EQ(format_flags(RTSEC_PF_SOCK_FAMILY, AF_UNSPEC), "AF_UNSPEC");
  EXPECT_EQ(format_flags(RTSEC_PF_SOCK_FAMILY, AF_UNIX), "AF_UNIX");
  EXPECT_EQ(format_flags(RTSEC_PF_SOCK_FAMILY, AF_INET6), "AF_INET6");
  EXPECT_EQ(format_flags(RTSEC_PF_SOCK_FAMILY, AF_NETLINK), "AF_NETLINK");
  EXPECT_EQ(format_flags(RTSEC_PF_SOCK_FAMILY, 9999), "9999");
  EXPECT_EQ(format_flags(RTSEC_PF_SOCK_TYPE, SOCK_STREAM), "SOCK_STREAM");
  EXPECT_EQ(format_flags(RTSEC_PF_SOCK_TYPE, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK),
            "SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC");
  EXPECT_EQ(format_flags(RTSEC_PF_SOCK_TYPE, SOCK_CLOEXEC), "SOCK_CLOEXEC");  // accept4
  EXPECT_EQ(format_flags(RTSEC_PF_SOCK_TYPE, 0), "0");
  EXPECT_EQ(format_flags(RTSEC_PF_SOCK_TYPE, 0xf | SOCK_CLOEXEC), "SOCK_CLOEXEC|0xf");
}

TEST(FormatFlags, Enumerations) {
  EXPECT_EQ(format_flags(RTSEC_PF_PTRACE_REQ, PTRACE_TRACEME), "PTRACE_TRACEME");
  EXPECT_EQ(format_flags(RTSEC_PF_PTRACE_REQ, PTRACE_POKEDATA), "PTRACE_POKEDATA");
  EXPECT_EQ(format_flags(RTSEC_PF_PTRACE_REQ, PTRACE_SEIZE), "PTRACE_SEIZE");
  EXPECT_EQ(format_flags(RTSEC_PF_PTRACE_REQ, 12345), "12345");
  EXPECT_EQ(format_flags(RTSEC_PF_FCNTL_CMD, F_DUPFD), "F_DUPFD");
  EXPECT_EQ(format_flags(RTSEC_PF_FCNTL_CMD, F_DUPFD_CLOEXEC), "F_DUPFD_CLOEXEC");
  EXPECT_EQ(format_flags(RTSEC_PF_FCNTL_CMD, F_ADD_SEALS), "F_ADD_SEALS");
  EXPECT_EQ(format_flags(RTSEC_PF_PRCTL_OPT, PR_SET_NO_NEW_PRIVS), "PR_SET_NO_NEW_PRIVS");
  EXPECT_EQ(format_flags(RTSEC_PF_PRCTL_OPT, PR_SET_NAME), "PR_SET_NAME");
  EXPECT_EQ(format_flags(RTSEC_PF_PRCTL_OPT, PR_CAP_AMBIENT), "PR_CAP_AMBIENT");
  EXPECT_EQ(format_flags(RTSEC_PF_BPF_CMD, BPF_MAP_CREATE), "BPF_MAP_CREATE");
  EXPECT_EQ(format_flags(RTSEC_PF_BPF_CMD, BPF_PROG_LOAD), "BPF_PROG_LOAD");
  EXPECT_EQ(format_flags(RTSEC_PF_BPF_CMD, BPF_LINK_CREATE), "BPF_LINK_CREATE");
}

TEST(FormatFlags, Signals) {
  EXPECT_EQ(format_flags(RTSEC_PF_SIGNAL, SIGKILL), "SIGKILL");
  EXPECT_EQ(format_flags(RTSEC_PF_SIGNAL, SIGCHLD), "SIGCHLD");
  EXPECT_EQ(format_flags(RTSEC_PF_SIGNAL, SIGSYS), "SIGSYS");
  EXPECT_EQ(format_flags(RTSEC_PF_SIGNAL, 0), "0");  // kill(pid, 0): an existence check
  EXPECT_EQ(format_flags(RTSEC_PF_SIGNAL, SIGRTMIN), "SIGRT_2");  // glibc keeps 32 and 33
  EXPECT_EQ(format_flags(RTSEC_PF_SIGNAL, SIGRTMAX), "SIGRT_32");
  EXPECT_EQ(format_flags(RTSEC_PF_SIGNAL, 65), "65");
}

TEST(FormatFlags, RenameMountUmountMemfd) {
  EXPECT_EQ(format_flags(RTSEC_PF_RENAME_FLAGS, RENAME_NOREPLACE | RENAME_WHITEOUT),
            "RENAME_NOREPLACE|RENAME_WHITEOUT");
  EXPECT_EQ(format_flags(RTSEC_PF_RENAME_FLAGS, RENAME_EXCHANGE), "RENAME_EXCHANGE");
  EXPECT_EQ(format_flags(RTSEC_PF_MOUNT_FLAGS, MS_BIND | MS_REC), "MS_BIND|MS_REC");
  EXPECT_EQ(format_flags(RTSEC_PF_MOUNT_FLAGS, MS_REMOUNT | MS_RDONLY | MS_NOSUID),
            "MS_RDONLY|MS_NOSUID|MS_REMOUNT");
  EXPECT_EQ(format_flags(RTSEC_PF_MOUNT_FLAGS, MS_PRIVATE | MS_REC), "MS_REC|MS_PRIVATE");
  // The old magic: the kernel ignores the high bits, so do the names.
  EXPECT_EQ(format_flags(RTSEC_PF_MOUNT_FLAGS, MS_MGC_VAL | MS_RDONLY), "MS_MGC_VAL|MS_RDONLY");
  EXPECT_EQ(format_flags(RTSEC_PF_UMOUNT_FLAGS, MNT_DETACH), "MNT_DETACH");
  EXPECT_EQ(format_flags(RTSEC_PF_UMOUNT_FLAGS, MNT_FORCE | UMOUNT_NOFOLLOW),
            "MNT_FORCE|UMOUNT_NOFOLLOW");
  EXPECT_EQ(format_flags(RTSEC_PF_MEMFD_FLAGS, MFD_CLOEXEC | MFD_ALLOW_SEALING),
            "MFD_CLOEXEC|MFD_ALLOW_SEALING");
  EXPECT_EQ(format_flags(RTSEC_PF_MEMFD_FLAGS, 0), "0");
}

// The wait(2) status of a real child, as the kernel builds it.
int status_of_child(void (*body)()) {
  const pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(99);
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return status;
}

TEST(FormatFlags, ExitStatus) {
  EXPECT_EQ(format_flags(RTSEC_PF_EXIT_STATUS, status_of_child([] { _exit(3); })), "exit 3");
  EXPECT_EQ(format_flags(RTSEC_PF_EXIT_STATUS, status_of_child([] { raise(SIGKILL); })),
            "signal 9 (SIGKILL)");
  EXPECT_EQ(format_flags(RTSEC_PF_EXIT_STATUS, SIGSEGV | WCOREFLAG), "signal 11 (SIGSEGV) core");
  EXPECT_EQ(format_flags(RTSEC_PF_EXIT_STATUS, 0), "exit 0");
  EXPECT_EQ(format_flags(RTSEC_PF_EXIT_STATUS, 100), "signal 100");
  EXPECT_EQ(format_flags(RTSEC_PF_EXIT_STATUS, 0x137f), "4991");  // a stop, not an exit
}

TEST(FormatFlags, NumericFormats) {
  EXPECT_EQ(format_flags(RTSEC_PF_DEC, 31), "31");
  EXPECT_EQ(format_flags(RTSEC_PF_HEX, 31), "0x1f");
  EXPECT_EQ(format_flags(RTSEC_PF_OCT, 0644), "0644");
}

// Every flags/enum format of event.h has names behind it.
TEST(FormatFlags, EveryFormatHasATable) {
  std::vector<uint64_t> candidates;  // small enum values, then every single bit
  for (uint64_t v = 0; v <= 64; ++v) candidates.push_back(v);
  for (int bit = 0; bit < 64; ++bit) candidates.push_back(uint64_t{1} << bit);
  for (int fmt = RTSEC_PF_FLAGS_FIRST; fmt < RTSEC_PF_MAX; ++fmt) {
    const bool named = std::any_of(candidates.begin(), candidates.end(), [&](uint64_t v) {
      const std::string s = format_flags(static_cast<uint8_t>(fmt), v);
      return s != std::to_string(v) && s.rfind("0x", 0) != 0;
    });
    EXPECT_TRUE(named) << "format " << fmt << " has no names";
  }
}

// ---- errno ----------------------------------------------------------------------------------

TEST(ErrnoName, NamesEveryErrnoOfTheCLibrary) {
  EXPECT_EQ(errno_name(ENOENT), "ENOENT");
  EXPECT_EQ(errno_name(EAGAIN), "EAGAIN");
  EXPECT_EQ(errno_name(EHWPOISON), "EHWPOISON");
  EXPECT_EQ(errno_name(0), "");
  EXPECT_EQ(errno_name(-2), "");
  EXPECT_EQ(errno_name(9999), "");
  for (int e = 1; e < 4096; ++e) {
    const char* libc = strerrorname_np(e);
    if (libc != nullptr) {
      EXPECT_EQ(errno_name(e), libc) << e;
    }
  }
}

TEST(ErrnoName, NamesTheRestartCodesASysExitHookSees) {
  EXPECT_EQ(errno_name(512), "ERESTARTSYS");
  EXPECT_EQ(errno_name(516), "ERESTART_RESTARTBLOCK");
}

// ---- sockaddr -------------------------------------------------------------------------------

Bytes inet(const char* ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, ip, &sa.sin_addr);
  return bytes_of(sa);
}

Bytes inet6(const char* ip, uint16_t port, uint32_t scope = 0) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  sa.sin6_scope_id = scope;
  inet_pton(AF_INET6, ip, &sa.sin6_addr);
  return bytes_of(sa);
}

// A sockaddr_un as a process passes it: the length ends where the name does.
Bytes unix_addr(std::string_view path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), path.size());
  return bytes_of(sa, offsetof(sockaddr_un, sun_path) + path.size());
}

TEST(FormatSockaddr, Inet) {
  EXPECT_EQ(format_sockaddr(inet("1.2.3.4", 80)), "1.2.3.4:80");
  EXPECT_EQ(format_sockaddr(inet("0.0.0.0", 0)), "0.0.0.0:0");
  Bytes no_padding = inet("10.0.0.1", 53);
  no_padding.resize(offsetof(sockaddr_in, sin_zero));
  EXPECT_EQ(format_sockaddr(no_padding), "10.0.0.1:53");
}

TEST(FormatSockaddr, Inet6) {
  EXPECT_EQ(format_sockaddr(inet6("::1", 443)), "[::1]:443");
  EXPECT_EQ(format_sockaddr(inet6("2001:db8::8", 8080)), "[2001:db8::8]:8080");
  EXPECT_EQ(format_sockaddr(inet6("fe80::1", 22, 2)), "[fe80::1%2]:22");
  EXPECT_EQ(format_sockaddr(inet6("::ffff:1.2.3.4", 1)), "[::ffff:1.2.3.4]:1");
}

TEST(FormatSockaddr, Unix) {
  EXPECT_EQ(format_sockaddr(unix_addr("/run/x.sock")), "/run/x.sock");
  EXPECT_EQ(format_sockaddr(unix_addr(std::string_view("/run/y\0junk", 11))), "/run/y");
  EXPECT_EQ(format_sockaddr(unix_addr(std::string_view("\0name", 5))), "@name");
  EXPECT_EQ(format_sockaddr(unix_addr(std::string_view("\0a\0b", 4))), "@a@b");
  EXPECT_EQ(format_sockaddr(unix_addr("")), "");  // unnamed
}

TEST(FormatSockaddr, OtherFamiliesShowTheirName) {
  EXPECT_EQ(format_sockaddr(bytes_of(sa_family_t{AF_NETLINK}, 12)), "AF_NETLINK");
  EXPECT_EQ(format_sockaddr(bytes_of(sa_family_t{200}, 16)), "AF_200");
}

// Exact-size heap copies, so a sanitizer build catches any read past them.
TEST(FormatSockaddr, TruncatedInputIsNotOverread) {
  EXPECT_EQ(format_sockaddr({}), "");
  EXPECT_EQ(format_sockaddr(Bytes{std::byte{AF_INET}}), "");
  for (size_t n = 2; n < offsetof(sockaddr_in, sin_zero); ++n) {
    Bytes cut = inet("1.2.3.4", 80);
    cut.resize(n);
    EXPECT_EQ(format_sockaddr(cut), "AF_INET") << n;
  }
  for (size_t n = 2; n < offsetof(sockaddr_in6, sin6_scope_id); ++n) {
    Bytes cut = inet6("::1", 443);
    cut.resize(n);
    EXPECT_EQ(format_sockaddr(cut), "AF_INET6") << n;
  }
  Bytes no_scope = inet6("fe80::1", 22, 2);
  no_scope.resize(offsetof(sockaddr_in6, sin6_scope_id));
  EXPECT_EQ(format_sockaddr(no_scope), "[fe80::1]:22");
}

// ---- parameters as text and JSON --------------------------------------------------------------

Event openat(int64_t res, bool file_id) {
  EventBuilder b(RTSEC_EVT_OPENAT, 1, 2, 2);
  b.add_int(res).add_int(AT_FDCWD).add_string("/tmp/x").add_uint(O_WRONLY | O_CREAT).add_uint(0644);
  if (file_id)
    b.add_uint(0x800001).add_uint(42);  // dev 8:1 in the kernel encoding
  else
    b.add_empty().add_empty();
  return Event(b);
}

TEST(FormatParam, OpenatAsText) {
  const Event ok = openat(3, true);
  EXPECT_EQ(ok.text("fd"), "3");
  EXPECT_EQ(ok.text("dirfd"), "-100");
  EXPECT_EQ(ok.text("name"), "/tmp/x");
  EXPECT_EQ(ok.text("flags"), "O_WRONLY|O_CREAT");
  EXPECT_EQ(ok.text("mode"), "0644");
  EXPECT_EQ(ok.text("dev"), "8:1");
  EXPECT_EQ(ok.text("ino"), "42");
  const Event failed = openat(-ENOENT, false);
  EXPECT_EQ(failed.text("fd"), "-2");  // an fd is a number, even a negative one
  EXPECT_EQ(failed.text("dev"), "<NA>");
  EXPECT_EQ(format_param_text(failed.decoded(), 99), "<NA>");
}

TEST(FormatParam, OpenatAsJson) {
  const Event ok = openat(3, true);
  EXPECT_EQ(ok.json("fd"), "3");
  EXPECT_EQ(ok.json("dirfd"), "-100");
  EXPECT_EQ(ok.json("name"), "\"/tmp/x\"");
  EXPECT_EQ(ok.json("flags"), "\"O_WRONLY|O_CREAT\"");
  EXPECT_EQ(ok.json("mode"), "\"0644\"");
  EXPECT_EQ(ok.json("dev"), "2049");
  EXPECT_EQ(ok.json("ino"), "42");
  const Event failed = openat(-ENOENT, false);
  EXPECT_EQ(failed.json("dev"), "null");
  EXPECT_EQ(format_param_json(failed.decoded(), 99), "null");
}

TEST(FormatParam, ErrnoResults) {
  auto close = [](int64_t res) {
    return Event(EventBuilder(RTSEC_EVT_CLOSE, 1, 2, 2).add_int(res).add_int(3));
  };
  EXPECT_EQ(close(0).text("res"), "0");
  EXPECT_EQ(close(-EBADF).text("res"), "-9(EBADF)");
  EXPECT_EQ(close(-EBADF).json("res"), "-9");
  EXPECT_EQ(close(-4000).text("res"), "-4000");  // in the errno range, but unnamed
  EXPECT_EQ(close(-5000).text("res"), "-5000");  // not an errno
  EXPECT_EQ(close(-512).text("res"), "-512(ERESTARTSYS)");
}

TEST(FormatParam, MmapResultIsAnAddressOrAnErrno) {
  auto mmap = [](int64_t res) {
    return Event(EventBuilder(RTSEC_EVT_MMAP, 1, 2, 2)
                     .add_int(res)
                     .add_uint(0)
                     .add_uint(8192)
                     .add_uint(PROT_READ | PROT_WRITE)
                     .add_uint(MAP_PRIVATE | MAP_ANONYMOUS)
                     .add_int(-1)
                     .add_uint(0));
  };
  const Event ok = mmap(0x7f0000001000);
  EXPECT_EQ(ok.text("res"), "0x7f0000001000");
  EXPECT_EQ(ok.json("res"), "139637976731648");  // HEX is a number in JSON
  EXPECT_EQ(ok.text("addr"), "0x0");
  EXPECT_EQ(ok.json("addr"), "0");
  EXPECT_EQ(ok.text("prot"), "PROT_READ|PROT_WRITE");
  EXPECT_EQ(ok.json("flags"), "\"MAP_PRIVATE|MAP_ANONYMOUS\"");
  EXPECT_EQ(ok.text("fd"), "-1");
  EXPECT_EQ(mmap(-ENOMEM).text("res"), "-12(ENOMEM)");
}

Event execve() {
  return Event(EventBuilder(RTSEC_EVT_EXECVE, 1, 2, 2)
                   .add_int(0)
                   .add_string("/usr/bin/sh")
                   .add_strings({"sh", "-c", "echo \"hi\""})
                   .add_string("/root")
                   .add_uint(1000)
                   .add_uint(1000)
                   .add_uint(0)
                   .add_int(-1)
                   .add_uint(136u << 20)  // /dev/pts/0
                   .add_int(1)
                   .add_string("/docker/abc")
                   .add_string("sh")
                   .add_empty());
}

TEST(FormatParam, ExecveAsText) {
  const Event ev = execve();
  EXPECT_EQ(ev.text("exepath"), "/usr/bin/sh");
  EXPECT_EQ(ev.text("args"), "sh -c echo \"hi\"");
  EXPECT_EQ(ev.text("uid"), "1000");
  EXPECT_EQ(ev.text("loginuid"), "4294967295");
  EXPECT_EQ(ev.text("tty"), "136:0");
  EXPECT_EQ(ev.text("ppid"), "1");
  EXPECT_EQ(ev.text("cgroup"), "/docker/abc");
  EXPECT_EQ(ev.text("filename"), "<NA>");
}

TEST(FormatParam, ExecveAsJson) {
  const Event ev = execve();
  EXPECT_EQ(ev.json("exepath"), "\"/usr/bin/sh\"");
  EXPECT_EQ(ev.json("args"), R"(["sh","-c","echo \"hi\""])");
  EXPECT_EQ(ev.json("uid"), "1000");
  EXPECT_EQ(ev.json("gid"), "1000");
  EXPECT_EQ(ev.json("loginuid"), "4294967295");
  EXPECT_EQ(ev.json("tty"), "34816");
  EXPECT_EQ(ev.json("ppid"), "1");
  EXPECT_EQ(ev.json("comm"), "\"sh\"");
  EXPECT_EQ(ev.json("filename"), "null");
}

TEST(FormatParam, EmptyArgvStringsSurvive) {
  EventBuilder b(RTSEC_EVT_EXECVE, 1, 2, 2);
  b.add_int(0).add_string("/bin/x").add_strings({"x", "", "y"});
  for (size_t i = 3; i < event_info(RTSEC_EVT_EXECVE)->params.size(); ++i) b.add_empty();
  const Event ev(b);
  EXPECT_EQ(ev.text("args"), "x  y");
  EXPECT_EQ(ev.json("args"), R"(["x","","y"])");
}

TEST(FormatParam, SockaddrAndFdPair) {
  const Bytes addr = inet("127.0.0.1", 8080);
  const Event connect(
      EventBuilder(RTSEC_EVT_CONNECT, 1, 2, 2).add_int(0).add_int(5).add_bytes(addr));
  EXPECT_EQ(connect.text("addr"), "127.0.0.1:8080");
  EXPECT_EQ(connect.json("addr"), "\"127.0.0.1:8080\"");

  const Event pipe(EventBuilder(RTSEC_EVT_PIPE2, 1, 2, 2)
                       .add_int(0)
                       .add_fdpair(3, 4)
                       .add_uint(O_CLOEXEC | O_NONBLOCK));
  EXPECT_EQ(pipe.text("fds"), "3,4");
  EXPECT_EQ(pipe.json("fds"), "[3,4]");
  EXPECT_EQ(pipe.json("flags"), "\"O_RDONLY|O_NONBLOCK|O_CLOEXEC\"");
}

TEST(FormatParam, HexSignalsAndExitStatus) {
  const Event capset(EventBuilder(RTSEC_EVT_CAPSET, 1, 2, 2)
                         .add_int(0)
                         .add_uint(0x1f)
                         .add_uint(0xffffffff)
                         .add_uint(0));
  EXPECT_EQ(capset.text("cap_effective"), "0x1f");
  EXPECT_EQ(capset.json("cap_effective"), "31");
  EXPECT_EQ(capset.text("cap_permitted"), "0xffffffff");
  EXPECT_EQ(capset.text("cap_inheritable"), "0x0");

  const Event kill(
      EventBuilder(RTSEC_EVT_KILL, 1, 2, 2).add_int(0).add_int(1234).add_uint(SIGKILL));
  EXPECT_EQ(kill.text("sig"), "SIGKILL");
  EXPECT_EQ(kill.json("sig"), "\"SIGKILL\"");

  const Event exit(
      EventBuilder(RTSEC_EVT_PROCEXIT, 1, 2, 2).add_int(SIGSEGV | WCOREFLAG).add_string("crash"));
  EXPECT_EQ(exit.text("status"), "signal 11 (SIGSEGV) core");
  EXPECT_EQ(exit.json("status"), "139");  // EXIT_STATUS stays a number in JSON

  const Event listen(EventBuilder(RTSEC_EVT_LISTEN, 1, 2, 2).add_int(0).add_int(3).add_int(-1));
  EXPECT_EQ(listen.text("backlog"), "-1");
  EXPECT_EQ(listen.json("backlog"), "-1");

  const Event clone(EventBuilder(RTSEC_EVT_CLONE, 1, 2, 2)
                        .add_int(77)
                        .add_int(1)
                        .add_string("sh")
                        .add_uint(0)
                        .add_uint(0)
                        .add_uint(CLONE_NEWPID | SIGCHLD));
  EXPECT_EQ(clone.text("flags"), "CLONE_NEWPID|SIGCHLD");
  EXPECT_EQ(clone.json("flags"), "\"CLONE_NEWPID|SIGCHLD\"");
  EXPECT_EQ(clone.json("res"), "77");
}

// Every parameter of every event, put together as one JSON object per event, parses.
TEST(FormatParam, EveryEventMakesValidJson) {
  for (const EventInfo& e : all_events()) {
    EventBuilder b(e.id, 1, 2, 2);
    for (const ParamInfo& p : e.params) {
      switch (p.type) {
        case RTSEC_PT_PATH:
        case RTSEC_PT_CHARBUF:
          b.add_string("a\"\\\n\xff");
          break;
        case RTSEC_PT_CHARBUF_ARRAY:
          b.add_strings({"x", "\x01"});
          break;
        case RTSEC_PT_SOCKADDR:
          b.add_bytes(unix_addr("\"/\\"));
          break;
        case RTSEC_PT_FDPAIR:
          b.add_fdpair(-1, 2);
          break;
        default:
          b.add_int(-3);
      }
    }
    const Event ev(b);
    std::string json = "{";
    for (size_t i = 0; i < e.params.size(); ++i) {
      if (i > 0) json += ',';
      append_json_string(json, e.params[i].name);
      json += ':' + format_param_json(ev.decoded(), i);
    }
    json += '}';
    EXPECT_TRUE(nlohmann::json::accept(json)) << e.name << ": " << json;
  }
}

// ---- JSON strings -----------------------------------------------------------------------------

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(AppendJsonString, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json_string("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_string("\n\t\r\b\f"), R"("\n\t\r\b\f")");
  EXPECT_EQ(json_string(std::string_view("\x01\x1f\0", 3)), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(json_string("\x7f/"), "\"\x7f/\"");
  std::string out = "x=";
  append_json_string(out, "y");
  EXPECT_EQ(out, "x=\"y\"");
}

TEST(AppendJsonString, KeepsValidUtf8) {
  for (const char* s : {"é", "€", "😀", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf"})
    EXPECT_EQ(json_string(s), std::string("\"") + s + "\"");
  EXPECT_EQ(nlohmann::json::parse(json_string("naïve ☃")).get<std::string>(), "naïve ☃");
}

TEST(AppendJsonString, EscapesBytesThatAreNotUtf8) {
  EXPECT_EQ(json_string("\xff"), R"("\u00ff")");
  EXPECT_EQ(json_string("\x80"), R"("\u0080")");                      // a lone continuation byte
  EXPECT_EQ(json_string("\xc0\xaf"), R"("\u00c0\u00af")");            // overlong '/'
  EXPECT_EQ(json_string("\xe0\x80\xaf"), R"("\u00e0\u0080\u00af")");  // overlong, 3 bytes
  EXPECT_EQ(json_string("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");  // a surrogate
  EXPECT_EQ(json_string("\xf4\x90\x80\x80"), R"("\u00f4\u0090\u0080\u0080")");  // > U+10FFFF
  EXPECT_EQ(json_string("\xe2\x82"), R"("\u00e2\u0082")");                      // cut at the end
  EXPECT_EQ(json_string("\xe2\x82x"), R"("\u00e2\u0082x")");                    // cut before ASCII
  EXPECT_EQ(json_string("a\xc3\xa9\xc3"), "\"a\xc3\xa9\\u00c3\"");
}

TEST(AppendJsonString, OutputIsAlwaysValidJson) {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes += static_cast<char>(c);
  EXPECT_TRUE(nlohmann::json::accept(json_string(all_bytes)));
  for (int a = 0x80; a < 0x100; ++a)
    for (int b = 0; b < 0x100; b += 7) {
      const char two[] = {static_cast<char>(a), static_cast<char>(b), '\0'};
      EXPECT_TRUE(nlohmann::json::accept(json_string(two))) << a << " " << b;
    }
}

}  // namespace
}  // namespace rtsec
