// SPDX-License-Identifier: Apache-2.0
#include "rtsec/engine/partitioned_engine.hpp"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace rtsec::engine {
namespace {

// A batch holds at least this many bytes of events; it never grows past its first
// allocation, so the event views into it stay valid.
constexpr size_t kMinBatchBytes = 4 * RTSEC_MAX_EVENT_LEN;
constexpr auto kStateStatsInterval = std::chrono::seconds(1);
// How uneven the events given to the workers may be (the busiest less the idlest, as a
// share of all) before a process moves.
constexpr uint64_t kImbalancePercent = 10;

}  // namespace

struct PartitionedEngine::Item {
  DecodedEvent ev;  // a view into its batch's bytes
  uint64_t seq;     // position in the whole stream
  bool keeper;      // this worker keeps the event's process: it evaluates the rules
  // A fork: the workers that keep the process copied and the child; -1 otherwise.
  int source_worker = -1;
  int child_worker = -1;
  // Not an event: process `moving` goes from worker source_worker to child_worker.
  pid_t moving = 0;
};

struct PartitionedEngine::Batch {
  std::vector<std::byte> bytes;
  std::vector<Item> items;
  std::shared_ptr<const Ruleset> ruleset;
};

struct PartitionedEngine::Worker {
  unsigned index = 0;
  std::unique_ptr<state::State> state;
  std::unique_ptr<Engine> engine;
  // The processes this worker keeps, as far as its state asks (exec, fork, restore).
  std::unordered_set<pid_t> kept;

  // The caller's side.
  std::unique_ptr<Batch> filling;
  uint64_t passed = 0;  // events appended
  double looked_cpu = 0;     // at the last rebalance(): the thread's CPU seconds,
  uint64_t looked_done = 0;  // and the events it had processed

  std::mutex mutex;
  std::condition_variable wake;  // to the worker: a batch is queued, or stop
  std::condition_variable room;  // to the caller: a batch was processed
  std::deque<std::unique_ptr<Batch>> queue;
  std::vector<std::unique_ptr<Batch>> spare;
  std::atomic<uint64_t> done{0};  // events processed
  bool stop = false;

  mutable std::mutex stats_mutex;
  EngineStats stats;
  state::Stats state_stats;
  std::chrono::steady_clock::time_point state_stats_at{};

  clockid_t cpu_clock{};
  std::thread thread;
};

// Where workers meet: how far each got through the process-tree events (which all of
// them see), and process images on their way to another worker (a forking process's to
// its child's worker, a moving process's to its new one), by the seq of that point.
struct PartitionedEngine::Crossing {
  std::mutex mutex;
  std::condition_variable moved;
  std::vector<uint64_t> reached;
  std::unordered_map<uint64_t, std::optional<state::Process>> images;
};

PartitionedEngine::PartitionedEngine(PartitionOptions options, Engine::AlertSink sink,
                                     Engine::MatchHook hook)
    : options_(std::move(options)),
      sink_(std::move(sink)),
      hook_(std::move(hook)),
      crossing_(std::make_unique<Crossing>()) {
  const unsigned n = std::max(1u, options_.threads);
  options_.batch_events = std::max<size_t>(1, options_.batch_events);
  options_.queue_batches = std::max<size_t>(1, options_.queue_batches);
  options_.rebalance_events = std::max<uint64_t>(1, options_.rebalance_events);
  crossing_->reached.assign(n, 0);
  // One worker at a time reaches the outputs and the enforcer.
  auto alert_mutex = std::make_shared<std::mutex>();
  auto locked_sink = [this, alert_mutex](output::Alert&& alert) {
    std::lock_guard lock(*alert_mutex);
    sink_(std::move(alert));
  };
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    w->state = std::make_unique<state::State>(options_.state);
    if (n > 1) w->state->set_keeper([w = w.get()](pid_t pid) { return w->kept.count(pid) > 0; });
    w->state->set_containers(options_.containers);
    w->engine = std::make_unique<Engine>(*w->state, written_, locked_sink, options_.match_all);
    if (hook_)
      w->engine->set_match_hook([this, alert_mutex](const ActiveRule& rule, const DecodedEvent& ev,
                                                    output::Alert& alert) {
        std::lock_guard lock(*alert_mutex);
        hook_(rule, ev, alert);
      });
    workers_.push_back(std::move(w));
  }
  if (n == 1) return;
  for (auto& w : workers_) {
    w->thread = std::thread([this, w = w.get()] { run(*w); });
    pthread_getcpuclockid(w->thread.native_handle(), &w->cpu_clock);
    // As top -H and perf show it.
    pthread_setname_np(w->thread.native_handle(), ("rtsec-engine-" + std::to_string(w->index)).c_str());
  }
}

