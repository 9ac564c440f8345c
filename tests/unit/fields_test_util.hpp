// SPDX-License-Identifier: Apache-2.0
// A state, a context and the default registry, for the field tests: feed an event, then read
// fields of it as text ("<NA>" when not extracted).
#pragma once

#include <arpa/inet.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "rtsec/engine/eval_context.hpp"
#include "rtsec/engine/field.hpp"
#include "state_test_events.hpp"

namespace rtsec::testing {

inline std::string value_text(const engine::Value& v) {
  switch (v.type) {
    case engine::FieldType::kString: return std::string(v.s);
    case engine::FieldType::kInt: return std::to_string(v.i);
    case engine::FieldType::kUint: return std::to_string(v.u);
    case engine::FieldType::kBool: return v.i ? "true" : "false";
    case engine::FieldType::kIp:
    case engine::FieldType::kIpNet: {
      char buf[INET6_ADDRSTRLEN] = {};
      inet_ntop(v.ip.family, v.ip.bytes.data(), buf, sizeof buf);
      return buf;
    }
  }
  return "?";
}

class FieldsTest : public ::testing::Test {
 protected:
  FieldsTest() : st_(options()), ctx_(*st_.state, std::string("testhost")) {}

  // Users and groups from a fake root, so names do not depend on this machine.
  static state::Options options() {
    state::Options o;
    const auto root = std::filesystem::temp_directory_path() / "rtsec-fields-root";
    std::filesystem::create_directories(root / "etc");
    std::ofstream(root / "etc/passwd", std::ios::trunc)
        << "root:x:0:0:root:/root:/bin/bash\n"
           "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
           "alice:x:1000:1000::/home/alice:/bin/zsh\n";
    std::ofstream(root / "etc/group", std::ios::trunc) << "root:x:0:\nalice:x:1000:\n";
    o.host_root = root.string();
    return o;
  }

  // Applies an event (on_event) and makes it the one fields are read from. The previous one
  // is finished first (after_event).
  void at(Ev ev) {
    finish();
    current_ = std::make_unique<Ev>(std::move(ev));  // the context points into it
    st_->on_event(**current_);
    ctx_.reset(**current_, ++num_);
  }
  void finish() {
    if (current_) st_->after_event(**current_);
    current_.reset();
  }
  void feed(Ev ev) {
    at(std::move(ev));
    finish();
  }

  // All values of a field as text, "|"-joined; "<NA>" when nothing is extracted.
  std::string get(std::string_view name, std::optional<std::string_view> arg = std::nullopt) {
    auto bound = engine::default_field_registry().bind(name, arg);
    if (!bound.ok()) return "bind error: " + bound.error().message;
    engine::ValueList out;
    if (!bound->extractor->extract(ctx_, out)) {
      EXPECT_TRUE(out.empty()) << name << ": nothing may be appended when not extracted";
      return "<NA>";
    }
    std::string text;
    for (const auto& v : out) {
      if (!text.empty()) text += "|";
      text += value_text(v);
    }
    return text;
  }
  engine::FieldType type_of(std::string_view name,
                            std::optional<std::string_view> arg = std::nullopt) {
    auto bound = engine::default_field_registry().bind(name, arg);
    EXPECT_TRUE(bound.ok()) << name;
    return bound.ok() ? bound->def->type : engine::FieldType::kString;
  }

  // kPid running "bash -l" as alice (uid 1000) in /home/alice, on /dev/pts/3, child of init.
  void start_bash() {
    Events::Exec x;
    x.exepath = "/usr/bin/bash";
    x.argv = {"-bash", "-l"};
    x.cwd = "/home/alice";
    x.comm = "bash";
    x.uid = x.euid = x.gid = x.loginuid = 1000;
    x.tty = (136u << 20) | 3;
    x.ppid = 1;
    feed(e_.exec(kPid, x));
  }

  TestState st_;
  engine::EvalContext ctx_;
  Events e_;
  std::unique_ptr<Ev> current_;
  uint64_t num_ = 0;
};

}  // namespace rtsec::testing
