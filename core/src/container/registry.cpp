// SPDX-License-Identifier: Apache-2.0
#include "rtsec/container/registry.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

namespace rtsec::container {
namespace {

constexpr auto kMinBackoff = std::chrono::seconds(1);
constexpr auto kMaxBackoff = std::chrono::seconds(30);
constexpr std::chrono::milliseconds kDownFor(5000);

}  // namespace

Registry::Registry(ContainersConfig config) : config_(std::move(config)) {
  if (!config_.enabled) return;
  for (const auto& e : config_.endpoints) {
    if (e.socket.empty()) continue;
    sources_.push_back(std::make_unique<Source>(
        DockerClient(e.socket, e.runtime, config_.lookup_timeout, &stop_)));
  }
  if (sources_.empty()) return;
  threads_.emplace_back([this] { work(); });
  if (config_.watch_events)
    for (auto& s : sources_) threads_.emplace_back([this, src = s.get()] { watch(*src); });
}

Registry::~Registry() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void Registry::View::refresh() {
  if (registry_.generation_.load(std::memory_order_acquire) == generation_) return;
  std::lock_guard lock(registry_.mutex_);
  known_ = registry_.known_;
  generation_ = registry_.generation_.load(std::memory_order_relaxed);
}

const ContainerInfo* Registry::View::find(std::string_view full_id) {
  if (registry_.sources_.empty() || full_id.empty()) return nullptr;
  // Heterogeneous lookup would avoid this copy; ids are short and found ones are cached.
  std::string id(full_id);
  if (const auto it = known_.find(id); it != known_.end()) return it->second.get();
  registry_.ask(std::move(id));
  return nullptr;
}

void Registry::View::request(std::string_view full_id) {
  if (registry_.sources_.empty() || full_id.empty()) return;
  std::string id(full_id);
  if (known_.count(id)) return;
  registry_.ask(std::move(id));
}

void Registry::ask(std::string id) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (known_.count(id)) return;  // found since the asking view's last refresh
    if (const auto it = asked_.find(id); it != asked_.end() && now - it->second < config_.retry)
      return;
    if (asked_.size() >= config_.max_containers) asked_.clear();
    asked_[id] = now;
  }
  enqueue(std::move(id));
}

void Registry::enqueue(std::string id) {
  {
    std::lock_guard lock(mutex_);
    if (std::find(queue_.begin(), queue_.end(), id) != queue_.end()) return;
    queue_.push_back(std::move(id));
  }
  wake_.notify_all();
}

void Registry::publish(std::string id, std::shared_ptr<const ContainerInfo> info) {
  std::lock_guard lock(mutex_);
  asked_.erase(id);
  if (!info) {
    known_.erase(id);
  } else {
    if (known_.size() >= config_.max_containers) known_.clear();  // rare: a huge host
    known_[std::move(id)] = std::move(info);
  }
  generation_.fetch_add(1, std::memory_order_release);
}

void Registry::note_unreachable(Source& source, const std::string& why) const {
  if (source.warned.exchange(true)) return;
  if (access(source.client.socket_path().c_str(), F_OK) != 0) {
    // Not installed here (podman on a Docker host): worth a line, not a warning.
    spdlog::info("container metadata: no {} API socket at {}", runtime_name(source.client.runtime()),
                 source.client.socket_path());
    return;
  }
  spdlog::warn(
      "container metadata: {} API at {} does not answer ({}): container names, images and "
      "labels read <NA> until it does",
      runtime_name(source.client.runtime()), source.client.socket_path(), why);
}

void Registry::note_reachable(Source& source) const {
  if (source.warned.exchange(false))
    spdlog::info("container metadata: {} API at {} answers again",
                 runtime_name(source.client.runtime()), source.client.socket_path());
}

void Registry::work() {
  for (;;) {
    std::string id;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      id = std::move(queue_.front());
      queue_.pop_front();
    }
    bool found = false;
    for (auto& source : sources_) {
      if (std::chrono::steady_clock::now() < source->down_until) continue;
      Lookup r = source->client.inspect(id);
      {
        std::lock_guard lock(stats_mutex_);
        ++stats_.lookups;
        if (r.outcome == LookupOutcome::kUnreachable) ++stats_.unreachable;
      }
      if (stop_) return;
      if (r.outcome == LookupOutcome::kUnreachable) {
        note_unreachable(*source, r.error);
        source->down_until = std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(kDownFor, config_.retry);
        continue;
      }
      note_reachable(*source);
      if (r.outcome == LookupOutcome::kBadAnswer)
        spdlog::debug("container metadata: {} about {}: {}", source->client.socket_path(), id,
                      r.error);
      if (r.outcome != LookupOutcome::kFound) continue;
      found = true;
      r.info.id = id;  // asked by full id: the key the event thread uses
      publish(id, std::make_shared<const ContainerInfo>(std::move(r.info)));
      break;
    }
    std::lock_guard lock(stats_mutex_);
    ++(found ? stats_.found : stats_.not_found);
  }
}

void Registry::watch(Source& source) {
  auto backoff = std::chrono::duration_cast<std::chrono::milliseconds>(kMinBackoff);
  while (!stop_) {
    bool answered = false;
    const std::string why =
        source.client.watch_events([&](std::string_view action, std::string_view id) {
          answered = true;
          {
            std::lock_guard lock(stats_mutex_);
            ++stats_.events;
          }
          if (action == "destroy") {
            publish(std::string(id), nullptr);
          } else {  // start, rename: (re)inspect
            enqueue(std::string(id));
          }
        });
    if (stop_) return;
    if (answered) backoff = kMinBackoff;
    spdlog::debug("container metadata: {} event stream: {}", source.client.socket_path(), why);
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, backoff, [&] { return stop_.load(); });
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
  }
}

Lookup lookup_container(const ContainersConfig& config, std::string_view id_or_name) {
  // Not found when a runtime answered so; otherwise why none could say.
  Lookup failed, not_found;
  failed.error = "no container runtime configured";
  not_found.outcome = LookupOutcome::kNotFound;
  bool answered = false;
  if (!config.enabled) return failed;
  for (const auto& e : config.endpoints) {
    if (e.socket.empty()) continue;
    Lookup r = DockerClient(e.socket, e.runtime, config.lookup_timeout).inspect(id_or_name);
    if (r.outcome == LookupOutcome::kFound) return r;
    if (r.outcome == LookupOutcome::kNotFound) {
      answered = true;
    } else {
      failed = std::move(r);
    }
  }
  return answered ? not_found : failed;
}

RegistryStats Registry::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

}  // namespace rtsec::container