PartitionedEngine::~PartitionedEngine() {
  drain();
  for (auto& w : workers_) {
    if (!w->thread.joinable()) continue;
    {
      std::lock_guard lock(w->mutex);
      w->stop = true;
    }
    w->wake.notify_one();
    w->thread.join();
  }
}

unsigned PartitionedEngine::threads() const { return static_cast<unsigned>(workers_.size()); }

PartitionedEngine::Assignment& PartitionedEngine::assign(pid_t pid) {
  if (const auto it = assigned_.find(pid); it != assigned_.end()) return it->second;
  // To the worker with the least work waiting (the next in turn on a tie); rebalance()
  // moves it later if its worker turns out the busiest.
  int best = -1;
  uint64_t least = UINT64_MAX;
  for (size_t k = 0; k < workers_.size(); ++k) {
    const size_t i = (next_ + k) % workers_.size();
    const Worker& w = *workers_[i];
    const uint64_t backlog = w.passed - w.done.load(std::memory_order_relaxed);
    if (backlog < least) {
      least = backlog;
      best = static_cast<int>(i);
    }
  }
  next_ = (static_cast<size_t>(best) + 1) % workers_.size();
  if (assigned_.size() >= options_.state.max_processes) assigned_.clear();  // missed exits
  return assigned_.emplace(pid, Assignment{best, 0}).first->second;
}

void PartitionedEngine::rebalance() {
  // A worker's load: the events it was given (recent ones counting most), each at what an event
  // cost that worker meanwhile (its CPU time over the events it processed): processes
  // differ in what their events cost under the rules.
  std::vector<double> cost(workers_.size(), 0);
  double known_cost = 0;
  size_t measured = 0;
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    const double cpu = thread_cpu_seconds(w);
    const uint64_t done = w.done.load(std::memory_order_relaxed);
    if (done > w.looked_done && cpu > w.looked_cpu) {
      cost[i] = (cpu - w.looked_cpu) / static_cast<double>(done - w.looked_done);
      known_cost += cost[i];
      ++measured;
    }
    w.looked_cpu = cpu;
    w.looked_done = done;
  }
  // A worker that processed nothing meanwhile is taken to cost what the others did.
  for (double& c : cost)
    if (c == 0) c = measured ? known_cost / static_cast<double>(measured) : 1;
  std::vector<double> load(workers_.size(), 0);
  double total = 0;
  for (const auto& [pid, a] : assigned_) {
    load[a.worker] += static_cast<double>(a.events) * cost[a.worker];
    total += static_cast<double>(a.events) * cost[a.worker];
  }
  const auto busiest = std::max_element(load.begin(), load.end()) - load.begin();
  const auto idlest = std::min_element(load.begin(), load.end()) - load.begin();
  const double gap = load[busiest] - load[idlest];
  // The process of the busiest worker that best closes the gap without overshooting it.
  pid_t move = 0;
  double moved_load = 0;
  if (gap * 100 > total * kImbalancePercent) {
    for (const auto& [pid, a] : assigned_) {
      const double l = static_cast<double>(a.events) * cost[busiest];
      if (a.worker == busiest && l <= gap * 0.75 && l > moved_load) {
        move = pid;
        moved_load = l;
      }
    }
  }
  // Halved rather than forgotten: a process's share is judged over several looks, as the
  // scheduler runs busy processes by turns.
  for (auto& [pid, a] : assigned_) a.events /= 2;
  if (move == 0) return;
  assigned_[move].worker = static_cast<int>(idlest);
  ++migrations_;
  // Both workers meet at this point of the stream: the process's state goes across, and
  // its later events go to the new worker, behind this.
  const uint64_t seq = ++seq_;
  for (const auto w : {busiest, idlest}) {
    Item item{DecodedEvent{}, seq, false, static_cast<int>(busiest), static_cast<int>(idlest), move};
    enqueue(*workers_[w], std::move(item), {});
    hand_over(*workers_[w]);
  }
}

