// SPDX-License-Identifier: Apache-2.0
// The engine on several threads. Events are partitioned by process: all of a process's
// events go to one worker, in stream order, and that worker keeps the process's fds and
// evaluates the rules on its events. A process is given, when first seen, to the worker
// with the least work waiting; when the workers' loads drift apart, the busiest hands one
// of its processes (state included) to the idlest. What crosses partitions:
//  - the process tree: fork, exec, exit and identity events reach every worker, so each
//    can name any process's parent and ancestors (proc.pname, proc.aname ...);
//  - a fork whose child another worker keeps than its creator's: the creator's worker
//    hands its copy of the creator (fds, cwd) to the child's, which waits for it at that
//    point of the stream;
//  - written files (proc.is_exe_written) are shared, and an exec waits until every worker
//    has processed every event before it, so a write is seen by any exec that follows it.
// With one thread, events are processed on the caller's thread, with no copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>

#include "rtsec/engine/engine.hpp"
#include "rtsec/state/state.hpp"
#include "rtsec/state/written_files.hpp"

namespace rtsec::container {
class Registry;
}

namespace rtsec::engine {

struct PartitionOptions {
  unsigned threads = 1;
  bool match_all = false;  // rule_matching: all
  state::Options state;
  container::Registry* containers = nullptr;  // not owned; null: no container metadata
  size_t batch_events = 256;  // events handed to a worker at once
  size_t queue_batches = 64;  // batches waiting per worker before process() blocks
  uint64_t rebalance_events = 65536;  // events between two comparisons of the workers' loads
};

class PartitionedEngine {
 public:
  // The sink and the hook are called by one worker at a time; the scope by every worker,
  // with that worker's state.
  PartitionedEngine(PartitionOptions options, Engine::AlertSink sink, Engine::MatchHook hook = {});
  ~PartitionedEngine();  // processes what was passed, then stops the workers
  PartitionedEngine(const PartitionedEngine&) = delete;
  PartitionedEngine& operator=(const PartitionedEngine&) = delete;

  // --- Before the first event ---
  void seed_from_proc();
  // A process as recorded elsewhere (a capture's snapshot); false when the table is full.
  bool restore(const state::Process& p);
  void set_scope(Engine::Scope scope);
  void set_boot_to_wall_ns(int64_t offset);

  // --- The caller's thread (one) ---
  // Takes effect from the next event passed to process().
  void set_ruleset(std::shared_ptr<const Ruleset> ruleset);
  const std::shared_ptr<const Ruleset>& ruleset() const { return ruleset_; }
  // Copies `ev` to the worker that keeps its process (to every worker when it changes the
  // process tree); blocks while that worker's queue is full.
  void process(const DecodedEvent& ev);
  // Hands what is queued to the workers now: between driver batches, so that a quiet
  // stream does not hold events back.
  void flush();
  // Returns once every event passed so far is processed.
  void drain();

  unsigned threads() const;
  // The worker that keeps process `pid`, as assigned so far (the caller's thread).
  std::optional<int> worker_of(pid_t pid) const;
  // Summed over the workers, as of their last batch.
  EngineStats stats() const;
  // Processes (each worker knows every one), threads, and the fds the workers keep.
  state::Stats state_stats() const;
  // Events passed and not yet processed, per worker (empty with one thread).
  std::vector<uint64_t> backlogs() const;
  // Processes moved from one worker to another to even out their load.
  uint64_t migrations() const { return migrations_; }
  // CPU time of the worker threads; 0 with one thread (the caller's thread does the work).
  double worker_cpu_seconds() const;

 private:
  struct Worker;
  struct Item;
  struct Batch;
  struct Crossing;

  struct Assignment {
    int worker;
    uint64_t events;  // given to it, halved at each rebalance()
  };
  Assignment& assign(pid_t pid);
  // Moves a process from the busiest worker to the idlest when their loads drift apart.
  void rebalance();
  void enqueue(Worker& w, Item item, std::span<const std::byte> bytes);
  void move_process(Worker& w, const Item& item);
  static double thread_cpu_seconds(const Worker& w);
  void hand_over(Worker& w);
  void run(Worker& w);
  void handle(Worker& w, const Item& item);
  void publish_stats(Worker& w, bool with_state);

  PartitionOptions options_;
  Engine::AlertSink sink_;
  Engine::MatchHook hook_;
  std::shared_ptr<const Ruleset> ruleset_;
  state::WrittenFiles written_;
  std::unique_ptr<Crossing> crossing_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unordered_map<pid_t, Assignment> assigned_;  // process -> the worker that keeps it
  size_t next_ = 0;                                 // the next worker in turn
  uint64_t since_rebalance_ = 0;
  uint64_t migrations_ = 0;
  uint64_t seq_ = 0;
};

}  // namespace rtsec::engine
