// SPDX-License-Identifier: Apache-2.0
// The evaluable form of a condition: a tree of Filters, each check holding a
// bound extractor and its right-hand side already parsed (sets hashed, regex
// compiled). A check passes when any extracted value passes; a field that
// cannot be extracted fails every check but `not`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ast.hpp"
#include "event_set.hpp"
#include "rtsec/engine/field.hpp"
#include "rtsec/rules/filter.hpp"
#include "values.hpp"

namespace rtsec::rules::eval {

using NodePtr = std::shared_ptr<const Filter>;
using ExtractorPtr = std::shared_ptr<const engine::Extractor>;
using Num = __int128;  // holds every int64 and uint64 alike

NodePtr make_const(bool value);
NodePtr make_and(std::vector<NodePtr> children);
NodePtr make_or(std::vector<NodePtr> children);
NodePtr make_not(NodePtr child);

NodePtr make_exists(ExtractorPtr field);
// evt.type = / != / in: a test of the event's type id where the field is
// the real evt.type (Extractor::extracts_event_type), else `by_name`, the
// same test on names.
NodePtr make_event_type_check(EventSet types, ExtractorPtr field, NodePtr by_name);
// eq ne lt le gt ge contains icontains bcontains startswith bstartswith
// endswith glob iglob; `value` is already decoded (bytes for b* operators).
NodePtr make_string_check(ast::Op op, ExtractorPtr field, std::string value);
// Full-match regex (RE2, POSIX syntax, as libsinsp); null and `error` set if
// the pattern does not compile.
NodePtr make_regex_check(ExtractorPtr field, const std::string& pattern, std::string& error);
NodePtr make_string_set(ExtractorPtr field, std::vector<std::string> values);
// pmatch: the value is one of the paths or below one of them.
NodePtr make_path_prefixes(ExtractorPtr field, std::vector<std::string> paths);
// eq ne lt le gt ge, on int, uint and bool values.
NodePtr make_number_check(ast::Op op, ExtractorPtr field, Num value);
NodePtr make_number_set(ExtractorPtr field, std::vector<Num> values);
// The value is (negate: is not) in any of the networks.
NodePtr make_net_check(bool negate, ExtractorPtr field, std::vector<IpNet> nets);
// field op val(other): any pair of values passes.
NodePtr make_field_compare(ast::Op op, ExtractorPtr lhs, ExtractorPtr rhs);

// The field's values passed through a transformer (tolower(proc.name)).
ExtractorPtr make_transformer(ast::Transformer t, ExtractorPtr inner);

}  // namespace rtsec::rules::eval
