// SPDX-License-Identifier: Apache-2.0
#include "matcher.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace rtsec::conformance {
namespace {

// Top-level fields of an event line an expectation may check besides type.
const std::set<std::string, std::less<>> kEventFields = {"ts",   "cpu",  "pid", "tid",
                                                         "ppid", "comm", "exe", "container"};

std::string short_dump(const Json& v, size_t max = 240) {
  std::string s = v.dump();
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

bool is_plain_int(std::string_view s) {
  static const std::regex re("-?(0|[1-9][0-9]*)");
  return std::regex_match(s.begin(), s.end(), re);
}

std::optional<int64_t> parse_int(std::string_view s, int base = 10) {
  int64_t v = 0;
  bool neg = !s.empty() && s.front() == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return neg ? -v : v;
}

Result<Json> scalar_to_json(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  // "!" marks a quoted (or explicitly tagged) scalar: always a string.
  if (node.Tag() == "!") return Json(s);
  if (is_plain_int(s)) {
    if (auto v = parse_int(s)) return Json(*v);
    return make_error("integer out of range: " + s);
  }
  static const std::regex leading_zero("-?0[0-9]+");
  if (std::regex_match(s, leading_zero)) {
    return make_error("ambiguous number " + s + " at line " + std::to_string(node.Mark().line + 1) +
                      ": quote it (\"" + s + "\") for an octal string such as a mode");
  }
  if (s.size() > 2 && s.starts_with("0x")) {
    if (auto v = parse_int(std::string_view(s).substr(2), 16)) return Json(*v);
  }
  return Json(s);
}

std::vector<std::string> split_flags(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t bar = s.find('|');
    std::string_view part = s.substr(0, bar);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (bar == std::string_view::npos) break;
    s.remove_prefix(bar + 1);
  }
  return out;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::optional<std::string> flags_mismatch(std::string_view kind, std::string_view want,
                                          const Json& actual) {
  if (!actual.is_string()) {
    return "want " + std::string(kind) + std::string(want) + ", got " + short_dump(actual);
  }
  auto have_list = split_flags(actual.get<std::string>());
  std::set<std::string> have(have_list.begin(), have_list.end());
  std::set<std::string> wanted;
  for (auto& f : split_flags(want)) wanted.insert(f);
  std::vector<std::string> missing, extra, forbidden;
  for (const auto& f : wanted) {
    if (!have.contains(f))
      missing.push_back(f);
    else
      forbidden.push_back(f);
  }
  for (const auto& f : have) {
    if (!wanted.contains(f)) extra.push_back(f);
  }
  std::string got = ", got " + short_dump(actual);
  if (kind == "excludes:") {
    if (forbidden.empty()) return std::nullopt;
    return "want none of " + std::string(want) + got + " (has " + join(forbidden, "|") + ")";
  }
  if (kind == "contains:") {
    if (missing.empty()) return std::nullopt;
    return "want at least " + std::string(want) + got + " (lacks " + join(missing, "|") + ")";
  }
  if (missing.empty() && extra.empty()) return std::nullopt;
  std::string why = "want exactly " + std::string(want) + got + " (";
  if (!missing.empty()) why += "lacks " + join(missing, "|");
  if (!missing.empty() && !extra.empty()) why += ", ";
  if (!extra.empty()) why += "extra " + join(extra, "|");
  return why + ")";
}

std::optional<std::string> compare_mismatch(std::string_view op, int64_t n, const Json& actual) {
  std::string want = "want " + std::string(op) + std::to_string(n);
  if (!actual.is_number_integer()) return want + ", got " + short_dump(actual);
  // Compare in the widest type: a u64 above INT64_MAX is above any N.
  bool above =
      actual.is_number_unsigned() && actual.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX);
  int64_t v = above ? INT64_MAX : actual.get<int64_t>();
  bool ok = op == ">="   ? (above || v >= n)
            : op == ">"  ? (above || v > n)
            : op == "<=" ? (!above && v <= n)
            : op == "<"  ? (!above && v < n)
                         : (above || v != n);
  if (ok) return std::nullopt;
  return want + ", got " + actual.dump();
}

std::optional<std::string> string_mismatch(const std::string& want, const Json& actual) {
  if (want == "any") return std::nullopt;
  if (want == "nonnull") {
    if (!actual.is_null()) return std::nullopt;
    return "want a value, got null";
  }
  auto literal = [&](std::string_view s) -> std::optional<std::string> {
    if (actual.is_string() && actual.get<std::string>() == s) return std::nullopt;
    return "want " + Json(std::string(s)).dump() + ", got " + short_dump(actual);
  };
  if (want.starts_with("str:")) return literal(std::string_view(want).substr(4));
  if (want.starts_with("regex:")) {
    std::string re = want.substr(6);
    if (actual.is_string()) {
      try {
        if (std::regex_match(actual.get<std::string>(), std::regex(re))) return std::nullopt;
      } catch (const std::regex_error& e) {
        return "bad regex " + Json(re).dump() + ": " + e.what();
      }
    }
    return "want a string matching /" + re + "/, got " + short_dump(actual);
  }
  for (std::string_view kind : {"flags:", "contains:", "excludes:"}) {
    if (want.starts_with(kind)) {
      return flags_mismatch(kind, std::string_view(want).substr(kind.size()), actual);
    }
  }
  static const std::regex cmp(R"((>=|<=|!=|>|<)\s*(-?[0-9]+))");
  std::smatch m;
  if (std::regex_match(want, m, cmp)) {
    auto n = parse_int(m[2].str());
    if (!n) return "bad matcher " + want;
    return compare_mismatch(m[1].str(), *n, actual);
  }
  return literal(want);
}

}  // namespace

