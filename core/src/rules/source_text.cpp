// SPDX-License-Identifier: Apache-2.0
#include "source_text.hpp"

#include <algorithm>

namespace rtsec::rules {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\b'; }

// 1-based line and column of a byte offset.
void line_col(std::string_view content, size_t offset, int& line, int& col) {
  offset = std::min(offset, content.size());
  line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (content[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  col = static_cast<int>(offset - line_start) + 1;
}

// A scalar's value holds the raw text's characters in order, less quotes,
// escapes, indentation and line folding; so the n-th non-blank character of
// the value is found by walking the raw text for each one in turn.
size_t scalar_offset(const TextOrigin& o, std::string_view value, size_t offset) {
  std::string_view raw = o.content;
  size_t r = std::min(o.mark, raw.size());
  if (r < raw.size() && (raw[r] == '|' || raw[r] == '>')) {  // block scalar: text starts below
    while (r < raw.size() && raw[r] != '\n') ++r;
  } else if (r < raw.size() && (raw[r] == '"' || raw[r] == '\'')) {
    ++r;
  }
  auto advance_to = [&](char c) {
    size_t found = raw.find(c, r);
    if (found == std::string_view::npos) return false;
    r = found;
    return true;
  };
  for (size_t i = 0; i < offset && i < value.size(); ++i) {
    if (is_space(value[i])) continue;
    if (!advance_to(value[i])) return o.mark;
    ++r;
  }
  size_t next = offset;
  while (next < value.size() && is_space(value[next])) ++next;
  if (next < value.size() && !advance_to(value[next])) return o.mark;
  return r;
}

}  // namespace

size_t offset_of(std::string_view content, int line0, int col0) {
  size_t pos = 0;
  for (int l = 0; l < line0 && pos < content.size(); ++l) {
    size_t nl = content.find('\n', pos);
    if (nl == std::string_view::npos) return content.size();
    pos = nl + 1;
  }
  return std::min(content.size(), pos + static_cast<size_t>(std::max(col0, 0)));
}

void SourceText::append(std::string_view piece, const TextOrigin& origin) {
  segments_.push_back({text_.size(), piece.size(), origin});
  text_.append(piece);
}

void SourceText::append(const SourceText& other) {
  for (const auto& seg : other.segments_)
    segments_.push_back({text_.size() + seg.begin, seg.size, seg.origin});
  text_.append(other.text_);
}

SourceLocation SourceText::locate(size_t offset) const {
  if (segments_.empty()) return {};
  // The last segment starting at or before offset (an offset at the very end
  // belongs to the last segment).
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                             [](size_t off, const Segment& s) { return off < s.begin; });
  const Segment& seg = it == segments_.begin() ? *it : *std::prev(it);
  const TextOrigin& o = seg.origin;
  size_t within = offset > seg.begin ? std::min(offset - seg.begin, seg.size) : 0;
  SourceLocation loc = o.location();
  switch (o.kind) {
    case TextOrigin::Kind::kFixed: break;
    case TextOrigin::Kind::kDirect: {
      std::string_view piece(text_.data() + seg.begin, seg.size);
      int dl, dc;
      line_col(piece, within, dl, dc);
      loc.line = o.line + dl - 1;
      loc.col = dl == 1 ? o.col + dc - 1 : dc;
      break;
    }
    case TextOrigin::Kind::kScalar: {
      std::string_view value(text_.data() + seg.begin, seg.size);
      line_col(o.content, scalar_offset(o, value, within), loc.line, loc.col);
      break;
    }
  }
  return loc;
}

}  // namespace rtsec::rules