std::optional<int> PartitionedEngine::worker_of(pid_t pid) const {
  if (workers_.size() == 1) return 0;
  const auto it = assigned_.find(pid);
  return it == assigned_.end() ? std::nullopt : std::optional(it->second.worker);
}

void PartitionedEngine::seed_from_proc() {
  if (workers_.size() == 1) {
    workers_[0]->state->seed_from_proc();
    return;
  }
  // Read /proc once; each worker takes every process, and the fds of those it keeps.
  state::State all(options_.state);
  all.seed_from_proc();
  all.for_each_process([&](const state::Process& p) { restore(p); });
}

bool PartitionedEngine::restore(const state::Process& p) {
  if (workers_.size() > 1) workers_[assign(p.pid).worker]->kept.insert(p.pid);
  bool ok = true;
  for (auto& w : workers_) ok = w->state->restore(p) && ok;
  return ok;
}

void PartitionedEngine::set_scope(Engine::Scope scope) {
  for (auto& w : workers_) w->engine->set_scope(scope);
}

void PartitionedEngine::set_boot_to_wall_ns(int64_t offset) {
  for (auto& w : workers_) w->engine->set_boot_to_wall_ns(offset);
}

void PartitionedEngine::set_ruleset(std::shared_ptr<const Ruleset> ruleset) {
  ruleset_ = std::move(ruleset);
  if (workers_.size() == 1) return workers_[0]->engine->set_ruleset(ruleset_);
  flush();  // events already passed keep the ruleset they were passed under
}

void PartitionedEngine::process(const DecodedEvent& ev) {
  if (workers_.size() == 1) return workers_[0]->engine->process(ev);
  if (++since_rebalance_ >= options_.rebalance_events) {
    since_rebalance_ = 0;
    rebalance();
  }
  const uint64_t seq = ++seq_;
  const uint16_t type = ev.header().type;
  const pid_t pid = static_cast<pid_t>(ev.header().pid);
  Assignment& a = assign(pid);
  ++a.events;
  const int keeper = a.worker;
  if (!state::changes_process_tree(type)) {
    enqueue(*workers_[keeper], Item{ev, seq, true}, ev.bytes());
    return;
  }
  int source = -1, child = -1;
  if (const auto fork = state::fork_parties(ev); fork && !fork->thread) {
    source = assign(fork->source).worker;
    child = assign(fork->child).worker;
  }
  for (size_t i = 0; i < workers_.size(); ++i)
    enqueue(*workers_[i], Item{ev, seq, static_cast<int>(i) == keeper, source, child}, ev.bytes());
  if (type == RTSEC_EVT_PROCEXIT && ev.header().tid == ev.header().pid) assigned_.erase(pid);
  // A fork or an exec makes a worker wait for the others to reach it: it must be on its way.
  if (state::is_fork(type) || state::is_exec(type)) flush();
}

