// SPDX-License-Identifier: Apache-2.0
// Container metadata for the event thread, looked up in the background.
//
// The event thread never waits for a runtime: find() answers from what is known, and
// asks for what is not. A worker thread inspects containers through each runtime's API
// in turn; a watcher per runtime follows its event stream, so a starting container is
// inspected before (or while) its first events flow and a destroyed one is forgotten.
// Each event thread reads through its own View (the engine's workers have one each);
// results reach a view at refresh(), once per event, so pointers find() gave stay valid
// for the whole event. A runtime that cannot be reached is reported once (until it
// answers again) and its fields read <NA>.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "rtsec/container/container_info.hpp"
#include "rtsec/container/docker_client.hpp"
#include "rtsec/container/containers_config.hpp"

namespace rtsec::container {

struct RegistryStats {
  uint64_t lookups = 0;      // inspect requests sent
  uint64_t found = 0;
  uint64_t not_found = 0;    // no runtime knew the container
  uint64_t unreachable = 0;  // a runtime's socket failed
  uint64_t events = 0;       // runtime events received (start, destroy, rename)
};

// Blocks on the runtimes (for the command line, never the event path): the container by
// id, id prefix or name, from the first runtime of `config` that knows it.
Lookup lookup_container(const ContainersConfig& config, std::string_view id_or_name);

class Registry {
 public:
  // What one event thread sees: a copy of the found metadata, taken in at refresh().
  class View {
   public:
    explicit View(Registry& registry) : registry_(registry) {}
    // Takes in what the background found since the last call.
    void refresh();
    // The metadata of the container with this full id; nullptr while unknown (it is then
    // asked for, at most once per retry interval).
    const ContainerInfo* find(std::string_view full_id);
    // Asks for a container ahead of its fields being read (a process seen in it).
    void request(std::string_view full_id);

   private:
    Registry& registry_;
    uint64_t generation_ = 0;
    std::unordered_map<std::string, std::shared_ptr<const ContainerInfo>> known_;
  };

  // Starts the worker and the watchers; without endpoints, find() is always nullptr.
  explicit Registry(ContainersConfig config);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  RegistryStats stats() const;
  const ContainersConfig& config() const { return config_; }

 private:
  struct Source {
    explicit Source(DockerClient c) : client(std::move(c)) {}
    DockerClient client;
    std::atomic<bool> warned{false};  // "unreachable" said, until it answers again
    // After a failure the worker leaves the runtime alone for a while: a dead or hung
    // socket must not turn each new container into a timeout.
    std::chrono::steady_clock::time_point down_until{};
  };

  void work();
  void watch(Source& source);
  void publish(std::string id, std::shared_ptr<const ContainerInfo> info);
  void enqueue(std::string id);
  // Queues a lookup unless one was asked for within the retry interval.
  void ask(std::string id);
  // Logs one warning per outage of `source`.
  void note_unreachable(Source& source, const std::string& why) const;
  void note_reachable(Source& source) const;

  ContainersConfig config_;
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Source>> sources_;

  // Shared with the background threads and the views.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  // Found metadata; a view copies it when the generation moved.
  std::unordered_map<std::string, std::shared_ptr<const ContainerInfo>> known_;
  std::atomic<uint64_t> generation_{0};
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> asked_;
  mutable std::mutex stats_mutex_;
  mutable RegistryStats stats_;
  std::vector<std::thread> threads_;
};

}  // namespace rtsec::container
