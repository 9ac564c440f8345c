// SPDX-License-Identifier: Apache-2.0
#include "rtsec/output/output_format.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "../rules/values.hpp"

namespace rtsec::output {

using engine::BoundField;
using engine::FieldType;
using engine::Value;
using engine::ValueList;

namespace {

constexpr std::string_view kNotAvailable = "<NA>";

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string_view type_word(FieldType t) {
  switch (t) {
    case FieldType::kString:
      return "a string";
    case FieldType::kInt:
    case FieldType::kUint:
      return "a number";
    case FieldType::kBool:
      return "a boolean";
    case FieldType::kIp:
    case FieldType::kIpNet:
      return "an address";
  }
  return "a value";
}

void append_ip(std::string& out, const engine::IpAddr& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  int family = ip.family == AF_INET6 ? AF_INET6 : AF_INET;
  if (inet_ntop(family, ip.bytes.data(), buf, sizeof buf)) out += buf;
}

void append_text(std::string& out, const Value& v) {
  switch (v.type) {
    case FieldType::kString:
      out += v.s;
      break;
    case FieldType::kInt:
      out += std::to_string(v.i);
      break;
    case FieldType::kUint:
      out += std::to_string(v.u);
      break;
    case FieldType::kBool:
      out += v.i ? "true" : "false";
      break;
    case FieldType::kIp:
    case FieldType::kIpNet:
      append_ip(out, v.ip);
      break;
  }
}

FieldValue to_json(const Value& v) {
  switch (v.type) {
    case FieldType::kString:
      return FieldValue::string(std::string(v.s));
    case FieldType::kInt:
      return FieldValue::integer(v.i);
    case FieldType::kUint:
      return FieldValue::unsigned_integer(v.u);
    case FieldType::kBool:
      return FieldValue::boolean(v.i != 0);
    case FieldType::kIp:
    case FieldType::kIpNet: {
      std::string s;
      append_ip(s, v.ip);
      return FieldValue::string(std::move(s));
    }
  }
  return FieldValue::null();
}

// A list field prints as "(a,b,c)", anything else as its first value
// (libsinsp's tostring).
void append_values(std::string& out, const ValueList& values, bool multi) {
  if (!multi) {
    append_text(out, values[0]);
    return;
  }
  out += '(';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    append_text(out, values[i]);
  }
  out += ')';
}

}  // namespace

// Turns the format text into tokens, binding each field once.
class FormatCompiler {
 public:
  FormatCompiler(std::string_view format, const engine::FieldRegistry& registry)
      : format_(format), registry_(registry) {}

  Result<OutputFormat> run(size_t* error_column) {
    OutputFormat result;
    result.text_ = std::string(format_);
    out_ = &result;
    size_t pos = 0;
    // Falco's "print even when values are missing" marker: always so here.
    if (!format_.empty() && format_[0] == '*') pos = 1;
    std::string literal;
    while (pos < format_.size()) {
      char c = format_[pos];
      if (c != '%') {
        literal += c;
        ++pos;
        continue;
      }
      if (pos + 1 < format_.size() && format_[pos + 1] == '%') {
        literal += '%';
        pos += 2;
        continue;
      }
      if (!literal.empty()) {
        result.tokens_.push_back({std::move(literal), std::string::npos, 0, {}});
        literal.clear();
      }
      OutputFormat::Token token;
      if (auto st = parse_token(pos, token); !st) {
        if (error_column) *error_column = error_column_;
        return st.error();
      }
      result.tokens_.push_back(std::move(token));
    }
    if (!literal.empty()) result.tokens_.push_back({std::move(literal), std::string::npos, 0, {}});
    return result;
  }

 private:
  using Transform = OutputFormat::Transform;

  // At a '%': [width] then a field or a transformer call.
  Status parse_token(size_t& pos, OutputFormat::Token& token) {
    size_t percent = pos++;
    token_column_ = percent;
    if (pos >= format_.size()) {
      return fail(percent, "a '%' ends the format (write %% for a literal '%')");
    }
    size_t width_start = pos;
    while (pos < format_.size() && std::isdigit(static_cast<unsigned char>(format_[pos]))) ++pos;
    if (pos > width_start) {
      if (pos - width_start > 6) return fail(width_start, "field width too large");
      token.width = std::stoul(std::string(format_.substr(width_start, pos - width_start)));
      if (pos >= format_.size() || !is_ident_start(format_[pos])) {
        return fail(width_start, "a width must be followed by a field name");
      }
    }
    if (!is_ident_start(format_[pos])) {
      return fail(percent, "expected a field name after '%' (write %% for a literal '%')");
    }
    std::vector<Transform> outer_first;
    const BoundField* field = nullptr;
    if (auto st = parse_reference(pos, outer_first, 0, &field, token.field); !st) return st;
    token.transforms.assign(outer_first.rbegin(), outer_first.rend());
    return check_transforms(token, *field);
  }