Result<Json> yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Json(nullptr);
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) {
        auto v = yaml_to_json(item);
        if (!v) return v.error();
        out.push_back(std::move(*v));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) {
        auto v = yaml_to_json(kv.second);
        if (!v) return v.error();
        out[kv.first.as<std::string>()] = std::move(*v);
      }
      return out;
    }
  }
  return make_error("unknown YAML node type");
}

Result<Json> load_yaml_file(const std::string& path) {
  try {
    return yaml_to_json(YAML::LoadFile(path));
  } catch (const YAML::Exception& e) {
    return make_error("cannot load " + path + ": " + e.what());
  }
}

Result<Json> substitute(const Json& pattern, const Json& values) {
  if (pattern.is_array() || pattern.is_object()) {
    Json out = pattern;
    for (auto it = out.begin(); it != out.end(); ++it) {
      auto v = substitute(*it, values);
      if (!v) return v.error();
      *it = std::move(*v);
    }
    return out;
  }
  if (!pattern.is_string()) return pattern;
  const std::string& s = pattern.get_ref<const std::string&>();
  auto lookup = [&](const std::string& name) -> Result<Json> {
    if (values.is_object()) {
      if (auto it = values.find(name); it != values.end()) return *it;
    }
    return make_error("unknown placeholder {" + name + "} in " + Json(s).dump() +
                      ": the workload report has no value of that name");
  };
  // A whole-string placeholder keeps the value's type.
  if (s.size() > 2 && s.front() == '{' && s.back() == '}' && s[1] != '{' &&
      s.find_first_of("{}", 1) == s.size() - 1) {
    return lookup(s.substr(1, s.size() - 2));
  }
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if ((c == '{' || c == '}') && i + 1 < s.size() && s[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c == '}')
      return make_error("unmatched '}' in " + Json(s).dump() + " (write }} for a brace)");
    if (c != '{') {
      out += c;
      continue;
    }
    size_t close = s.find('}', i + 1);
    if (close == std::string::npos) {
      return make_error("unterminated placeholder in " + Json(s).dump() +
                        " (write {{ for a brace)");
    }
    auto v = lookup(s.substr(i + 1, close - i - 1));
    if (!v) return v.error();
    out += v->is_string() ? v->get<std::string>() : v->dump();
    i = close;
  }
  return Json(out);
}

std::optional<std::string> mismatch(const Json& expected, const Json& actual) {
  if (expected.is_string()) return string_mismatch(expected.get<std::string>(), actual);
  if (expected.is_null()) {
    if (actual.is_null()) return std::nullopt;
    return "want null (not captured), got " + short_dump(actual);
  }
  if (expected.is_number()) {
    if (actual.is_number() && actual == expected) return std::nullopt;
    std::string got = actual.is_string() ? " (a string)" : "";
    return "want " + expected.dump() + ", got " + short_dump(actual) + got;
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size()) {
      return "want " + short_dump(expected) + ", got " + short_dump(actual);
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      if (auto why = mismatch(expected[i], actual[i])) {
        return "[" + std::to_string(i) + "]: " + *why + " (whole value " + short_dump(actual) + ")";
      }
    }
    return std::nullopt;
  }
  if (expected.is_object()) {
    if (!actual.is_object()) return "want an object, got " + short_dump(actual);
    for (const auto& [key, want] : expected.items()) {
      Json have = actual.contains(key) ? actual[key] : Json(nullptr);
      if (auto why = mismatch(want, have)) return key + ": " + *why;
    }
    return std::nullopt;
  }
  if (actual == expected) return std::nullopt;
  return "want " + short_dump(expected) + ", got " + short_dump(actual);
}

