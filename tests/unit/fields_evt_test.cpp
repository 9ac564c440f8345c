// SPDX-License-Identifier: Apache-2.0
// evt.*: number, times, type, arguments as Falco renders them, result, open flags.
#include <sys/stat.h>

#include "fields_test_util.hpp"

namespace rtsec {
namespace {

using testing::kPid;

class EvtFields : public testing::FieldsTest {};

TEST_F(EvtFields, TypeNumberDirectionSource) {
  start_bash();
  at(e_.openat(kPid, 3, AT_FDCWD, "/etc/passwd", O_RDONLY));
  EXPECT_EQ(get("evt.type"), "openat");
  EXPECT_EQ(get("evt.num"), "2");
  EXPECT_EQ(get("evt.dir"), "<");
  EXPECT_EQ(get("evt.category"), "file");
  EXPECT_EQ(get("evt.source"), "syscall");
  EXPECT_EQ(get("evt.hostname"), "testhost");
  EXPECT_EQ(get("syscall.type"), "openat");
  EXPECT_EQ(get("evt.cpu"), "<NA>");
  EXPECT_EQ(get("evt.buffer"), "<NA>");
  at(e_.procexit(kPid));
  EXPECT_EQ(get("syscall.type"), "<NA>");
  EXPECT_EQ(get("evt.res"), "<NA>") << "procexit has no return value";
  EXPECT_EQ(get("evt.failed"), "<NA>");
}

TEST_F(EvtFields, Times) {
  start_bash();
  ctx_.set_boot_to_wall_ns(1'700'000'000'000'000'000 - 1'000'000'000);
  e_.ts = 1'000'000'000 + 123'456'789 - 1000;  // wall: 2023-11-14T22:13:20.123456789Z
  at(e_.read(kPid, 0));
  EXPECT_EQ(get("evt.rawtime"), "1700000000123456789");
  EXPECT_EQ(get("evt.rawtime.s"), "1700000000");
  EXPECT_EQ(get("evt.rawtime.ns"), "123456789");
  EXPECT_EQ(get("evt.time.iso8601"), "2023-11-14T22:13:20.123456789Z");
  const std::string t = get("evt.time");
  ASSERT_EQ(t.size(), 18u) << t;  // HH:MM:SS.nnnnnnnnn, local time
  EXPECT_EQ(t.substr(2, 7).substr(0, 1), ":");
  EXPECT_EQ(t.substr(8), ".123456789");
  EXPECT_EQ(get("evt.time.s").size(), 8u);
  EXPECT_EQ(get("evt.datetime").size(), 29u);
}

TEST_F(EvtFields, ResultAsFalco) {
  start_bash();
  at(e_.openat(kPid, -ENOENT, AT_FDCWD, "/nope", O_RDONLY));
  EXPECT_EQ(get("evt.res"), "ENOENT");
  EXPECT_EQ(get("evt.rawres"), "-2");
  EXPECT_EQ(get("evt.failed"), "true");
  EXPECT_EQ(type_of("evt.rawres"), engine::FieldType::kInt);
  at(e_.openat(kPid, 3, AT_FDCWD, "/etc/passwd", O_RDONLY));
  EXPECT_EQ(get("evt.res"), "SUCCESS");
  EXPECT_EQ(get("evt.rawres"), "3");
  EXPECT_EQ(get("evt.failed"), "false");
}

TEST_F(EvtFields, ArgumentsAsText) {
  start_bash();
  at(e_.openat(kPid, 3, AT_FDCWD, "notes/../x.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644));
  EXPECT_EQ(get("evt.arg.flags"), "O_WRONLY|O_CREAT|O_TRUNC");
  EXPECT_EQ(get("evt.arg.name"), "/home/alice/x.txt") << "made absolute, as Falco";
  EXPECT_EQ(get("evt.rawarg.name"), "notes/../x.txt");
  EXPECT_EQ(get("evt.arg.mode"), "0644");
  EXPECT_EQ(get("evt.arg.dirfd"), "AT_FDCWD");
  EXPECT_EQ(get("evt.arg.fd"), "<f>/home/alice/x.txt") << "an fd shows what it is";
  EXPECT_EQ(get("evt.arg", "2"), "/home/alice/x.txt");
  EXPECT_EQ(get("evt.arg", "9"), "<NA>");
  EXPECT_EQ(get("evt.rawarg.flags"), std::to_string(O_WRONLY | O_CREAT | O_TRUNC));
  EXPECT_EQ(type_of("evt.rawarg.flags"), engine::FieldType::kUint);
  EXPECT_EQ(type_of("evt.rawarg.res"), engine::FieldType::kInt);
  EXPECT_EQ(type_of("evt.rawarg.name"), engine::FieldType::kString);
  EXPECT_EQ(get("evt.arg.uid"), "<NA>") << "openat has no uid";
  const std::string args = get("evt.args");
  EXPECT_NE(args.find("fd=3(<f>/home/alice/x.txt)"), std::string::npos) << args;
  EXPECT_NE(args.find("flags=O_WRONLY|O_CREAT|O_TRUNC"), std::string::npos) << args;
}

TEST_F(EvtFields, UidArgumentsAreUserNamesAndModesAreNamed) {
  start_bash();
  at(e_.make(RTSEC_EVT_SETUID, kPid, [](EventBuilder& b) { b.add_int(0).add_uint(33); }));
  EXPECT_EQ(get("evt.arg.uid"), "www-data");
  EXPECT_EQ(get("evt.rawarg.uid"), "33");
  EXPECT_EQ(get("evt.category"), "user");
  at(e_.make(RTSEC_EVT_CHMOD, kPid, [](EventBuilder& b) {
    b.add_int(0).add_string("/usr/local/bin/x").add_uint(04755);
  }));
  EXPECT_EQ(get("evt.arg.mode"), "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID");
  at(e_.make(RTSEC_EVT_PTRACE, kPid, [](EventBuilder& b) {
    b.add_int(0).add_uint(16 /* PTRACE_ATTACH */).add_int(1).add_uint(0).add_uint(0);
  }));
  EXPECT_EQ(get("evt.arg.request"), "PTRACE_ATTACH");
  at(e_.socket(kPid, 3, 17 /* AF_PACKET */, SOCK_RAW));
  EXPECT_EQ(get("evt.arg.domain"), "AF_PACKET");
  at(e_.openat(kPid, -EACCES, AT_FDCWD, "/etc/shadow", O_RDONLY));
  EXPECT_EQ(get("evt.arg.fd"), "EACCES") << "a failed call's fd is its error";
}

TEST_F(EvtFields, OpenFlagsReadWriteCreateExec) {
  start_bash();
  at(e_.openat(kPid, 3, AT_FDCWD, "/etc/passwd", O_RDONLY));
  EXPECT_EQ(get("evt.is_open_read"), "true");
  EXPECT_EQ(get("evt.is_open_write"), "false");
  EXPECT_EQ(get("evt.is_open_create"), "false");
  at(e_.openat(kPid, 3, AT_FDCWD, "/tmp/x", O_RDWR | O_CREAT, 0755));
  EXPECT_EQ(get("evt.is_open_read"), "true");
  EXPECT_EQ(get("evt.is_open_write"), "true");
  EXPECT_EQ(get("evt.is_open_create"), "true");
  EXPECT_EQ(get("evt.is_open_exec"), "true");
  at(e_.openat(kPid, 3, AT_FDCWD, "/tmp/y", O_WRONLY | O_CREAT, 0644));
  EXPECT_EQ(get("evt.is_open_exec"), "false");
  at(e_.read(kPid, 3, 42));
  EXPECT_EQ(get("evt.is_open_read"), "false") << "not an open";
  EXPECT_EQ(get("evt.is_io_read"), "true");
  EXPECT_EQ(get("evt.io_dir"), "read");
  EXPECT_EQ(get("evt.buflen"), "42");
  EXPECT_EQ(get("evt.category"), "file") << "I/O on a file";
}

TEST_F(EvtFields, AbsolutePathsOfTheAtCalls) {
  start_bash();
  feed(e_.openat(kPid, 5, AT_FDCWD, "/var/lib", O_RDONLY | O_DIRECTORY));
  at(e_.make(RTSEC_EVT_RENAMEAT2, kPid, [](EventBuilder& b) {
    b.add_int(0).add_int(5).add_string("a.db").add_int(AT_FDCWD).add_string("b.db").add_uint(0);
  }));
  EXPECT_EQ(get("evt.abspath"), "/var/lib/a.db");
  EXPECT_EQ(get("evt.abspath.src"), "/var/lib/a.db");
  EXPECT_EQ(get("evt.abspath.dst"), "/home/alice/b.db");
  EXPECT_EQ(get("evt.arg.oldpath"), "/var/lib/a.db");
  at(e_.make(RTSEC_EVT_SYMLINK, kPid, [](EventBuilder& b) {
    b.add_int(0).add_string("../etc/shadow").add_string("s");
  }));
  EXPECT_EQ(get("evt.arg.target"), "../etc/shadow") << "a symlink's target is kept as written";
  EXPECT_EQ(get("evt.arg.linkpath"), "/home/alice/s");
}

}  // namespace
}  // namespace rtsec
