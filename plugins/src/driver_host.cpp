// SPDX-License-Identifier: Apache-2.0
#include "rtsec/plugin/driver_host.hpp"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <limits>
#include <optional>
#include <system_error>

namespace rtsec::plugin {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFilePrefix = "librtsec-driver-";
constexpr std::string_view kFileSuffix = ".so";
constexpr std::string_view kEntryPrefix = "rtsec_driver_api_v";
constexpr size_t kBatchSize = 256;
constexpr size_t kErrLen = 512;
constexpr size_t kMaxDropProcesses = 4096;  // as many as the eBPF probe remembers
constexpr __u32 kMaxCpus = 1u << 16;  // beyond any machine: a driver bug
constexpr int kMaxSymlinks = 40;      // the kernel's limit (ELOOP)

bool is_plain_name(std::string_view kind) {
  return !kind.empty() && kind.size() <= 64 && std::all_of(kind.begin(), kind.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string errno_text(int err) { return std::strerror(err); }

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// The trust rule for one directory entry met while resolving a path.
Status check_entry(const fs::path& checked, const fs::path& entry, const struct stat& st) {
  bool foreign_owner = st.st_uid != 0;
  // A symlink's own mode is always 0777 and never used: its directory is what counts.
  bool writable = !S_ISLNK(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  if (!foreign_owner && !writable) return Ok{};

  std::string problem, fix;
  if (foreign_owner && writable) {
    problem = "is not owned by root and is writable by group or others";
    fix = "run 'chown root " + entry.string() + " && chmod go-w " + entry.string() + "'";
  } else if (foreign_owner) {
    problem = "is not owned by root";
    fix = "run 'chown root " + entry.string() + "'";
  } else {
    problem = "is writable by group or others";
    fix = "run 'chmod go-w " + entry.string() + "'";
  }
  if (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && (st.st_mode & S_IWOTH)) {
    // A shared sticky directory (/tmp): anyone may create files there.
    fix =
        "move it to a directory only root can write, such as /usr/lib/rtsec (a plugin must "
        "not live under a shared directory like " +
        entry.string() + ")";
  }
  return make_error("refusing untrusted path " + checked.string() + ": " + entry.string() +
                        " (owner uid " + std::to_string(st.st_uid) + ", mode " +
                        mode_text(st.st_mode) + ") " + problem + "; " + fix,
                    EPERM);
}

std::string unknown_driver_message(const fs::path& dir, std::string_view kind) {
  auto kinds = available_drivers(dir);
  std::string msg = "unknown driver '" + std::string(kind) + "': ";
  if (kinds.empty()) return msg + "no driver plugins found in " + dir.string();
  msg += "available drivers in " + dir.string() + ": ";
  for (size_t i = 0; i < kinds.size(); ++i) msg += (i ? ", " : "") + kinds[i];
  return msg;
}

// Reads the plugin's exported aliases from the file itself: dlopen() would
// already run its constructors, so this happens first.
Status check_exports(const fs::path& file, std::string_view kind) {
  std::vector<std::string> aliases;
  try {
    boost::dll::library_info info(boost::dll::fs::path(file.native()));
    aliases = info.symbols("boostdll");
  } catch (const std::exception& e) {
    return make_error(file.string() + " is not an rtsec driver plugin: cannot read its symbols (" +
                          e.what() + ")",
                      ENOEXEC);
  }
  std::optional<std::string> other_version;
  for (const auto& alias : aliases) {
    if (alias == RTSEC_DRIVER_ENTRY_NAME) return Ok{};
    std::string_view name = alias;
    if (name.starts_with(kEntryPrefix) && name.size() > kEntryPrefix.size() &&
        std::all_of(name.begin() + kEntryPrefix.size(), name.end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      other_version = std::string(name.substr(kEntryPrefix.size()));
    }
  }
  if (other_version) {
    return make_error("driver '" + std::string(kind) + "' (" + file.string() +
                          ") implements plugin API v" + *other_version + ", this rtsec needs v" +
                          std::to_string(RTSEC_DRIVER_API_VERSION) +
                          ": install a matching rtsec and driver",
                      ENOEXEC);
  }
  return make_error(file.string() + " is not an rtsec driver plugin: it does not export " +
                        RTSEC_DRIVER_ENTRY_NAME,
                    ENOEXEC);
}

Status check_ops(const rtsec_driver_ops* ops, std::string_view kind, const fs::path& file) {
  auto prefix = "driver '" + std::string(kind) + "' (" + file.string() + ")";
  if (ops == nullptr) return make_error(prefix + " returned no driver operations", ENOEXEC);
  // The last member this host uses is close.
  constexpr size_t kNeeded = offsetof(rtsec_driver_ops, close) + sizeof(ops->close);
  if (ops->struct_size < kNeeded) {
    return make_error(prefix + " has a driver table of " + std::to_string(ops->struct_size) +
                          " bytes, this rtsec needs " + std::to_string(kNeeded) +
                          ": install a matching rtsec and driver",
                      ENOEXEC);
  }
  if (ops->abi_major != RTSEC_ABI_MAJOR) {
    return make_error("driver '" + std::string(kind) + "' emits event ABI " +
                          std::to_string(ops->abi_major) + "." + std::to_string(ops->abi_minor) +
                          " but this rtsec reads " + std::to_string(RTSEC_ABI_MAJOR) +
                          ".x: install a matching rtsec and driver",
                      EPROTO);
  }
  if (!ops->open || !ops->set_events || !ops->start || !ops->next_batch || !ops->stop ||
      !ops->stats || !ops->close) {
    return make_error(prefix + " leaves driver operations unset", ENOEXEC);
  }
  return Ok{};
}

// Shares the sinks and level of the default logger unless "driver.<kind>"
// was set up already.
std::shared_ptr<spdlog::logger> driver_logger(std::string_view kind) {
  auto name = "driver." + std::string(kind);
  if (auto logger = spdlog::get(name)) return logger;
  auto base = spdlog::default_logger();
  auto logger = base ? base->clone(name) : std::make_shared<spdlog::logger>(name);
  try {
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {  // registered meanwhile by another thread
    if (auto registered = spdlog::get(name)) return registered;
  }
  return logger;
}

// Called by plugin code, possibly from its own threads: nothing may escape.
void log_from_driver(void* ctx, rtsec_log_level level, const char* msg) noexcept {
  if (ctx == nullptr || msg == nullptr) return;
  try {
    auto* logger = static_cast<spdlog::logger*>(ctx);
    switch (level) {
      case RTSEC_LOG_DEBUG: logger->debug("{}", msg); break;
      case RTSEC_LOG_WARN: logger->warn("{}", msg); break;
      case RTSEC_LOG_ERROR: logger->error("{}", msg); break;
      default: logger->info("{}", msg); break;
    }
  } catch (...) {
  }
}

class LoadedDriver final : public Driver {
 public:
  LoadedDriver(boost::dll::shared_library library, const rtsec_driver_ops* ops, std::string kind,
               const std::map<std::string, std::string>& options)
      : library_(std::move(library)),
        ops_(ops),
        kind_(std::move(kind)),
        logger_(driver_logger(kind_)),
        option_text_(options),
        batch_(kBatchSize) {
    // The driver may keep the option pointers: they live as long as the handle.
    for (const auto& [key, value] : option_text_) {
      options_.push_back({key.c_str(), value.c_str()});
    }
  }

  ~LoadedDriver() override {
    // The handle goes first; library_ (declared first) is unloaded after it.
    if (opened_) ops_->close(handle_);
  }

  LoadedDriver(const LoadedDriver&) = delete;
  LoadedDriver& operator=(const LoadedDriver&) = delete;

  Status open() {
    rtsec_driver_open_args args{};
    args.struct_size = sizeof args;
    args.options = options_.data();
    args.n_options = static_cast<__u32>(options_.size());
    args.log = &log_from_driver;
    args.log_ctx = logger_.get();
    void* handle = nullptr;
    auto st =
        call("open", [&](char* err, size_t len) { return ops_->open(&args, &handle, err, len); });
    if (st) {
      handle_ = handle;  // may be NULL for a driver without state: still close() it
      opened_ = true;
    }
    return st;
  }

  std::string_view name() const override {
    return ops_->name ? std::string_view(ops_->name) : std::string_view(kind_);
  }
  std::string_view description() const override {
    return ops_->description ? std::string_view(ops_->description) : std::string_view();
  }

  Status set_events(std::span<const rtsec_event_recipe> recipes) override {
    if (recipes.size() > std::numeric_limits<__u32>::max()) {
      return make_error("too many event recipes", EINVAL);
    }
    return call("set_events", [&](char* err, size_t len) {
      return ops_->set_events(handle_, recipes.data(), static_cast<__u32>(recipes.size()), err,
                              len);
    });
  }

  Status start() override {
    return call("start", [&](char* err, size_t len) { return ops_->start(handle_, err, len); });
  }

  Result<std::span<const rtsec_event_view>> next_batch(int timeout_ms) override {
    __u32 n = 0;
    auto st = call("next_batch", [&](char* err, size_t len) {
      return ops_->next_batch(handle_, batch_.data(), static_cast<__u32>(batch_.size()), &n,
                              timeout_ms, err, len);
    });
    if (!st) return st.error();
    if (n > batch_.size()) {
      return make_error("driver '" + kind_ + "' returned " + std::to_string(n) +
                            " events for room for " + std::to_string(batch_.size()),
                        EPROTO);
    }
    return std::span<const rtsec_event_view>(batch_.data(), n);
  }

  bool can_launch() const override {
    constexpr size_t kNeeded =
        offsetof(rtsec_driver_ops, command_status) + sizeof(rtsec_driver_ops::command_status);
    return ops_->struct_size >= kNeeded && ops_->launch && ops_->command_status;
  }

  Result<pid_t> launch(const std::vector<std::string>& argv) override {
    if (!can_launch()) return Driver::launch(argv);
    if (argv.empty() || argv.size() > std::numeric_limits<__u32>::max() - 1) {
      return make_error("no command to launch", EINVAL);
    }
    std::vector<const char*> args;
    for (const auto& a : argv) args.push_back(a.c_str());
    args.push_back(nullptr);
    __s32 pid = -1;
    auto st = call("launch", [&](char* err, size_t len) {
      return ops_->launch(handle_, args.data(), static_cast<__u32>(argv.size()), &pid, err, len);
    });
    if (!st) return st.error();
    if (pid <= 0) return make_error("driver '" + kind_ + "' launched no process", EPROTO);
    return static_cast<pid_t>(pid);
  }

  std::optional<int> command_status() override {
    if (!can_launch()) return std::nullopt;
    int status = 0;
    std::array<char, kErrLen> err{};
    if (ops_->command_status(handle_, &status, err.data(), err.size()) != 0) return std::nullopt;
    return status;
  }

  bool has_policy() const {
    constexpr size_t kNeeded =
        offsetof(rtsec_driver_ops, enforcements) + sizeof(rtsec_driver_ops::enforcements);
    return ops_->struct_size >= kNeeded && ops_->set_policy && ops_->enforcements;
  }

  Result<std::vector<uint8_t>> set_policy(const rtsec_policy& policy) override {
    if (!has_policy()) return Driver::set_policy(policy);
    std::vector<uint8_t> by(RTSEC_POLICY_MAX_RULES, RTSEC_ENFORCED_NONE);
    auto st = call("set_policy", [&](char* err, size_t len) {
      return ops_->set_policy(handle_, &policy, by.data(), err, len);
    });
    if (!st) return st.error();
    by.resize(std::min<size_t>(policy.n_rules, by.size()));
    return by;
  }

  Result<std::vector<rtsec_enforcement>> enforcements() override {
    if (!has_policy()) return Driver::enforcements();
    std::vector<rtsec_enforcement> out(256);
    __u32 n = 0;
    auto st = call("enforcements", [&](char* err, size_t len) {
      return ops_->enforcements(handle_, out.data(), static_cast<__u32>(out.size()), &n, err, len);
    });
    if (!st) return st.error();
    out.resize(std::min<size_t>(n, out.size()));
    return out;
  }

  Result<std::vector<rtsec_process_drops>> process_drops() override {
    constexpr size_t kNeeded =
        offsetof(rtsec_driver_ops, process_drops) + sizeof(rtsec_driver_ops::process_drops);
    if (ops_->struct_size < kNeeded || !ops_->process_drops) return Driver::process_drops();
    std::vector<rtsec_process_drops> out(kMaxDropProcesses);
    __u32 n = 0;
    auto st = call("process_drops", [&](char* err, size_t len) {
      return ops_->process_drops(handle_, out.data(), static_cast<__u32>(out.size()), &n, err, len);
    });
    if (!st) return st.error();
    out.resize(std::min<size_t>(n, out.size()));
    return out;
  }

  Status stop() override {
    return call("stop", [&](char* err, size_t len) { return ops_->stop(handle_, err, len); });
  }

  Result<std::vector<rtsec_cpu_stats>> stats() override {
    long conf = sysconf(_SC_NPROCESSORS_CONF);
    std::vector<rtsec_cpu_stats> out(conf > 0 ? static_cast<size_t>(conf) : 1);
    __u32 ncpus = 0;
    // A second call when the driver counts more CPUs than we guessed.
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto st = call("stats", [&](char* err, size_t len) {
        return ops_->stats(handle_, out.data(), static_cast<__u32>(out.size()), &ncpus, err, len);
      });
      if (!st) return st.error();
      if (ncpus <= out.size()) break;
      if (ncpus > kMaxCpus) {
        return make_error("driver '" + kind_ + "' reports " + std::to_string(ncpus) + " CPUs",
                          EPROTO);
      }
      if (attempt == 0) out.resize(ncpus);
    }
    out.resize(std::min<size_t>(ncpus, out.size()));
    return out;
  }

 private:
  template <typename Fn>
  Status call(std::string_view what, Fn&& fn) {
    std::array<char, kErrLen> err{};
    int rc = fn(err.data(), err.size());
    if (rc == 0) return Ok{};
    err.back() = '\0';  // the plugin may have filled it all
    int code = rc < 0 ? -rc : EPROTO;
    std::string msg = "driver '" + kind_ + "': ";
    if (err[0] != '\0') {
      msg += err.data();
    } else {
      msg += std::string(what) + " failed: " + errno_text(code);
    }
    return make_error(std::move(msg), code);
  }

  boost::dll::shared_library library_;  // first member: outlives everything below
  const rtsec_driver_ops* ops_;
  std::string kind_;
  std::shared_ptr<spdlog::logger> logger_;  // the log callback's context
  std::map<std::string, std::string> option_text_;
  std::vector<rtsec_driver_option> options_;
  std::vector<rtsec_event_view> batch_;
  void* handle_ = nullptr;
  bool opened_ = false;
};

}  // namespace

Result<pid_t> Driver::launch(const std::vector<std::string>&) {
  return make_error("driver '" + std::string(name()) + "' cannot start a command", ENOTSUP);
}

Result<std::vector<uint8_t>> Driver::set_policy(const rtsec_policy& policy) {
  return std::vector<uint8_t>(std::min<size_t>(policy.n_rules, RTSEC_POLICY_MAX_RULES),
                              RTSEC_ENFORCED_NONE);
}

std::string plugin_file_name(std::string_view kind) {
  return std::string(kFilePrefix) + std::string(kind) + std::string(kFileSuffix);
}

std::vector<std::string> available_drivers(const std::filesystem::path& dir) {
  std::vector<std::string> kinds;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto file = it->path().filename().string();
    std::string_view name = file;
    if (!name.starts_with(kFilePrefix) || !name.ends_with(kFileSuffix)) continue;
    name.remove_prefix(kFilePrefix.size());
    name.remove_suffix(kFileSuffix.size());
    std::error_code type_ec;
    if (is_plain_name(name) && it->is_regular_file(type_ec)) kinds.emplace_back(name);
  }
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

// Resolves the path one component at a time, like the kernel does, and checks
// every entry it meets: each directory searched and each symlink followed,
// then the real file. Anyone who could write to one of them could swap the
// plugin.
Status check_trusted_path(const std::filesystem::path& path) {
  if (path.empty()) return make_error("empty plugin path", EINVAL);
  std::error_code ec;
  fs::path absolute = path.is_absolute() ? path : fs::current_path(ec) / path;
  if (ec) return make_error("cannot resolve " + path.string() + ": " + ec.message(), ec.value());

  const fs::path relative = absolute.relative_path();
  std::deque<fs::path> todo(relative.begin(), relative.end());
  fs::path current = "/";
  struct stat st {};
  if (::lstat("/", &st) != 0) {
    int err = errno;
    return make_error("cannot check /: " + errno_text(err), err);
  }
  if (auto s = check_entry(path, current, st); !s) return s;

  int symlinks = 0;
  while (!todo.empty()) {
    fs::path component = std::move(todo.front());
    todo.pop_front();
    if (!S_ISDIR(st.st_mode)) {
      return make_error(
          "cannot check " + path.string() + ": " + current.string() + " is not a directory",
          ENOTDIR);
    }
    if (component.empty() || component == ".") continue;  // empty: a trailing '/'
    if (component == "..") {  // current has no symlinks left: its parent is the real one
      current = current.parent_path();
      continue;
    }
    fs::path next = current / component;
    if (::lstat(next.c_str(), &st) != 0) {
      int err = errno;
      return make_error(
          "cannot check " + path.string() + ": " + next.string() + ": " + errno_text(err), err);
    }
    if (auto s = check_entry(path, next, st); !s) return s;
    if (!S_ISLNK(st.st_mode)) {
      current = std::move(next);
      continue;
    }
    if (++symlinks > kMaxSymlinks) {
      return make_error("cannot check " + path.string() + ": too many symbolic links", ELOOP);
    }
    fs::path target = fs::read_symlink(next, ec);
    if (ec) {
      return make_error(
          "cannot check " + path.string() + ": " + next.string() + ": " + ec.message(), ec.value());
    }
    if (target.is_absolute()) current = "/";
    const fs::path target_rest = target.relative_path();
    todo.insert(todo.begin(), target_rest.begin(), target_rest.end());
    // st describes the symlink; the directory we resolve from is current again.
    if (::lstat(current.c_str(), &st) != 0) {
      int err = errno;
      return make_error("cannot check " + current.string() + ": " + errno_text(err), err);
    }
  }
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    return make_error("refusing " + path.string() + ": " + current.string() +
                          " is neither a regular file nor a directory",
                      EPERM);
  }
  return Ok{};
}

Result<DriverPtr> load_driver(const std::filesystem::path& dir, std::string_view kind,
                              const std::map<std::string, std::string>& options) {
  std::string kind_name(kind);
  fs::path file = dir / plugin_file_name(kind);
  std::error_code ec;
  // (a) a plain name, so that the kind can never reach outside dir.
  if (!is_plain_name(kind) || !fs::exists(file, ec)) {
    return make_error(unknown_driver_message(dir, kind), ENOENT);
  }
  // (b) nobody but root can have placed or changed what we are about to run.
  if (auto st = check_trusted_path(file); !st) return st.error();
  if (!fs::is_regular_file(file, ec)) {
    return make_error("refusing " + file.string() + ": not a regular file", EPERM);
  }
  try {
    // (c) before dlopen(), which runs the plugin's constructors.
    if (auto st = check_exports(file, kind); !st) return st.error();
    // (d) RTLD_LOCAL: one plugin's symbols never satisfy another's.
    boost::dll::fs::error_code load_ec;
    boost::dll::shared_library library(
        boost::dll::fs::path(file.native()),
        boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, load_ec);
    if (load_ec) {
      const char* why = ::dlerror();
      return make_error("cannot load driver '" + kind_name + "' from " + file.string() + ": " +
                            (why ? why : load_ec.message()),
                        ENOEXEC);
    }
    using EntryFn = const rtsec_driver_ops*();
    auto& entry = library.get_alias<EntryFn>(RTSEC_DRIVER_ENTRY_NAME);
    const rtsec_driver_ops* ops = entry();
    if (auto st = check_ops(ops, kind, file); !st) return st.error();
    // (e)
    auto driver = std::make_unique<LoadedDriver>(std::move(library), ops, kind_name, options);
    if (auto st = driver->open(); !st) return st.error();
    return DriverPtr(std::move(driver));
  } catch (const std::exception& e) {
    return make_error(
        "cannot load driver '" + kind_name + "' from " + file.string() + ": " + e.what(), ENOEXEC);
  } catch (...) {
    return make_error(
        "cannot load driver '" + kind_name + "' from " + file.string() + ": unknown exception",
        ENOEXEC);
  }
}

}  // namespace rtsec::plugin
