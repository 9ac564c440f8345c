// SPDX-License-Identifier: Apache-2.0
// `rtsec` / `rtsec run`: detection. Rules from rtsec.yaml (or -r), events from
// the configured driver, alerts to the configured outputs.
#include "run_command.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <set>

#include "capture_session.hpp"
#include "ops_monitor.hpp"
#include "rtsec/container/registry.hpp"
#include "rtsec/enforcement/enforcer.hpp"
#include "replay_session.hpp"
#include "rtsec/engine/partitioned_engine.hpp"
#include "rtsec/engine/field.hpp"
#include "rtsec/engine/ruleset.hpp"
#include "rtsec/metrics/ops_config.hpp"
#include "rtsec/event_table.hpp"
#include "rtsec/output/dispatcher.hpp"
#include "rtsec/output/outputs_config.hpp"
#include "rtsec/rules/priority.hpp"
#include "rtsec/state/state.hpp"

namespace rtsec::cli {
namespace {

using engine::RulesetLoad;

// What the rules ask for, and what the process and fd state follow.
std::vector<uint16_t> capture_set(const engine::Ruleset& ruleset) {
  std::set<uint16_t> set;
  for (uint16_t t : ruleset.event_types()) set.insert(t);
  for (uint16_t t : state::required_events()) set.insert(t);
  return {set.begin(), set.end()};
}

// Errors always; warnings counted, and listed when there are few.
void report(const RulesetLoad& load, bool all_warnings) {
  const auto& r = load.result;
  size_t shown = 0;
  for (const auto& d : r.diagnostics) {
    if (!d.error && !all_warnings && shown >= 10) continue;
    std::fprintf(stderr, "%s\n", d.to_string().c_str());
    if (!d.error) ++shown;
  }
  if (!all_warnings && r.n_warnings() > shown)
    std::fprintf(stderr, "rtsec: %zu more warnings (rtsec -V FILE lists them all)\n",
                 r.n_warnings() - shown);
  for (const auto& note : load.notes) spdlog::warn("{}", note);
}

std::vector<std::filesystem::path> rules_paths(const RunOptions& o, const Config& config) {
  if (!o.rules_paths.empty()) return {o.rules_paths.begin(), o.rules_paths.end()};
  if (!config.rules_files.empty()) return config.rules_files;
  return {engine::default_rules_path()};
}

int validate(const RunOptions& o, const Config& config) {
  int status = 0;
  for (const auto& file : o.validate) {
    const std::filesystem::path path = file;
    auto load = engine::load_ruleset({&path, 1}, config.rules, engine::default_field_registry());
    report(load, true);
    const auto& r = load.result;
    std::printf("%s: %s (%zu rules, %zu macros, %zu lists; %zu errors, %zu warnings)\n",
                file.c_str(), r.ok() ? "Ok" : "Invalid", r.rules.size(), r.n_macros, r.n_lists,
                r.n_errors(), r.n_warnings());
    if (!r.ok()) status = 1;
  }
  return status;
}

int list_fields() {
  for (const auto& f : engine::default_field_registry().fields())
    std::printf("%-36s %-8s %s\n", std::string(f.name).c_str(),
                std::string(engine::field_type_name(f.type)).c_str(),
                std::string(f.description).c_str());
  return 0;
}

int list_rules(const engine::RulesetLoad& load, const std::optional<std::string>& only) {
  bool found = false;
  for (const auto& rule : load.result.rules) {
    if (only && rule.name != *only) continue;
    found = true;
    std::printf("%s\n  priority: %s%s\n  source: %s\n  tags: ", rule.name.c_str(),
                std::string(rules::priority_name(rule.priority)).c_str(),
                rule.enabled ? "" : " (disabled)", rule.source.c_str());
    for (size_t i = 0; i < rule.tags.size(); ++i)
      std::printf("%s%s", i ? ", " : "", rule.tags[i].c_str());
    std::printf("\n  desc: %s\n", rule.desc.c_str());
    if (only) std::printf("  condition: %s\n  output: %s\n", rule.condition.c_str(),
                          rule.output.c_str());
  }
  if (only && !found) {
    spdlog::error("no rule named '{}'", *only);
    return 1;
  }
  return 0;
}

// SIGHUP: the rules load on another thread while events keep flowing; the
// new set replaces the old one between two batches, or not at all.
class RulesReloader {
 public:
  RulesReloader(std::vector<std::filesystem::path> paths, std::vector<RuleSelector> selectors)
      : paths_(std::move(paths)), selectors_(std::move(selectors)) {}

  void request() {
    if (pending_.valid()) return;  // one reload at a time
    spdlog::info("SIGHUP: reloading rules");
    pending_ = std::async(std::launch::async, [paths = paths_, sel = selectors_] {
      return engine::load_ruleset(paths, sel, engine::default_field_registry());
    });
  }