void PartitionedEngine::enqueue(Worker& w, Item item, std::span<const std::byte> bytes) {
  if (w.filling && (w.filling->items.size() >= options_.batch_events ||
                    w.filling->bytes.size() + bytes.size() > w.filling->bytes.capacity()))
    hand_over(w);
  if (!w.filling) {
    {
      std::lock_guard lock(w.mutex);
      if (!w.spare.empty()) {
        w.filling = std::move(w.spare.back());
        w.spare.pop_back();
      }
    }
    if (!w.filling) {
      w.filling = std::make_unique<Batch>();
      w.filling->bytes.reserve(std::max(kMinBatchBytes, options_.batch_events * 512));
      w.filling->items.reserve(options_.batch_events);
    }
    w.filling->ruleset = ruleset_;
  }
  Batch& b = *w.filling;
  if (!bytes.empty()) {
    const size_t offset = b.bytes.size();
    b.bytes.insert(b.bytes.end(), bytes.begin(), bytes.end());  // within capacity: no move
    item.ev = item.ev.rebased(std::span(b.bytes).subspan(offset, bytes.size()));
  }
  b.items.push_back(std::move(item));
  ++w.passed;
}

void PartitionedEngine::hand_over(Worker& w) {
  if (!w.filling || w.filling->items.empty()) return;
  {
    std::unique_lock lock(w.mutex);
    w.room.wait(lock, [&] { return w.queue.size() < options_.queue_batches; });
    w.queue.push_back(std::move(w.filling));
  }
  w.wake.notify_one();
}

void PartitionedEngine::flush() {
  if (workers_.size() == 1) return;
  for (auto& w : workers_) hand_over(*w);
}

void PartitionedEngine::drain() {
  if (workers_.size() == 1) return;
  flush();
  for (auto& w : workers_) {
    std::unique_lock lock(w->mutex);
    w->room.wait(lock, [&] { return w->done == w->passed; });
  }
}

void PartitionedEngine::run(Worker& w) {
  for (;;) {
    std::unique_ptr<Batch> b;
    {
      std::unique_lock lock(w.mutex);
      w.wake.wait(lock, [&] { return !w.queue.empty() || w.stop; });
      if (w.queue.empty()) return;
      b = std::move(w.queue.front());
      w.queue.pop_front();
    }
    if (b->ruleset != w.engine->ruleset()) w.engine->set_ruleset(b->ruleset);
    for (const auto& item : b->items) handle(w, item);
    const size_t n = b->items.size();
    b->items.clear();
    b->bytes.clear();
    b->ruleset.reset();
    publish_stats(w, std::chrono::steady_clock::now() >= w.state_stats_at + kStateStatsInterval);
    {
      std::lock_guard lock(w.mutex);
      w.done.fetch_add(n, std::memory_order_relaxed);
      w.spare.push_back(std::move(b));
    }
    w.room.notify_all();
  }
}

void PartitionedEngine::move_process(Worker& w, const Item& item) {
  Crossing& x = *crossing_;
  if (item.source_worker == static_cast<int>(w.index)) {
    state::Process* p = w.state->process(item.moving);
    {
      std::lock_guard lock(x.mutex);
      x.images[item.seq] = p ? std::optional(*p) : std::nullopt;
    }
    x.moved.notify_all();
    w.kept.erase(item.moving);
    if (p) p->fds.clear();  // what is left is the process tree's copy
    return;
  }
  std::optional<state::Process> image;
  {
    std::unique_lock lock(x.mutex);
    x.moved.wait(lock, [&] { return x.images.count(item.seq) > 0; });
    auto it = x.images.find(item.seq);
    image = std::move(it->second);
    x.images.erase(it);
  }
  w.kept.insert(item.moving);
  if (image) w.state->restore(std::move(*image));
}

