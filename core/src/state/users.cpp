// SPDX-License-Identifier: Apache-2.0
#include "rtsec/state/users.hpp"

#include <sys/stat.h>

#include <charconv>

#include "file_reader.hpp"

namespace rtsec::state {
namespace {

constexpr size_t kMaxFileBytes = 4 << 20;  // a passwd file bigger than this is not read whole

// Splits one passwd/group line on ':'; false when it has fewer than `n` fields.
template <size_t N>
bool split_fields(std::string_view line, std::array<std::string_view, N>& out) {
  for (size_t i = 0; i < N; ++i) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      if (i + 1 != N) return false;
      out[i] = line;
      return true;
    }
    out[i] = line.substr(0, colon);
    line.remove_prefix(colon + 1);
  }
  return true;
}

bool parse_id(std::string_view s, uint32_t& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (!line.empty() && line[0] != '#') f(line);
  }
}

}  // namespace

std::string UserDb::path_of(const char* rel) const {
  if (!through_pid_) return (root_ == "/" ? std::string() : root_) + rel;
  return root_ + "/" + std::to_string(pid_) + "/root" + rel;
}

bool UserDb::refresh(Source& src, const char* rel, uint64_t now_ns) {
  if (src.checked && now_ns < src.checked_ns + kRecheckNs) return false;
  src.checked = true;
  src.checked_ns = now_ns;
  const std::string path = path_of(rel);
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return false;
  if (src.loaded && st.st_mtim.tv_sec == src.mtime.tv_sec &&
      st.st_mtim.tv_nsec == src.mtime.tv_nsec)
    return false;
  std::string text;
  if (!read_file(path, text, kMaxFileBytes)) return false;
  src.mtime = st.st_mtim;
  src.loaded = true;
  if (rel[5] == 'p')  // "/etc/passwd"
    load_passwd(text);
  else
    load_group(text);
  return true;
}

void UserDb::load_passwd(std::string_view text) {
  users_.clear();
  for_each_line(text, [&](std::string_view line) {
    std::array<std::string_view, 7> f;  // name:pw:uid:gid:gecos:home:shell
    UserInfo u;
    if (!split_fields(line, f) || !parse_id(f[2], u.uid) || !parse_id(f[3], u.gid)) return;
    u.name = f[0];
    u.home = f[5];
    u.shell = f[6];
    users_.try_emplace(u.uid, std::move(u));  // the first entry of a uid wins, as getpwuid
  });
}

void UserDb::load_group(std::string_view text) {
  groups_.clear();
  for_each_line(text, [&](std::string_view line) {
    std::array<std::string_view, 4> f;  // name:pw:gid:members
    GroupInfo g;
    if (!split_fields(line, f) || !parse_id(f[2], g.gid)) return;
    g.name = f[0];
    groups_.try_emplace(g.gid, std::move(g));
  });
}

const UserInfo* UserDb::user(uint32_t uid, uint64_t now_ns) {
  if (!passwd_.loaded) refresh(passwd_, "/etc/passwd", now_ns);
  auto it = users_.find(uid);
  // A miss may be a user added since: read the file again if it changed.
  if (it == users_.end() && refresh(passwd_, "/etc/passwd", now_ns)) it = users_.find(uid);
  return it == users_.end() ? nullptr : &it->second;
}

const GroupInfo* UserDb::group(uint32_t gid, uint64_t now_ns) {
  if (!group_.loaded) refresh(group_, "/etc/group", now_ns);
  auto it = groups_.find(gid);
  if (it == groups_.end() && refresh(group_, "/etc/group", now_ns)) it = groups_.find(gid);
  return it == groups_.end() ? nullptr : &it->second;
}

UserDb& UserDirectory::db_for(std::string_view container_id, pid_t pid) {
  if (container_id.empty()) return host_;
  auto it = containers_.find(container_id);
  if (it == containers_.end()) {
    if (containers_.size() >= max_containers_) containers_.clear();  // rare: many containers
    it = containers_.emplace(std::string(container_id), UserDb(proc_root_, true)).first;
  }
  it->second.set_pid(pid);  // any live process of the container sees its files
  return it->second;
}

const UserInfo* UserDirectory::user(std::string_view container_id, pid_t pid, uint32_t uid,
                                    uint64_t now_ns) {
  return db_for(container_id, pid).user(uid, now_ns);
}

const GroupInfo* UserDirectory::group(std::string_view container_id, pid_t pid, uint32_t gid,
                                      uint64_t now_ns) {
  return db_for(container_id, pid).group(gid, now_ns);
}

}  // namespace rtsec::state
