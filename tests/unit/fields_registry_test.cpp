// SPDX-License-Identifier: Apache-2.0
// default_field_registry(): binding (names, indexes, keys, errors) and the fields the
// upstream Falco rules use.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "rtsec/engine/field.hpp"

namespace rtsec {
namespace {

using engine::default_field_registry;
using engine::FieldArg;
using engine::FieldType;

std::string bind_error(std::string_view name, std::optional<std::string_view> arg = {}) {
  auto b = default_field_registry().bind(name, arg);
  return b.ok() ? "" : b.error().message;
}

TEST(FieldRegistry, BindsNamesIndexesAndKeys) {
  const auto& r = default_field_registry();
  auto name = r.bind("proc.name", std::nullopt);
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->def->name, "proc.name");
  EXPECT_EQ(name->text, "proc.name");
  EXPECT_TRUE(name->extractor);
  auto aname = r.bind("proc.aname", "2");
  ASSERT_TRUE(aname.ok());
  EXPECT_EQ(aname->text, "proc.aname[2]");
  EXPECT_EQ(aname->def->arg, FieldArg::kOptionalIndex);
  EXPECT_TRUE(aname->def->multi);
  auto flags = r.bind("evt.arg.flags", std::nullopt);
  ASSERT_TRUE(flags.ok()) << flags.error().message;
  EXPECT_EQ(flags->def->name, "evt.arg");
  EXPECT_EQ(flags->text, "evt.arg.flags");
  EXPECT_TRUE(r.bind("evt.arg", "0").ok());
  EXPECT_TRUE(r.bind("evt.arg", "flags").ok());
  EXPECT_TRUE(r.bind("container.mount.dest", "/var/run/docker.sock").ok());
  EXPECT_TRUE(r.bind("proc.env", std::nullopt).ok());
  EXPECT_TRUE(r.bind("proc.env", "HOME").ok());
  EXPECT_TRUE(r.bind("fd.types", std::nullopt).ok());
  EXPECT_TRUE(r.bind("fd.types", "0").ok());
}

TEST(FieldRegistry, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(bind_error("proc.nme"), "unknown field 'proc.nme'");
  EXPECT_EQ(bind_error("proc.aname", "x"), "proc.aname[x]: the index must be a number");
  EXPECT_EQ(bind_error("proc.name", "1"), "'proc.name' takes no argument");
  EXPECT_NE(bind_error("evt.arg.nosuch").find("no event has a parameter 'nosuch'"),
            std::string::npos);
  EXPECT_NE(bind_error("evt.arg").find("needs an argument"), std::string::npos);
  EXPECT_NE(bind_error("container.label").find("needs an argument"), std::string::npos);
  EXPECT_EQ(bind_error("proc.aname.x"), "unknown field 'proc.aname.x'");
}

TEST(FieldRegistry, TypesFollowFalco) {
  const auto& r = default_field_registry();
  auto type = [&](std::string_view n, std::optional<std::string_view> a = {}) {
    auto b = r.bind(n, a);
    EXPECT_TRUE(b.ok()) << n;
    return b.ok() ? b->def->type : FieldType::kString;
  };
  EXPECT_EQ(type("evt.num"), FieldType::kUint);
  EXPECT_EQ(type("evt.rawres"), FieldType::kInt);
  EXPECT_EQ(type("evt.failed"), FieldType::kBool);
  EXPECT_EQ(type("fd.num"), FieldType::kInt);
  EXPECT_EQ(type("fd.sport"), FieldType::kUint);
  EXPECT_EQ(type("fd.sip"), FieldType::kIp);
  EXPECT_EQ(type("fd.net"), FieldType::kIpNet);
  EXPECT_EQ(type("user.uid"), FieldType::kUint);
  EXPECT_EQ(type("user.loginuid"), FieldType::kInt);
  EXPECT_EQ(type("proc.vpid"), FieldType::kInt);
  EXPECT_EQ(type("proc.duration"), FieldType::kUint);
  EXPECT_EQ(type("proc.is_exe_upper_layer"), FieldType::kBool);
  EXPECT_EQ(type("evt.rawarg.res"), FieldType::kInt);
  EXPECT_EQ(type("evt.rawarg.flags"), FieldType::kUint);
  EXPECT_EQ(type("container.privileged"), FieldType::kBool);
  EXPECT_EQ(engine::field_type_name(FieldType::kIpNet), "ipnet");
}

TEST(FieldRegistry, ListsEveryFieldOnceWithADescription) {
  std::set<std::string_view> names;
  for (const auto& f : default_field_registry().fields()) {
    EXPECT_TRUE(names.insert(f.name).second) << "twice: " << f.name;
    EXPECT_FALSE(f.description.empty()) << f.name;
  }
  EXPECT_GT(names.size(), 150u);
}

// Every field reference of the upstream rules (falco_rules, incubating, sandbox) binds.
TEST(FieldRegistry, BindsEveryFieldTheUpstreamRulesUse) {
  const std::pair<const char*, const char*> refs[] = {
      {"proc.name", nullptr}, {"fd.name", nullptr}, {"proc.cmdline", nullptr},
      {"proc.pname", nullptr}, {"evt.type", nullptr}, {"user.name", nullptr},
      {"proc.tty", nullptr}, {"user.uid", nullptr}, {"proc.aname", "2"},
      {"proc.aname", "7"}, {"proc.aname", nullptr}, {"user.loginuid", nullptr},
      {"proc.exepath", nullptr}, {"container.image.repository", nullptr},
      {"proc.args", nullptr}, {"evt.arg.flags", nullptr}, {"proc.pcmdline", nullptr},
      {"fd.directory", nullptr}, {"fd.typechar", nullptr}, {"fd.type", nullptr},
      {"fd.l4proto", nullptr}, {"fd.rport", nullptr}, {"fd.lport", nullptr},
      {"evt.arg.path", nullptr}, {"evt.res", nullptr}, {"proc.pexe", nullptr},
      {"proc.exe", nullptr}, {"evt.arg.name", nullptr}, {"thread.cap_permitted", nullptr},
      {"evt.rawres", nullptr}, {"evt.arg.oldpath", nullptr}, {"evt.arg.uid", nullptr},
      {"evt.arg.newpath", nullptr}, {"k8s.ns.name", nullptr}, {"fd.sport", nullptr},
      {"fd.num", nullptr}, {"fd.net", nullptr}, {"evt.arg.mode", nullptr},
      {"proc.cwd", nullptr}, {"evt.num", nullptr}, {"evt.arg.request", nullptr},
      {"proc.env", nullptr}, {"fd.sip.name", nullptr}, {"fd.sip", nullptr},
      {"container.id", nullptr}, {"thread.cap_effective", nullptr}, {"fd.snet", nullptr},
      {"fd.name_changed", nullptr}, {"fd.filename", nullptr}, {"fd.connected", nullptr},
      {"evt.is_open_read", nullptr}, {"evt.arg.filename", nullptr}, {"proc.vpid", nullptr},
      {"fd.types", "0"}, {"fd.types", nullptr}, {"fd.nameraw", nullptr},
      {"evt.is_open_write", nullptr}, {"evt.hostname", nullptr}, {"evt.args", nullptr},
      {"evt.arg.target", nullptr}, {"evt.arg.cmd", nullptr}, {"container.privileged", nullptr},
      {"user.loginname", nullptr}, {"proc.sname", nullptr}, {"proc.pexepath", nullptr},
      {"proc.is_vpgid_leader", nullptr}, {"group.name", nullptr}, {"group.gid", nullptr},
      {"fd.cip.name", nullptr}, {"evt.arg.fd", nullptr}, {"container.start_ts", nullptr},
      {"proc.vpgid.name", nullptr}, {"proc.vpgid.exe", nullptr},
      {"proc.ppid.duration", nullptr}, {"proc.is_exe_upper_layer", nullptr},
      {"proc.is_exe_from_memfd", nullptr}, {"proc.exe_ino.mtime", nullptr},
      {"proc.exe_ino.ctime_duration_proc_start", nullptr}, {"proc.exe_ino.ctime", nullptr},
      {"proc.duration", nullptr}, {"proc.aexepath", "2"}, {"proc.aexe", "2"},
      {"k8s.pod.name", nullptr}, {"fd.sockfamily", nullptr}, {"fd.rnet", nullptr},
      {"fd.rip.name", nullptr}, {"fd.rip", nullptr}, {"fd.port", nullptr},
      {"fd.lip.name", nullptr}, {"fd.cnet", nullptr}, {"fd.cip", nullptr},
      {"evt.is_open_exec", nullptr}, {"evt.buffer", nullptr}, {"evt.arg.linkpath", nullptr},
      {"evt.arg.domain", nullptr}, {"container.mounts", nullptr},
      {"container.mount.dest", "/var/run/docker.sock"}, {"container.mount.dest", "/proc*"},
      {"container.name", nullptr}, {"container.image.tag", nullptr},
      {"syscall.type", nullptr}, {"proc.aenv", nullptr}, {"fs.path.name", nullptr},
      {"fs.path.source", nullptr}, {"fs.path.target", nullptr}};
  for (const auto& [name, arg] : refs) {
    auto b = default_field_registry().bind(
        name, arg ? std::optional<std::string_view>(arg) : std::nullopt);
    EXPECT_TRUE(b.ok()) << name << (arg ? std::string("[") + arg + "]" : "") << ": "
                        << (b.ok() ? "" : b.error().message);
  }
}

}  // namespace
}  // namespace rtsec
