// SPDX-License-Identifier: Apache-2.0
// User and group names, read from the passwd and group files of the root file
// system a process sees: the host's, or a container's through /proc/PID/root.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <ctime>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rtsec::state {

struct UserInfo {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string name;
  std::string home;
  std::string shell;
};

struct GroupInfo {
  uint32_t gid = 0;
  std::string name;
};

// One root file system's users and groups, parsed whole on first use and read
// again when a lookup misses and the file changed (checked at most every
// `recheck_ns`).
class UserDb {
 public:
  // Files under `root` ("/" for the host); for a container, `root` is the proc mount and the
  // files are read through /proc/<pid>/root of the pid given to set_pid().
  explicit UserDb(std::string root, bool through_pid = false)
      : root_(std::move(root)), through_pid_(through_pid) {}

  void set_pid(pid_t pid) { pid_ = pid; }
  const UserInfo* user(uint32_t uid, uint64_t now_ns);
  const GroupInfo* group(uint32_t gid, uint64_t now_ns);

  static constexpr uint64_t kRecheckNs = 10'000'000'000;  // 10 s

 private:
  struct Source {
    timespec mtime{};
    uint64_t checked_ns = 0;
    bool checked = false;
    bool loaded = false;
  };
  // Reads the file again if it changed since it was loaded (or never was).
  bool refresh(Source& src, const char* rel, uint64_t now_ns);
  std::string path_of(const char* rel) const;
  void load_passwd(std::string_view text);
  void load_group(std::string_view text);

  std::string root_;
  bool through_pid_ = false;
  pid_t pid_ = 0;
  Source passwd_, group_;
  std::unordered_map<uint32_t, UserInfo> users_;
  std::unordered_map<uint32_t, GroupInfo> groups_;
};

// The host's database and one per container (keyed by container id), bounded.
class UserDirectory {
 public:
  explicit UserDirectory(std::string host_root = "/", std::string proc_root = "/proc",
                         size_t max_containers = 512)
      : host_(std::move(host_root)),
        proc_root_(std::move(proc_root)),
        max_containers_(max_containers) {}

  // The user `uid` as the process `pid` of container `container_id` ("" for the host) sees
  // it; nullptr when unknown. Valid until the next lookup of another container evicts.
  const UserInfo* user(std::string_view container_id, pid_t pid, uint32_t uid, uint64_t now_ns);
  const GroupInfo* group(std::string_view container_id, pid_t pid, uint32_t gid,
                         uint64_t now_ns);
  size_t container_count() const { return containers_.size(); }

 private:
  UserDb& db_for(std::string_view container_id, pid_t pid);

  UserDb host_;
  std::string proc_root_;
  size_t max_containers_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, UserDb, Hash, std::equal_to<>> containers_;
};

}  // namespace rtsec::state