void PartitionedEngine::handle(Worker& w, const Item& item) {
  if (item.moving) return move_process(w, item);
  const DecodedEvent& ev = item.ev;
  const uint16_t type = ev.header().type;
  if (!state::changes_process_tree(type)) return w.engine->process(ev);  // only its keeper has it

  const pid_t pid = static_cast<pid_t>(ev.header().pid);
  const int me = static_cast<int>(w.index);
  if (item.keeper) w.kept.insert(pid);
  Crossing& x = *crossing_;
  std::optional<state::ForkParties> fork;
  if (item.child_worker >= 0) {
    fork = state::fork_parties(ev);
    if (item.child_worker == me) w.kept.insert(fork->child);
  }
  {
    std::lock_guard lock(x.mutex);
    if (item.source_worker == me && item.child_worker != me) {
      const state::Process* p = fork->source > 0 ? w.state->find_or_load(fork->source) : nullptr;
      x.images[item.seq] = p ? std::optional(*p) : std::nullopt;
    }
    x.reached[w.index] = item.seq;
  }
  x.moved.notify_all();
  if (item.child_worker == me && item.source_worker != me) {
    std::unique_lock lock(x.mutex);
    x.moved.wait(lock, [&] { return x.images.count(item.seq) > 0; });
    auto it = x.images.find(item.seq);
    w.state->use_fork_image(std::move(it->second));
    x.images.erase(it);
  }
  if (item.keeper && state::is_exec(type)) {
    // Every event before the exec is processed: a file written just before is seen written.
    std::unique_lock lock(x.mutex);
    x.moved.wait(lock, [&] {
      return std::all_of(x.reached.begin(), x.reached.end(),
                         [&](uint64_t r) { return r >= item.seq; });
    });
  }
  item.keeper ? w.engine->process(ev) : w.engine->follow(ev);
  if (type == RTSEC_EVT_PROCEXIT && ev.header().tid == ev.header().pid) w.kept.erase(pid);
}

void PartitionedEngine::publish_stats(Worker& w, bool with_state) {
  std::lock_guard lock(w.stats_mutex);
  w.stats = w.engine->stats();
  if (!with_state) return;
  w.state_stats = w.state->stats();
  w.state_stats_at = std::chrono::steady_clock::now();
}

EngineStats PartitionedEngine::stats() const {
  if (workers_.size() == 1) return workers_[0]->engine->stats();
  EngineStats sum;
  for (const auto& w : workers_) {
    std::lock_guard lock(w->stats_mutex);
    sum.events += w->stats.events;
    sum.evaluations += w->stats.evaluations;
    sum.alerts += w->stats.alerts;
    for (const auto& [rule, n] : w->stats.alerts_by_rule) sum.alerts_by_rule[rule] += n;
  }
  return sum;
}

state::Stats PartitionedEngine::state_stats() const {
  if (workers_.size() == 1) return workers_[0]->state->stats();
  state::Stats sum;
  for (const auto& w : workers_) {
    std::lock_guard lock(w->stats_mutex);
    const state::Stats& s = w->state_stats;
    sum.processes = std::max(sum.processes, s.processes);  // every worker knows every one
    sum.threads = std::max(sum.threads, s.threads);
    sum.fds += s.fds;  // each keeps its own processes'
    sum.loaded_from_proc += s.loaded_from_proc;
    sum.purged += s.purged;
    sum.table_full += s.table_full;
  }
  return sum;
}

std::vector<uint64_t> PartitionedEngine::backlogs() const {
  std::vector<uint64_t> out;
  if (workers_.size() == 1) return out;
  for (const auto& w : workers_) out.push_back(w->passed - w->done.load(std::memory_order_relaxed));
  return out;
}

double PartitionedEngine::thread_cpu_seconds(const Worker& w) {
  timespec ts{};
  if (!w.thread.joinable() || clock_gettime(w.cpu_clock, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double PartitionedEngine::worker_cpu_seconds() const {
  double sum = 0;
  for (const auto& w : workers_) sum += thread_cpu_seconds(*w);
  return sum;
}

}  // namespace rtsec::engine
