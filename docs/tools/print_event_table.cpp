// SPDX-License-Identifier: Apache-2.0
// Prints the event table of docs/ABI.md, or with --update FILE rewrites the
// generated section of FILE in place. docs/tools/update-abi-table.sh builds
// and runs it, from the repository root:
//   g++ -std=c++20 -Icore/include docs/tools/print_event_table.cpp
//       core/src/event_table.cpp -o print_event_table
//   ./print_event_table --update docs/ABI.md
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "event_table_markdown.hpp"

int main(int argc, char** argv) {
  const std::string table = rtsec::docs::event_table_markdown();
  if (argc == 1) {
    std::cout << table;
    return 0;
  }
  if (argc != 3 || std::string_view(argv[1]) != "--update") {
    std::cerr << "usage: " << argv[0] << " [--update docs/ABI.md]\n";
    return 2;
  }
  const std::string path = argv[2];
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << path << ": cannot read\n";
    return 1;
  }
  std::ostringstream doc;
  doc << in.rdbuf();
  in.close();
  const auto updated = rtsec::docs::with_generated_section(doc.str(), table);
  if (!updated) {
    std::cerr << path << ": markers not found; the file must contain the lines\n  "
              << rtsec::docs::kEventTableBegin << "  " << rtsec::docs::kEventTableEnd;
    return 1;
  }
  if (*updated == doc.str()) {
    std::cout << path << ": event table already up to date\n";
    return 0;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << *updated;
  if (!out.flush()) {
    std::cerr << path << ": cannot write\n";
    return 1;
  }
  std::cout << path << ": event table regenerated\n";
  return 0;
}