  // The new ruleset once it is ready and valid.
  std::shared_ptr<const engine::Ruleset> take_ready() {
    if (!pending_.valid() ||
        pending_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
      return nullptr;
    auto load = pending_.get();
    if (!load.ruleset) {
      report(load, false);
      spdlog::error("rules not reloaded: the files have errors; the previous rules keep running");
      return nullptr;
    }
    spdlog::info("rules reloaded: {} enabled rules", load.ruleset->rules().size());
    return load.ruleset;
  }

 private:
  std::vector<std::filesystem::path> paths_;
  std::vector<RuleSelector> selectors_;
  std::future<RulesetLoad> pending_;
};

// Compiles the enforcing rules of `ruleset` into the driver's policy and
// tells the enforcer what the driver took on.
void push_policy(const engine::Ruleset& ruleset, plugin::Driver& driver,
                 enforcement::Enforcer& enforcer) {
  auto policy = enforcement::compile_policy(ruleset, enforcer.mode());
  if (enforcer.mode() == EnforcementMode::kOff) {
    if (!policy.rules.empty())
      spdlog::info("enforcement is off: {} rules with actions only alert", policy.rules.size());
    enforcer.use(std::move(policy), {});
    return;
  }
  for (const auto& note : policy.notes) spdlog::warn("{}", note);
  std::vector<uint8_t> by;
  if (policy.table->n_rules > 0 || !policy.rules.empty()) {
    auto answer = driver.set_policy(*policy.table);
    if (!answer) {
      spdlog::warn("{}; every rule with actions is enforced after the match (post-hoc)",
                   answer.error().message);
    } else {
      by = std::move(*answer);
    }
  }
  const rtsec_policy& t = *policy.table;
  for (uint32_t row = 0; row < t.n_rules; ++row) {
    const uint8_t b = row < by.size() ? by[row] : uint8_t{RTSEC_ENFORCED_NONE};
    spdlog::info("rule '{}': {} {}", policy.rules[t.rules[row].rule_id]->rule.name,
                 t.rules[row].action == RTSEC_ACTION_DENY ? "deny" : "kill",
                 b == RTSEC_ENFORCED_NONE
                     ? "after the match (post-hoc): the " + std::string(driver.name()) +
                           " driver cannot decide this rule"
                     : "by the " + std::string(driver.name()) + " driver (" +
                           std::string(enforcement::enforced_by_name(b)) + ")");
  }
  enforcer.use(std::move(policy), by);
}

// The actions drivers took since the last call, as alerts.
void report_enforcements(plugin::Driver& driver, const enforcement::Enforcer& enforcer,
                         output::Dispatcher& outputs) {
  auto records = driver.enforcements();
  if (!records) {
    spdlog::warn("{}", records.error().message);
    return;
  }
  for (const auto& rec : *records)
    if (auto alert = enforcer.report(rec)) outputs.emit(std::move(*alert));
}

}  // namespace

int run_detection(const RunOptions& o) {
  auto overrides = o.overrides;
  if (o.json) overrides.push_back("outputs.json_output=true");
  auto config = load_cli_config(o.config_path, overrides);
  if (!config) {
    spdlog::error("{}", config.error().message);
    return 1;
  }
  if (o.list_fields) return list_fields();
  if (!o.validate.empty()) return validate(o, *config);

  const auto paths = rules_paths(o, *config);
  auto load = engine::load_ruleset(paths, config->rules, engine::default_field_registry());
  report(load, false);
  if (!load.ruleset) {
    spdlog::error("cannot run: the rules have errors");
    return 1;
  }
  if (o.list_rules || o.describe_rule) return list_rules(load, o.describe_rule);

  const YAML::Node outputs_node =
      config->root.IsMap() && config->root["outputs"] ? config->root["outputs"] : YAML::Node();
  auto outputs_config = output::parse_outputs_config(outputs_node, config->source);
  if (!outputs_config) {
    spdlog::error("{}", outputs_config.error().message);
    return 1;
  }
  auto outputs = output::Dispatcher::create(*outputs_config);
  if (!outputs) {
    spdlog::error("{}", outputs.error().message);
    return 1;
  }
  auto containers_config = container::parse_containers_config(
      config->root.IsMap() ? config->root["containers"] : YAML::Node(), config->source);
  if (!containers_config) {
    spdlog::error("{}", containers_config.error().message);
    return 1;
  }
  auto ops_config = metrics::parse_operations_config(config->root, config->source);
  if (!ops_config) {
    spdlog::error("{}", ops_config.error().message);
    return 1;
  }
  spdlog::info("{} rules loaded ({} enabled), {} macros, {} lists, from {} file(s)",
               load.result.rules.size(), load.ruleset->rules().size(), load.result.n_macros,
               load.result.n_lists, paths.size());
  if (o.dry_run) return 0;

  if (o.replay_file && !o.command.empty()) {
    spdlog::error("-e FILE replays a capture: it cannot also run a command (-- CMD)");
    return 2;
  }
  // A replayed capture's containers are not this host's runtime's to describe.
  if (o.replay_file) containers_config->enabled = false;
  container::Registry containers(*containers_config);
  enforcement::Enforcer enforcer(config->enforcement);
  engine::PartitionOptions partitions;
  partitions.threads = config->engine_threads;
  partitions.match_all = config->rule_matching_all;
  partitions.containers = &containers;
  if (o.replay_file) partitions.state = replay_state_options();
  engine::PartitionedEngine engine(
      std::move(partitions), [&](output::Alert&& alert) { (*outputs)->emit(std::move(alert)); },
      [&](const engine::ActiveRule& rule, const DecodedEvent& ev, output::Alert& alert) {
        enforcer.on_match(rule, ev, alert);
      });
  if (!o.replay_file) engine.seed_from_proc();
  engine.set_ruleset(load.ruleset);
  if (engine.threads() > 1) spdlog::info("engine: {} worker threads", engine.threads());

  RulesReloader reloader(paths, config->rules);
  // Between two batches (live) or two blocks (replay): signals and a reloaded ruleset.
  auto between_batches = [&](const std::function<void(const engine::Ruleset&)>& on_new_rules) {
    if (CaptureSession::take_reload_request()) reloader.request();
    if (CaptureSession::take_reopen_request()) (*outputs)->reopen();
    if (auto fresh = reloader.take_ready()) {
      if (on_new_rules) on_new_rules(*fresh);
      engine.set_ruleset(std::move(fresh));
    }
    engine.flush();
  };
  const auto on_event = [&](const DecodedEvent& ev) { engine.process(ev); };
  const bool json = outputs_config->format.json_output;

  int status = 0;
  if (o.replay_file) {
    ReplaySession replay(*o.replay_file);
    replay.on_clock([&](int64_t offset) { engine.set_boot_to_wall_ns(offset); });
    status = replay.run([&](state::Process&& p) { engine.restore(p); }, on_event,
                        [&] { between_batches({}); });
    engine.drain();
    (*outputs)->shutdown(std::chrono::milliseconds(outputs_config->output_timeout_ms));
    replay.print_stats(json);
  } else {
    auto session = CaptureSession::open(*config, {o.driver, std::nullopt, o.command},
                                        capture_set(*load.ruleset));
    if (!session) {
      spdlog::error("{}", session.error().message);
      return 1;
    }
    auto& capture = **session;
    push_policy(*load.ruleset, capture.driver(), enforcer);
    if (auto st = capture.start(); !st) {
      spdlog::error("{}", st.error().message);
      return 1;
    }
    auto ops = OpsMonitor::create(*ops_config);
    metrics::DropOrigins drop_origins;
    if (!ops) {
      spdlog::error("{}", ops.error().message);
      return 1;
    }
    if (const auto cmd = capture.command_pid()) {
      // -- CMD: only CMD and its descendants raise alerts.
      engine.set_scope([cmd = *cmd](const DecodedEvent& ev, state::State& state) {
        const state::Process* p = state.process(static_cast<pid_t>(ev.header().pid));
        for (int depth = 0; p && depth < 256; ++depth, p = state.parent(*p))
          if (p->pid == cmd) return true;
        return false;
      });
    }
    status = capture.run(on_event, [&] {
      between_batches([&](const engine::Ruleset& fresh) {
        if (auto st = capture.set_events(capture_set(fresh)); !st)
          spdlog::warn("{}", st.error().message);
        push_policy(fresh, capture.driver(), enforcer);
      });
      report_enforcements(capture.driver(), enforcer, **outputs);
      if ((*ops)->tick([&] { return gather_snapshot(capture, engine, **outputs, drop_origins); },
                       **outputs))
        CaptureSession::request_stop();
    });
    engine.drain();
    report_enforcements(capture.driver(), enforcer, **outputs);
    (*ops)->stopping();
    (*outputs)->shutdown(std::chrono::milliseconds(outputs_config->output_timeout_ms));
    capture.print_stats(json);
  }
  std::fprintf(stderr, "rtsec: %s\n", output::format_stats((*outputs)->stats()).c_str());
  const auto s = engine.stats();
  std::fprintf(stderr, "rtsec: %llu alerts from %llu events\n",
               static_cast<unsigned long long>(s.alerts),
               static_cast<unsigned long long>(s.events));
  if (engine.threads() > 1)
    std::fprintf(stderr, "rtsec: engine: %u worker threads, %llu processes moved between them\n",
                 engine.threads(), static_cast<unsigned long long>(engine.migrations()));
  return status;
}

}  // namespace rtsec::cli
