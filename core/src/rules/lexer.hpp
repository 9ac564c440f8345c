// SPDX-License-Identifier: Apache-2.0
// The tokens of Falco's condition grammar (libsinsp filter/parser.h). Which
// token comes next depends on where the parser is (a bare string and a field
// name can look alike), so the parser asks for one kind at a time; each lex_*
// call consumes its token and returns it, or consumes nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rtsec::rules {

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  size_t pos() const { return pos_; }
  bool at_end() const { return pos_ >= text_.size(); }
  std::string_view rest() const { return text_.substr(pos_); }

  // Blanks: ' ', \t, \b, \r, \n. True if any were skipped.
  bool skip_blanks();
  // The exact text s.
  bool lex(std::string_view s);
  // A word operator ("contains") followed by a blank, which is consumed too.
  bool lex_word(std::string_view word);

  // [a-zA-Z]+[a-zA-Z0-9_]*
  std::optional<std::string_view> lex_identifier();
  // Identifier('.'Identifier)+ : proc.name, evt.arg.flags
  std::optional<std::string_view> lex_field_name();
  // [^ \b\t\n\r\[\]"']+ : the argument in proc.aname[2]
  std::optional<std::string_view> lex_field_arg();
  // 0[xX][0-9a-zA-Z]+ or [+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?
  std::optional<std::string_view> lex_number();
  // [^ \b\t\n\r(),="']+
  std::optional<std::string_view> lex_bare_string();

  enum class Quoted { kNone, kOk, kBadEscape, kUnterminated };
  // A '...' or "..." string, unescaped into `out` (\b \f \n \r \t \\ \/ and
  // the quote itself, as libsinsp). On kBadEscape, `error` says why.
  Quoted lex_quoted_string(std::string& out, std::string& error);

  static bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\b' || c == '\r' || c == '\n';
  }

 private:
  std::optional<std::string_view> take(size_t n);

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace rtsec::rules
