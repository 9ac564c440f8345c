// SPDX-License-Identifier: Apache-2.0
// A rule's output format ("File opened (user=%user.name file=%fd.name)"),
// compiled once at load time and rendered per alert.
//
// The syntax is Falco's (libsinsp's event formatter):
//   %field            proc.name, evt.arg.flags, proc.aname[2], k8s.pod.label[app]
//   %NNfield          the value padded with spaces, or cut, to NN characters
//   %tr(field)        a transformer: tolower, toupper, basename, b64 (decode), len
//   a leading '*'     ignored (Falco: print even when values are missing; rtsec always does)
// Falco has no delimiters for a field: the longest prefix of the name that is
// a known field is taken, and what follows is text ("%proc.name:" and
// "%proc.namex" both print the name, then ":" or "x"). rtsec adds "%%" for
// a literal '%', which Falco rejects.
//
// Values print as Falco prints them: strings as they are, numbers in decimal,
// booleans true/false, addresses in their usual notation, list fields as
// "(a,b,c)", and "<NA>" for a field that cannot be extracted.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "rtsec/engine/field.hpp"
#include "rtsec/output/alert.hpp"
#include "rtsec/result.hpp"

namespace rtsec::output {

class OutputFormat {
 public:
  // Binds every field through `registry`. Errors read "column 12: unknown
  // field 'proc.nme'"; `error_column`, when given, receives that column
  // (1-based, in `format`) so that callers can point at the file position.
  static Result<OutputFormat> compile(std::string_view format,
                                      const engine::FieldRegistry& registry,
                                      size_t* error_column = nullptr);

  // Appends the rendered output to `out`; when `fields` is given, appends each
  // field the format names (once, in order of appearance) with its JSON value.
  // Thread-safe: the format is immutable once compiled.
  void render(engine::EvalContext& ctx, std::string& out, OutputFields* fields = nullptr) const;
  std::string render(engine::EvalContext& ctx, OutputFields* fields = nullptr) const;

  // The fields as written ("proc.aname[2]"), once each, in order.
  std::vector<std::string> field_names() const;
  const std::string& text() const { return text_; }

 private:
  enum class Transform : uint8_t { kToLower, kToUpper, kBasename, kB64, kLen };
  struct Token {
    std::string literal;                // text, when field is npos
    size_t field = std::string::npos;   // index into fields_
    size_t width = 0;                   // 0: as is
    std::vector<Transform> transforms;  // applied innermost first
  };
  friend class FormatCompiler;

  std::string text_;
  std::vector<Token> tokens_;
  std::vector<engine::BoundField> fields_;
};

}  // namespace rtsec::output