std::string Expectation::label() const {
  return "step #" + std::to_string(step_index + 1) + " '" + step + "', expect #" +
         std::to_string(expect_index + 1) + " (" + type + " by " + process + ")";
}

Result<std::vector<Expectation>> load_expectations(const Json& spec) {
  if (!spec.is_object() || !spec.contains("steps") || !spec["steps"].is_array()) {
    return make_error("the conformance file needs a top-level `steps` list");
  }
  std::vector<Expectation> out;
  const Json& steps = spec["steps"];
  for (size_t si = 0; si < steps.size(); ++si) {
    const Json& step = steps[si];
    std::string where = "step #" + std::to_string(si + 1);
    if (!step.is_object() || !step.contains("name") || !step["name"].is_string()) {
      return make_error(where + " needs a `name`");
    }
    std::string name = step["name"].get<std::string>();
    where += " '" + name + "'";
    if (!step.contains("expect")) continue;
    if (!step["expect"].is_array()) return make_error(where + ": `expect` must be a list");
    const Json& expect = step["expect"];
    for (size_t ei = 0; ei < expect.size(); ++ei) {
      const Json& e = expect[ei];
      std::string at = where + ", expect #" + std::to_string(ei + 1);
      if (!e.is_object()) return make_error(at + " must be a map");
      Expectation x{name, si, ei, {}, {}, Json::object(), Json::object()};
      for (const auto& [key, value] : e.items()) {
        if (key == "type" || key == "process") {
          if (!value.is_string()) return make_error(at + ": `" + key + "` must be a string");
          (key == "type" ? x.type : x.process) = value.get<std::string>();
        } else if (key == "params") {
          if (!value.is_object()) return make_error(at + ": `params` must be a map");
          x.params = value;
        } else if (kEventFields.contains(key)) {
          x.fields[key] = value;
        } else {
          return make_error(at + ": unknown key `" + key + "`");
        }
      }
      if (x.type.empty()) return make_error(at + " needs a `type`");
      if (x.process.empty()) return make_error(at + " needs a `process`");
      out.push_back(std::move(x));
    }
  }
  return out;
}

