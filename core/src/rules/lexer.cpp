// SPDX-License-Identifier: Apache-2.0
#include "lexer.hpp"

namespace rtsec::rules {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }

// Length of an identifier at the start of s, 0 if none.
size_t identifier_length(std::string_view s) {
  if (s.empty() || !is_alpha(s[0])) return 0;
  size_t n = 1;
  while (n < s.size() && is_ident_char(s[n])) ++n;
  return n;
}

}  // namespace

std::optional<std::string_view> Lexer::take(size_t n) {
  if (n == 0) return std::nullopt;
  auto token = text_.substr(pos_, n);
  pos_ += n;
  return token;
}

bool Lexer::skip_blanks() {
  size_t start = pos_;
  while (pos_ < text_.size() && is_blank(text_[pos_])) ++pos_;
  return pos_ != start;
}

bool Lexer::lex(std::string_view s) {
  if (rest().substr(0, s.size()) != s) return false;
  pos_ += s.size();
  return true;
}

bool Lexer::lex_word(std::string_view word) {
  auto r = rest();
  if (r.size() <= word.size() || r.substr(0, word.size()) != word || !is_blank(r[word.size()]))
    return false;
  pos_ += word.size();
  skip_blanks();
  return true;
}

std::optional<std::string_view> Lexer::lex_identifier() { return take(identifier_length(rest())); }

std::optional<std::string_view> Lexer::lex_field_name() {
  auto r = rest();
  size_t n = identifier_length(r);
  if (n == 0) return std::nullopt;
  size_t parts = 1;
  while (n < r.size() && r[n] == '.') {
    size_t m = identifier_length(r.substr(n + 1));
    if (m == 0) break;
    n += 1 + m;
    ++parts;
  }
  if (parts < 2) return std::nullopt;
  return take(n);
}

std::optional<std::string_view> Lexer::lex_field_arg() {
  auto r = rest();
  size_t n = 0;
  while (n < r.size() && !is_blank(r[n]) && r[n] != '[' && r[n] != ']' && r[n] != '"' &&
         r[n] != '\'')
    ++n;
  return take(n);
}

std::optional<std::string_view> Lexer::lex_number() {
  auto r = rest();
  if (r.size() > 2 && r[0] == '0' && (r[1] == 'x' || r[1] == 'X') &&
      (is_alpha(r[2]) || is_digit(r[2]))) {
    size_t n = 3;
    while (n < r.size() && (is_alpha(r[n]) || is_digit(r[n]))) ++n;
    return take(n);
  }
  size_t n = 0;
  if (n < r.size() && (r[n] == '+' || r[n] == '-')) ++n;
  size_t digits = n;
  while (n < r.size() && is_digit(r[n])) ++n;
  if (n == digits) return std::nullopt;
  if (n < r.size() && r[n] == '.') ++n;
  while (n < r.size() && is_digit(r[n])) ++n;
  if (n + 2 < r.size() && (r[n] == 'e' || r[n] == 'E') && (r[n + 1] == '+' || r[n + 1] == '-') &&
      is_digit(r[n + 2])) {
    n += 3;
    while (n < r.size() && is_digit(r[n])) ++n;
  }
  return take(n);
}

std::optional<std::string_view> Lexer::lex_bare_string() {
  auto r = rest();
  size_t n = 0;
  while (n < r.size()) {
    char c = r[n];
    if (is_blank(c) || c == '(' || c == ')' || c == ',' || c == '=' || c == '"' || c == '\'') break;
    ++n;
  }
  return take(n);
}

Lexer::Quoted Lexer::lex_quoted_string(std::string& out, std::string& error) {
  auto r = rest();
  if (r.empty() || (r[0] != '"' && r[0] != '\'')) return Quoted::kNone;
  const char quote = r[0];
  out.clear();
  for (size_t i = 1; i < r.size(); ++i) {
    char c = r[i];
    if (c == quote) {
      pos_ += i + 1;
      return Quoted::kOk;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == r.size()) break;
    switch (r[i]) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case ' ':  // libsinsp reads "\ " as a backslash, for old rules that wrote it
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case '"':
      case '\'':
        if (r[i] != quote) {
          error = std::string("invalid \\") + r[i] + " escape in a " + quote + "-quoted string";
          pos_ += i - 1;
          return Quoted::kBadEscape;
        }
        out += quote;
        break;
      default:
        error = std::string("unsupported escape sequence \\") + r[i] + " in a quoted string";
        pos_ += i - 1;
        return Quoted::kBadEscape;
    }
  }
  return Quoted::kUnterminated;
}

}  // namespace rtsec::rules
