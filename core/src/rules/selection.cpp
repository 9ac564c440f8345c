// SPDX-License-Identifier: Apache-2.0
// rtsec.yaml's `rules:` section: enable or disable rules by name or tag, in
// order, after loading (as Falco's `rules:` in falco.yaml).
#include <algorithm>
#include <string_view>

#include "rtsec/rules/loader.hpp"

namespace rtsec::rules {
namespace {

// `*` matches any run of characters, `?` any one character.
bool wildcard_match(std::string_view pattern, std::string_view s) {
  size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == s[i])) {
      ++p;
      ++i;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

std::vector<std::string> apply_selection(std::vector<Rule>& rules,
                                         std::span<const RuleSelector> selectors) {
  std::vector<std::string> notes;
  for (const auto& sel : selectors) {
    size_t matched = 0;
    for (auto& r : rules) {
      bool match = !sel.rule.empty() ? wildcard_match(sel.rule, r.name)
                                     : std::binary_search(r.tags.begin(), r.tags.end(), sel.tag);
      if (!match) continue;
      r.enabled = sel.enable;
      ++matched;
    }
    if (matched == 0)
      notes.push_back(std::string("rules: ") + (sel.enable ? "enable" : "disable") +
                      (sel.rule.empty() ? " tag '" + sel.tag + "'" : " rule '" + sel.rule + "'") +
                      " matches no rule");
  }
  return notes;
}

}  // namespace rtsec::rules