namespace {

// An expectation with its placeholders resolved.
struct Resolved {
  const Expectation* exp;
  Json pid;
  Json fields;
  Json params;
};

std::vector<std::string> event_mismatches(const Resolved& r, const Json& ev) {
  std::vector<std::string> out;
  if (!ev.is_object()) return {"not a JSON object"};
  if (ev.value("type", Json()) != Json(r.exp->type)) {
    out.push_back("type: want " + Json(r.exp->type).dump() + ", got " +
                  short_dump(ev.value("type", Json())));
  }
  for (const char* key : {"pid", "tid"}) {
    if (auto why = mismatch(r.pid, ev.value(key, Json())))
      out.push_back(std::string(key) + ": " + *why);
  }
  for (const auto& [key, want] : r.fields.items()) {
    if (auto why = mismatch(want, ev.value(key, Json()))) out.push_back(key + ": " + *why);
  }
  const Json params = ev.value("params", Json::object());
  for (const auto& [key, want] : r.params.items()) {
    if (!params.is_object() || !params.contains(key)) {
      if (want != Json("any")) out.push_back("params." + key + ": absent from the event");
      continue;
    }
    if (auto why = mismatch(want, params[key])) out.push_back("params." + key + ": " + *why);
  }
  return out;
}

std::string describe_event(const Event& ev) {
  const Json& j = ev.json;
  std::ostringstream os;
  os << "line " << ev.line << ": " << j.value("type", Json()).dump() << " pid "
     << j.value("pid", Json()).dump() << " tid " << j.value("tid", Json()).dump() << " params "
     << short_dump(j.value("params", Json()), 600);
  return os.str();
}

std::string describe_miss(const Resolved& r, const std::vector<Event>& events,
                          const std::vector<size_t>& proc_events) {
  std::ostringstream os;
  os << r.exp->label() << ", pid " << r.pid.dump() << "\n  want: params "
     << short_dump(r.params, 600);
  if (!r.fields.empty()) os << ", fields " << short_dump(r.fields);
  os << "\n";
  // Same type from this process first; else from anyone (a wrong pid/tid).
  std::vector<size_t> pool;
  for (size_t i : proc_events) {
    if (events[i].json.value("type", Json()) == Json(r.exp->type)) pool.push_back(i);
  }
  bool foreign = pool.empty();
  if (foreign) {
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].json.value("type", Json()) == Json(r.exp->type)) pool.push_back(i);
    }
  }
  if (pool.empty()) {
    std::map<std::string, int> seen;
    for (size_t i : proc_events) seen[events[i].json.value("type", Json("?")).dump()]++;
    os << "  no " << r.exp->type << " event at all in " << events.size() << " lines; pid "
       << r.pid.dump() << " has " << proc_events.size() << " events:";
    for (const auto& [type, n] : seen) os << " " << type << "x" << n;
    return os.str();
  }
  std::vector<std::pair<std::vector<std::string>, size_t>> ranked;
  for (size_t i : pool) ranked.emplace_back(event_mismatches(r, events[i].json), i);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first.size() < b.first.size(); });
  os << "  no match among " << pool.size() << " " << r.exp->type << " events"
     << (foreign ? " (none from this pid; showing other processes')" : " of this pid")
     << "; closest:\n";
  for (size_t k = 0; k < ranked.size() && k < 3; ++k) {
    os << "    " << describe_event(events[ranked[k].second]) << "\n";
    for (const auto& why : ranked[k].first) os << "      " << why << "\n";
  }
  std::string s = os.str();
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace

std::vector<Failure> match_events(const std::vector<Expectation>& expectations, const Json& values,
                                  const std::vector<Event>& events) {
  std::vector<Failure> failures;
  struct Cursor {
    std::vector<size_t> events;  // indexes into `events`, this process's only
    size_t next = 0;             // position in `events` after the last match
    const Expectation* last = nullptr;
    size_t last_line = 0;
  };
  std::map<std::string, Cursor> cursors;
  for (const auto& exp : expectations) {
    auto pid = substitute(Json("{pid." + exp.process + "}"), values);
    auto fields = substitute(exp.fields, values);
    auto params = substitute(exp.params, values);
    for (const Result<Json>* r : {&pid, &fields, &params}) {
      if (!r->ok()) {
        failures.push_back({&exp, exp.label() + ": " + r->error().message});
        break;
      }
    }
    if (!pid || !fields || !params) continue;
    if (!pid->is_number_integer()) {
      failures.push_back({&exp, exp.label() + ": pid." + exp.process + " is not a number"});
      continue;
    }
    Resolved r{&exp, *pid, *fields, *params};
    auto [it, fresh] = cursors.try_emplace(exp.process);
    Cursor& cur = it->second;
    if (fresh) {
      for (size_t i = 0; i < events.size(); ++i) {
        const Json& j = events[i].json;
        if (j.is_object() && j.value("pid", Json()) == r.pid && j.value("tid", Json()) == r.pid) {
          cur.events.push_back(i);
        }
      }
    }
    auto matches = [&](size_t k) {
      return event_mismatches(r, events[cur.events[k]].json).empty();
    };
    size_t k = cur.next;
    while (k < cur.events.size() && !matches(k)) ++k;
    if (k < cur.events.size()) {
      cur.next = k + 1;
      cur.last = &exp;
      cur.last_line = events[cur.events[k]].line;
      continue;
    }
    // Not after the previous match: maybe before it (out of order).
    std::string message;
    for (size_t b = 0; b < cur.next; ++b) {
      if (matches(b)) {
        message = exp.label() + ": the matching event, " + describe_event(events[cur.events[b]]) +
                  ", comes before line " + std::to_string(cur.last_line) + " that matched " +
                  cur.last->label() + ": events out of step order";
        break;
      }
    }
    if (message.empty()) message = describe_miss(r, events, cur.events);
    failures.push_back({&exp, std::move(message)});
  }
  return failures;
}

}  // namespace rtsec::conformance
