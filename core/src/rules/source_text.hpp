// SPDX-License-Identifier: Apache-2.0
// Condition text assembled from pieces of rules files (a condition, text
// appended to it, exception values) that maps any offset back to the
// file:line:col it came from.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "rtsec/rules/diagnostic.hpp"

namespace rtsec::rules {

// Where a piece of text came from.
struct TextOrigin {
  enum class Kind {
    kFixed,   // every offset maps to `line:col`
    kDirect,  // the piece starts at line:col; offsets advance through it
    kScalar,  // the piece is the value of a YAML scalar starting at `mark` in
              // `content` (plain, quoted or block): offsets are found in the raw text
  };
  Kind kind = Kind::kFixed;
  std::string_view file;     // must outlive the SourceText
  std::string_view content;  // kScalar: the whole file
  size_t mark = 0;           // kScalar: byte offset of the scalar in content
  int line = 0, col = 0;     // kFixed, kDirect: 1-based; kScalar: of the mark

  SourceLocation location() const { return {std::string(file), line, col}; }
};

class SourceText {
 public:
  void append(std::string_view piece, const TextOrigin& origin);
  void append(const SourceText& other);
  bool empty() const { return text_.empty(); }
  const std::string& str() const { return text_; }
  SourceLocation locate(size_t offset) const;

 private:
  struct Segment {
    size_t begin;
    size_t size;
    TextOrigin origin;
  };
  std::string text_;
  std::vector<Segment> segments_;
};

// Byte offset of 0-based line/col in content (clamped to its size).
size_t offset_of(std::string_view content, int line0, int col0);

}  // namespace rtsec::rules