  // field | transformer '(' reference ')'. Only a bare top-level field takes
  // Falco's longest-known-prefix rule; inside parentheses the name must be whole.
  Status parse_reference(size_t& pos, std::vector<Transform>& transforms, int depth,
                         const BoundField** field, size_t& index) {
    size_t start = pos;
    size_t end = pos;
    while (end < format_.size() && is_ident_char(format_[end])) ++end;
    std::string_view word = format_.substr(start, end - start);
    if (end < format_.size() && format_[end] == '(') {
      if (auto tr = transform_named(word)) {
        if (depth > 8) return fail(start, "transformers nested too deeply");
        transforms.push_back(*tr);
        pos = end + 1;
        if (pos >= format_.size() || !is_ident_start(format_[pos])) {
          return fail(pos, "expected a field name after '" + std::string(word) + "('");
        }
        if (auto st = parse_reference(pos, transforms, depth + 1, field, index); !st) return st;
        if (pos >= format_.size() || format_[pos] != ')') {
          return fail(pos, "expected ')' to close " + std::string(word) + "(");
        }
        ++pos;
        return Ok{};
      }
    }
    return parse_field(pos, depth == 0, field, index);
  }

  Status parse_field(size_t& pos, bool allow_prefix, const BoundField** field, size_t& index) {
    size_t start = pos;
    size_t end = pos;
    // name: ident ('.' ident-chars)*
    while (true) {
      while (end < format_.size() && is_ident_char(format_[end])) ++end;
      if (end + 1 < format_.size() && format_[end] == '.' && is_ident_char(format_[end + 1])) {
        ++end;
        continue;
      }
      break;
    }
    std::string_view name = format_.substr(start, end - start);
    std::optional<std::string_view> arg;
    size_t after = end;
    if (end < format_.size() && format_[end] == '[') {
      size_t close = format_.find(']', end + 1);
      if (close == std::string_view::npos) {
        return fail(end, "missing ']' after '" + std::string(format_.substr(start)) + "'");
      }
      std::string_view a = format_.substr(end + 1, close - end - 1);
      if (a.size() >= 2 && (a.front() == '"' || a.front() == '\'') && a.back() == a.front()) {
        a = a.substr(1, a.size() - 2);
      }
      arg = a;
      after = close + 1;
    }
    auto bound = bind(name, arg);
    if (!bound && !arg && allow_prefix) {
      // Falco takes the longest prefix that names a field: "%proc.namex" is
      // proc.name followed by "x".
      for (size_t len = name.size() - 1; len > 0; --len) {
        if (!is_ident_char(name[len - 1])) continue;
        if (auto shorter = bind(name.substr(0, len), std::nullopt)) {
          bound = std::move(shorter);
          after = start + len;
          break;
        }
      }
    }
    if (!bound) return fail(start, bound.error().message);
    *field = &out_->fields_[*bound];
    index = *bound;
    pos = after;
    return Ok{};
  }

  // Binds, or reuses the binding of the same text; the index into fields_.
  Result<size_t> bind(std::string_view name, std::optional<std::string_view> arg) {
    std::string text(name);
    if (arg) text += "[" + std::string(*arg) + "]";
    auto& fields = out_->fields_;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].text == text) return i;
    }
    auto bound = registry_.bind(name, arg);
    if (!bound) return bound.error();
    if (!bound->def || !bound->extractor) {
      return make_error("field '" + text + "' has no extractor");
    }
    bound->text = std::move(text);
    fields.push_back(std::move(bound.value()));
    return fields.size() - 1;
  }

  Status check_transforms(const OutputFormat::Token& token, const BoundField& field) {
    FieldType type = field.def->type;
    for (Transform t : token.transforms) {
      if (t == Transform::kLen) {
        if (type != FieldType::kString && !field.multi) {
          return fail(token_column_, "len() needs a string or a list; " + field.text + " is " +
                                         std::string(type_word(type)));
        }
        type = FieldType::kUint;
      } else if (type != FieldType::kString) {
        return fail(token_column_, std::string(transform_name(t)) + "() needs a string; " +
                                       field.text + " is " + std::string(type_word(type)));
      }
    }
    return Ok{};
  }

  static std::optional<Transform> transform_named(std::string_view w) {
    if (w == "tolower") return Transform::kToLower;
    if (w == "toupper") return Transform::kToUpper;
    if (w == "basename") return Transform::kBasename;
    if (w == "b64") return Transform::kB64;
    if (w == "len") return Transform::kLen;
    return std::nullopt;
  }
  static std::string_view transform_name(Transform t) {
    switch (t) {
      case Transform::kToLower:
        return "tolower";
      case Transform::kToUpper:
        return "toupper";
      case Transform::kBasename:
        return "basename";
      case Transform::kB64:
        return "b64";
      case Transform::kLen:
        return "len";
    }
    return "?";
  }

  Error fail(size_t pos, const std::string& msg) {
    error_column_ = pos + 1;
    return make_error("column " + std::to_string(pos + 1) + ": " + msg);
  }

  std::string_view format_;
  const engine::FieldRegistry& registry_;
  OutputFormat* out_ = nullptr;
  size_t error_column_ = 0;
  size_t token_column_ = 0;
};

