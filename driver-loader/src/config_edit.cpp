// SPDX-License-Identifier: Apache-2.0
#include "config_edit.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "rtsec/config.hpp"

namespace rtsec::loader {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

size_t indent_of(const std::string& l) { return l.find_first_not_of(' '); }
bool is_blank_or_comment(const std::string& l) {
  const size_t i = l.find_first_not_of(" \t");
  return i == std::string::npos || l[i] == '#';
}

// "  kind: ebpf   # comment" -> the comment part ("   # comment"), or "".
std::string trailing_comment(const std::string& rest) {
  size_t start = rest.find(" #");
  if (start == std::string::npos) return "";
  while (start > 0 && rest[start - 1] == ' ') --start;
  return rest.substr(start);
}

// In lines[begin, end), the child block of the mapping key at `parent_indent`:
// returns the index of `name:` among the direct children, or npos; sets
// child_indent to the children's indentation (0 when there are none).
size_t find_child(const std::vector<std::string>& lines, size_t begin, size_t end, const std::string& name,
                  size_t& child_indent) {
  child_indent = 0;
  for (size_t i = begin; i < end; ++i) {
    if (is_blank_or_comment(lines[i])) continue;
    const size_t ind = indent_of(lines[i]);
    if (!child_indent) child_indent = ind;
    if (ind == child_indent && lines[i].compare(ind, name.size() + 1, name + ":") == 0) return i;
  }
  return std::string::npos;
}

// The end of the block that starts after line `at` (lines indented deeper than `indent`).
size_t block_end(const std::vector<std::string>& lines, size_t at, size_t indent) {
  size_t i = at + 1;
  for (; i < lines.size(); ++i)
    if (!is_blank_or_comment(lines[i]) && indent_of(lines[i]) <= indent) break;
  return i;
}

bool is_block_key(const std::string& line, size_t indent, const std::string& name) {
  std::string rest = line.substr(indent + name.size() + 1);
  return is_blank_or_comment(rest);
}

}  // namespace

Result<std::string> set_driver_key(const std::string& yaml, const std::string& key, const std::string& value) {
  std::vector<std::string> lines = split_lines(yaml);
  // the path below driver: ("kind", or "ebpf" then "btf_file")
  std::vector<std::string> path = {"driver"};
  for (size_t start = 0, dot; start <= key.size(); start = dot + 1) {
    dot = key.find('.', start);
    if (dot == std::string::npos) dot = key.size();
    path.push_back(key.substr(start, dot - start));
  }
  size_t begin = 0, end = lines.size(), parent_indent = 0;
  bool top = true;
  for (size_t depth = 0; depth < path.size(); ++depth) {
    const std::string& name = path[depth];
    const bool leaf = depth + 1 == path.size();
    size_t child_indent = 0;
    size_t at = std::string::npos;
    if (top) {
      for (size_t i = 0; i < lines.size(); ++i)
        if (lines[i].rfind(name + ":", 0) == 0) at = i;
    } else {
      at = find_child(lines, begin, end, name, child_indent);
      if (!child_indent) child_indent = parent_indent + 2;
    }
    const std::string pad(top ? 0 : child_indent, ' ');
    if (at == std::string::npos) {
      // Missing: insert the rest of the path right here.
      std::vector<std::string> added;
      std::string ind = pad;
      for (size_t d = depth; d < path.size(); ++d, ind += "  ")
        added.push_back(ind + path[d] + ":" + (d + 1 == path.size() ? " " + value : ""));
      // at the end of the parent's block, before the comments of what follows
      size_t at_end = end;
      while (at_end > begin && is_blank_or_comment(lines[at_end - 1])) --at_end;
      lines.insert(lines.begin() + static_cast<long>(top ? lines.size() : at_end), added.begin(), added.end());
      break;
    }
    const size_t ind = top ? 0 : child_indent;
    if (leaf) {
      const std::string rest = lines[at].substr(ind + name.size() + 1);
      lines[at] = pad + name + ": " + value + trailing_comment(rest);
      break;
    }
    if (!is_block_key(lines[at], ind, name))
      return make_error("line " + std::to_string(at + 1) + ": '" + name +
                        "' is written in flow style ({...}); write it as a block or edit it by hand");
    begin = at + 1;
    end = block_end(lines, at, ind);
    parent_indent = ind;
    top = false;
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

Status configure_driver(const fs::path& config, const std::string& kind, const std::string& btf_file) {
  std::ifstream in(config, std::ios::binary);
  if (!in) return make_error("cannot read " + config.string() + ": " + std::strerror(errno), errno);
  std::stringstream text;
  text << in.rdbuf();
  auto edited = set_driver_key(text.str(), "kind", kind);
  if (edited && !btf_file.empty()) edited = set_driver_key(*edited, "ebpf.btf_file", btf_file);
  if (!edited) return make_error(config.string() + ": " + edited.error().message);
  // What rtsec will read must still be valid, with this driver.
  auto parsed = parse_config(*edited, config);
  if (!parsed) return make_error("the edited " + config.string() + " would not load (" +
                                 parsed.error().message + "); the file is unchanged");
  if (parsed->driver.kind != kind)
    return make_error("the edited " + config.string() + " selects '" + parsed->driver.kind + "'; the file is unchanged");
  struct stat st{};
  if (stat(config.c_str(), &st) != 0) return make_error("cannot stat " + config.string(), errno);
  const fs::path tmp = config.string() + ".rtsec-driver-loader.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << *edited;
    if (!out.flush()) return make_error("cannot write " + tmp.string() + ": " + std::strerror(errno), errno);
  }
  if (chmod(tmp.c_str(), st.st_mode & 07777) != 0 || chown(tmp.c_str(), st.st_uid, st.st_gid) != 0 ||
      rename(tmp.c_str(), config.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return make_error("cannot replace " + config.string() + ": " + std::strerror(err), err);
  }
  return Ok{};
}

}  // namespace rtsec::loader
