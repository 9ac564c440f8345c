// SPDX-License-Identifier: Apache-2.0
// fd.* (files, sockets, the failed-call fallbacks, fd.types) and fs.path.*.
#include "fields_test_util.hpp"

namespace rtsec {
namespace {

using testing::kPid;
using testing::sockaddr_in4;

class FdFields : public testing::FieldsTest {};

TEST_F(FdFields, AFileTheEventOpened) {
  start_bash();
  at(e_.openat(kPid, 3, AT_FDCWD, "bin/../.ssh/id_rsa", O_RDONLY));
  EXPECT_EQ(get("fd.num"), "3");
  EXPECT_EQ(get("fd.type"), "file");
  EXPECT_EQ(get("fd.typechar"), "f");
  EXPECT_EQ(get("fd.name"), "/home/alice/.ssh/id_rsa");
  EXPECT_EQ(get("fd.nameraw"), "bin/../.ssh/id_rsa");
  EXPECT_EQ(get("fd.directory"), "/home/alice/.ssh");
  EXPECT_EQ(get("fd.filename"), "id_rsa");
  EXPECT_EQ(get("fd.ino"), "1234");
  EXPECT_EQ(get("fd.dev.major"), "8");
  EXPECT_EQ(get("fd.l4proto"), "<NA>");
  EXPECT_EQ(get("fd.sip"), "<NA>");
  EXPECT_EQ(get("fd.connected"), "false");
}

TEST_F(FdFields, AFailedOpenFallsBackToItsArguments) {
  start_bash();
  at(e_.openat(kPid, -ENOENT, AT_FDCWD, "missing.txt", O_RDONLY));
  EXPECT_EQ(get("fd.num"), "-1");
  EXPECT_EQ(get("fd.typechar"), "f");
  EXPECT_EQ(get("fd.name"), "/home/alice/missing.txt");
  EXPECT_EQ(get("fd.nameraw"), "missing.txt");
  EXPECT_EQ(get("fd.directory"), "/home/alice");
  EXPECT_EQ(get("fd.filename"), "<NA>");
  EXPECT_EQ(get("fd.type"), "<NA>");
}

TEST_F(FdFields, NoFdEventsHaveNoFdFields) {
  start_bash();
  at(e_.make(RTSEC_EVT_UNLINK, kPid, [](EventBuilder& b) { b.add_int(0).add_string("/x"); }));
  EXPECT_EQ(get("fd.num"), "<NA>");
  EXPECT_EQ(get("fd.name"), "<NA>");
  EXPECT_EQ(get("fd.typechar"), "<NA>");
  EXPECT_EQ(get("fd.types"), "<NA>");
}

TEST_F(FdFields, CloseStillSeesTheFdItCloses) {
  start_bash();
  feed(e_.openat(kPid, 3, AT_FDCWD, "/etc/hosts", O_RDONLY));
  at(e_.close(kPid, 3));
  EXPECT_EQ(get("fd.name"), "/etc/hosts");
  finish();
  at(e_.read(kPid, 3, -EBADF));
  EXPECT_EQ(get("fd.name"), "") << "an unknown fd of an fd event: empty, as Falco";
}

TEST_F(FdFields, AnOutboundConnection) {
  start_bash();
  feed(e_.socket(kPid, 3, AF_INET, SOCK_STREAM));
  at(e_.connect(kPid, 3, sockaddr_in4("93.184.216.34", 443)));
  EXPECT_EQ(get("fd.type"), "ipv4");
  EXPECT_EQ(get("fd.typechar"), "4");
  EXPECT_EQ(get("fd.sockfamily"), "ip");
  EXPECT_EQ(get("fd.l4proto"), "tcp");
  EXPECT_EQ(get("fd.sip"), "93.184.216.34");
  EXPECT_EQ(get("fd.sport"), "443");
  EXPECT_EQ(get("fd.rip"), "93.184.216.34");
  EXPECT_EQ(get("fd.rport"), "443");
  EXPECT_EQ(get("fd.cip"), "<NA>") << "the local end is not in the ABI";
  EXPECT_EQ(get("fd.lport"), "<NA>");
  EXPECT_EQ(get("fd.is_server"), "false");
  EXPECT_EQ(get("fd.connected"), "true");
  EXPECT_EQ(get("fd.name_changed"), "true");
  EXPECT_EQ(get("fd.ip"), "93.184.216.34");
  EXPECT_EQ(get("fd.port"), "443");
  EXPECT_EQ(get("fd.snet"), "93.184.216.34");
  EXPECT_EQ(type_of("fd.snet"), engine::FieldType::kIpNet);
  EXPECT_EQ(type_of("fd.sip"), engine::FieldType::kIp);
  EXPECT_EQ(get("fd.sip.name"), "<NA>");
  at(e_.make(RTSEC_EVT_SENDTO, kPid, [](EventBuilder& b) {
    b.add_int(5).add_int(3).add_uint(5).add_empty();
  }));
  EXPECT_EQ(get("fd.name"), "0.0.0.0:0->93.184.216.34:443");
  EXPECT_EQ(get("evt.category"), "net");
  EXPECT_EQ(get("fd.name_changed"), "false");
}

TEST_F(FdFields, AFailedConnectShowsTheAddressItTried) {
  start_bash();
  feed(e_.socket(kPid, 3, AF_INET, SOCK_STREAM));
  at(e_.connect(kPid, 3, sockaddr_in4("10.0.0.9", 22), -ECONNREFUSED));
  EXPECT_EQ(get("fd.name"), "10.0.0.9:22");
  EXPECT_EQ(get("fd.sip"), "<NA>");
  EXPECT_EQ(get("evt.res"), "ECONNREFUSED");
}

TEST_F(FdFields, AServerAndTheConnectionItAccepted) {
  start_bash();
  feed(e_.socket(kPid, 3, AF_INET, SOCK_STREAM));
  at(e_.bind(kPid, 3, sockaddr_in4("127.0.0.1", 8080)));
  EXPECT_EQ(get("fd.name"), "127.0.0.1:8080");
  EXPECT_EQ(get("fd.sip"), "127.0.0.1");
  EXPECT_EQ(get("fd.sport"), "8080");
  EXPECT_EQ(get("fd.cip"), "<NA>");
  EXPECT_EQ(get("fd.lip"), "<NA>") << "a listening socket has no connection";
  EXPECT_EQ(get("fd.is_server"), "true");
  at(e_.accept4(kPid, 4, 3, sockaddr_in4("127.0.0.1", 51000)));
  EXPECT_EQ(get("fd.num"), "4");
  EXPECT_EQ(get("fd.name"), "127.0.0.1:51000->127.0.0.1:8080");
  EXPECT_EQ(get("fd.cip"), "127.0.0.1");
  EXPECT_EQ(get("fd.cport"), "51000");
  EXPECT_EQ(get("fd.lport"), "8080");
  EXPECT_EQ(get("fd.rport"), "51000");
  EXPECT_EQ(get("fd.is_server"), "true");
  EXPECT_EQ(get("fd.port"), "8080|51000");
  EXPECT_EQ(get("fd.types"), "ipv4") << "both fds are ipv4";
  EXPECT_EQ(get("fd.types", "3"), "ipv4");
  EXPECT_EQ(get("fd.types", "0"), "<NA>");
}

TEST_F(FdFields, ReverseShellShapeDupOfASocketOntoStdin) {
  start_bash();
  feed(e_.socket(kPid, 3, AF_INET, SOCK_STREAM));
  feed(e_.connect(kPid, 3, sockaddr_in4("10.9.9.9", 4444)));
  at(e_.dup2(kPid, 3, 0));
  EXPECT_EQ(get("evt.type"), "dup2");
  EXPECT_EQ(get("evt.rawres"), "0");
  EXPECT_EQ(get("fd.num"), "0");
  EXPECT_EQ(get("fd.type"), "ipv4");
  EXPECT_EQ(get("fd.rip"), "10.9.9.9");
}

TEST_F(FdFields, FsPathOfPathCalls) {
  start_bash();
  feed(e_.openat(kPid, 5, AT_FDCWD, "/var/lib", O_RDONLY | O_DIRECTORY));
  at(e_.make(RTSEC_EVT_UNLINKAT, kPid, [](EventBuilder& b) {
    b.add_int(0).add_int(5).add_string("dpkg/../lock").add_uint(0);
  }));
  EXPECT_EQ(get("fs.path.name"), "/var/lib/lock");
  EXPECT_EQ(get("fs.path.nameraw"), "dpkg/../lock");
  EXPECT_EQ(get("fs.path.source"), "<NA>");
  at(e_.make(RTSEC_EVT_RENAME, kPid, [](EventBuilder& b) {
    b.add_int(0).add_string(".bash_history").add_string("/tmp/h");
  }));
  EXPECT_EQ(get("fs.path.source"), "/home/alice/.bash_history");
  EXPECT_EQ(get("fs.path.sourceraw"), ".bash_history");
  EXPECT_EQ(get("fs.path.target"), "/tmp/h");
  EXPECT_EQ(get("fs.path.name"), "<NA>");
  at(e_.make(RTSEC_EVT_LINKAT, kPid, [](EventBuilder& b) {
    b.add_int(0).add_int(AT_FDCWD).add_string("/etc/shadow").add_int(AT_FDCWD)
        .add_string("sh").add_uint(0);
  }));
  EXPECT_EQ(get("fs.path.source"), "/home/alice/sh") << "Falco: the source of a link is the new name";
  EXPECT_EQ(get("fs.path.target"), "/etc/shadow");
  at(e_.make(RTSEC_EVT_MKDIR, kPid, [](EventBuilder& b) {
    b.add_int(-EEXIST).add_string("d").add_uint(0755);
  }));
  EXPECT_EQ(get("fs.path.name"), "<NA>") << "only calls that succeeded";
  at(e_.openat(kPid, 6, AT_FDCWD, "f", O_RDONLY));
  EXPECT_EQ(get("fs.path.name"), "/home/alice/f");
  feed(e_.openat(kPid, 7, AT_FDCWD, "/usr/bin/tool", O_RDONLY));
  at(e_.make(RTSEC_EVT_FCHMOD, kPid, [](EventBuilder& b) { b.add_int(0).add_int(7).add_uint(0755); }));
  EXPECT_EQ(get("fs.path.name"), "/usr/bin/tool");
}

}  // namespace
}  // namespace rtsec