Result<OutputFormat> OutputFormat::compile(std::string_view format,
                                           const engine::FieldRegistry& registry,
                                           size_t* error_column) {
  return FormatCompiler(format, registry).run(error_column);
}

void OutputFormat::render(engine::EvalContext& ctx, std::string& out, OutputFields* fields) const {
  // Each field once, however often the format names it.
  std::vector<ValueList> values(fields_.size());
  std::vector<bool> present(fields_.size());
  for (size_t i = 0; i < fields_.size(); ++i) {
    present[i] = fields_[i].extractor->extract(ctx, values[i]) && !values[i].empty();
  }
  ValueList scratch;
  for (const Token& token : tokens_) {
    if (token.field == std::string::npos) {
      out += token.literal;
      continue;
    }
    size_t start = out.size();
    const ValueList* shown = present[token.field] ? &values[token.field] : nullptr;
    bool multi = fields_[token.field].multi;
    if (shown && !token.transforms.empty()) {
      ValueList current;
      // Copy in: transforms need owned strings they can rewrite.
      for (const Value& v : *shown) {
        if (v.type == FieldType::kString) {
          current.add_owned_string(std::string(v.s));
        } else if (v.type == FieldType::kUint) {
          current.add_uint(v.u);
        } else {
          current.add_int(v.i);
        }
      }
      for (Transform t : token.transforms) {
        ValueList next;
        if (t == Transform::kLen) {
          next.add_uint(multi ? current.size() : current[0].s.size());
          multi = false;
        } else {
          bool ok = true;
          for (const Value& v : current) {
            std::string s(v.s);
            switch (t) {
              case Transform::kToLower:
                std::transform(s.begin(), s.end(), s.begin(),
                               [](unsigned char c) { return std::tolower(c); });
                break;
              case Transform::kToUpper:
                std::transform(s.begin(), s.end(), s.begin(),
                               [](unsigned char c) { return std::toupper(c); });
                break;
              case Transform::kBasename: {
                auto slash = s.rfind('/');
                if (slash != std::string::npos) s.erase(0, slash + 1);
                break;
              }
              case Transform::kB64: {
                auto decoded = rules::decode_base64(s);
                if (!decoded)
                  ok = false;
                else
                  s = std::move(*decoded);
                break;
              }
              case Transform::kLen:
                break;
            }
            if (!ok) break;
            next.add_owned_string(std::move(s));
          }
          if (!ok) {
            current.clear();
            break;
          }
        }
        current = std::move(next);
      }
      if (current.empty()) {
        out += kNotAvailable;
      } else {
        append_values(out, current, multi);
      }
    } else if (shown) {
      append_values(out, *shown, multi);
    } else {
      out += kNotAvailable;
    }
    if (token.width != 0) out.resize(start + token.width, ' ');
  }
  if (fields) {
    for (size_t i = 0; i < fields_.size(); ++i) {
      FieldValue v;
      if (!present[i]) {
        v = FieldValue::null();
      } else if (fields_[i].multi) {
        std::vector<FieldValue> items;
        for (const Value& x : values[i]) items.push_back(to_json(x));
        v = FieldValue::array(std::move(items));
      } else {
        v = to_json(values[i][0]);
      }
      fields->emplace_back(fields_[i].text, std::move(v));
    }
  }
}

std::string OutputFormat::render(engine::EvalContext& ctx, OutputFields* fields) const {
  std::string out;
  render(ctx, out, fields);
  return out;
}

std::vector<std::string> OutputFormat::field_names() const {
  std::vector<std::string> names;
  for (const auto& f : fields_) names.push_back(f.text);
  return names;
}

}  // namespace rtsec::output
