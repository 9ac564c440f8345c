// SPDX-License-Identifier: Apache-2.0
// docs/ABI.md documents the event table; its generated section must match the
// table compiled into rtsec.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "../../docs/tools/event_table_markdown.hpp"

namespace rtsec {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Where the doc and the generated text first differ, line by line.
std::string first_difference(std::string_view doc, std::string_view generated) {
  std::istringstream a{std::string(doc)}, b{std::string(generated)};
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "none";
    if (!more_a) la = "<end>";
    if (!more_b) lb = "<end>";
    if (la != lb || !more_a || !more_b)
      return "line " + std::to_string(line) + " of the section: doc has\n  " + la +
             "\nheaders give\n  " + lb;
  }
}

TEST(AbiDoc, EventTableSectionMatchesTheHeaders) {
  const std::string path = std::string(RTSEC_SOURCE_DIR) + "/docs/ABI.md";
  const std::string doc = read_file(path);
  ASSERT_FALSE(doc.empty()) << path << " is missing or empty";
  const auto section = docs::generated_section(doc);
  ASSERT_TRUE(section.has_value())
      << path << " lacks the generated-table markers:\n"
      << docs::kEventTableBegin << docs::kEventTableEnd;
  EXPECT_TRUE(*section == docs::event_table_markdown())
      << "docs/ABI.md's event table differs from core/include/rtsec/abi/event_table.h; "
         "regenerate it with docs/tools/update-abi-table.sh and commit the result\n"
      << "first difference: " << first_difference(*section, docs::event_table_markdown());
}

TEST(AbiDoc, SplicingReplacesOnlyTheSection) {
  const std::string doc = std::string("intro\n") + std::string(docs::kEventTableBegin) +
                          "old\n" + std::string(docs::kEventTableEnd) + "outro\n";
  const auto updated = docs::with_generated_section(doc, "new\n");
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(*updated, std::string("intro\n") + std::string(docs::kEventTableBegin) + "new\n" +
                          std::string(docs::kEventTableEnd) + "outro\n");
  EXPECT_FALSE(docs::with_generated_section("no markers\n", "new\n").has_value());
}

// Every event and every parameter appears in the generated text.
TEST(AbiDoc, TableNamesEveryEventAndParameter) {
  const std::string table = docs::event_table_markdown();
  for (const EventInfo& e : all_events()) {
    EXPECT_NE(table.find("| `" + std::string(e.name) + "` |"), std::string::npos) << e.name;
    for (size_t i = 0; i < e.params.size(); ++i) {
      const std::string row = "| " + std::string(e.name) + " | " + std::to_string(i) + " | " +
                              std::string(e.params[i].name) + " |";
      EXPECT_NE(table.find(row), std::string::npos) << row;
    }
  }
}

// Every category, format and source used by the table has a name in the
// generator (a new enum value needs one there).
TEST(AbiDoc, EveryEnumValueUsedHasAName) {
  for (const EventInfo& e : all_events()) {
    EXPECT_NE(docs::event_category_name(e.category).rfind("cat", 0), 0u) << e.name;
    for (const ParamInfo& p : e.params) {
      EXPECT_NE(docs::param_fmt_name(p.fmt).rfind("fmt", 0), 0u) << e.name << "." << p.name;
      EXPECT_NE(docs::param_source_name(p.source).rfind("SRC", 0), 0u)
          << e.name << "." << p.name;
    }
  }
}

}  // namespace
}  // namespace rtsec
