// SPDX-License-Identifier: Apache-2.0
// What every C++ driver plugin needs at the C vtable boundary: writing an
// error for the host, keeping exceptions on the plugin's side, and the
// vtable itself, made from the driver's class.
#pragma once

#include <cerrno>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "rtsec/plugin/driver_api.h"

namespace rtsec::plugin {

// Writes `msg` into the host's buffer; returns the negative errno to return
// (code may be an errno or a negative one; 0, a failure without errno, is -EIO).
inline int fail(char* err, size_t errlen, int code, const std::string& msg) {
  if (err && errlen) std::snprintf(err, errlen, "%s", msg.c_str());
  return code > 0 ? -code : (code < 0 ? code : -EIO);
}

// Runs a vtable entry; anything thrown becomes -EFAULT with its message,
// prefixed with the driver's name.
template <typename F>
int guarded(const char* driver, char* err, size_t errlen, F&& f) noexcept {
  try {
    return f();
  } catch (const std::exception& e) {
    return fail(err, errlen, EFAULT, std::string(driver) + " driver: " + e.what());
  } catch (...) {
    return fail(err, errlen, EFAULT, std::string(driver) + " driver: unexpected error");
  }
}

// The C vtable of driver class D, named D::kName. Every entry calls D's
// method of the same name with the host's error buffer, inside guarded():
// open(args, err, errlen) on a new D, set_events, start, next_batch, stop,
// stats, and, where D has them, the optional launch, command_status,
// set_policy, enforcements and process_drops (null otherwise).
template <typename D>
class DriverVtable {
 public:
  // Which optional entries D fills (a driver asserts what it means to offer:
  // a method whose signature does not match would leave its entry null).
  static constexpr bool kLaunches = requires(D& d, const char* const* argv, __s32* pid, char* err) {
    d.launch(argv, __u32{}, pid, err, size_t{});
  };
  static constexpr bool kReportsCommandStatus = requires(D& d, int* status, char* err) {
    d.command_status(status, err, size_t{});
  };
  static constexpr bool kEnforces = requires(D& d, const rtsec_policy* p, __u8* by,
                                             rtsec_enforcement* out, __u32* n, char* err) {
    d.set_policy(p, by, err, size_t{});
    d.enforcements(out, __u32{}, n, err, size_t{});
  };
  static constexpr bool kCountsProcessDrops = requires(D& d, rtsec_process_drops* out, __u32* n,
                                                       char* err) {
    d.process_drops(out, __u32{}, n, err, size_t{});
  };

  static constexpr rtsec_driver_ops make(const char* description) {
    rtsec_driver_ops ops{};
    ops.struct_size = sizeof ops;
    ops.abi_major = RTSEC_ABI_MAJOR;
    ops.abi_minor = RTSEC_ABI_MINOR;
    ops.name = D::kName;
    ops.description = description;
    ops.open = [](const rtsec_driver_open_args* args, void** handle, char* err, size_t len) {
      return call(err, len, [&] {
        auto d = std::make_unique<D>();
        const int rc = d->open(args, err, len);
        if (rc == 0) *handle = d.release();
        return rc;
      });
    };
    ops.set_events = [](void* h, const rtsec_event_recipe* r, __u32 n, char* err, size_t len) {
      return call(err, len, [&] { return self(h)->set_events(r, n, err, len); });
    };
    ops.start = [](void* h, char* err, size_t len) {
      return call(err, len, [&] { return self(h)->start(err, len); });
    };
    ops.next_batch = [](void* h, rtsec_event_view* out, __u32 max, __u32* n, int timeout_ms,
                        char* err, size_t len) {
      return call(err, len, [&] { return self(h)->next_batch(out, max, n, timeout_ms, err, len); });
    };
    ops.stop = [](void* h, char* err, size_t len) {
      return call(err, len, [&] { return self(h)->stop(err, len); });
    };
    ops.stats = [](void* h, rtsec_cpu_stats* out, __u32 max, __u32* ncpus, char* err, size_t len) {
      return call(err, len, [&] { return self(h)->stats(out, max, ncpus, err, len); });
    };
    ops.close = [](void* h) { delete self(h); };
    if constexpr (kLaunches) {
      ops.launch = [](void* h, const char* const* argv, __u32 argc, __s32* pid, char* err,
                      size_t len) {
        return call(err, len, [&] { return self(h)->launch(argv, argc, pid, err, len); });
      };
    }
    if constexpr (kReportsCommandStatus) {
      ops.command_status = [](void* h, int* status, char* err, size_t len) {
        return call(err, len, [&] { return self(h)->command_status(status, err, len); });
      };
    }
    if constexpr (kEnforces) {
      ops.set_policy = [](void* h, const rtsec_policy* policy, __u8* by, char* err, size_t len) {
        return call(err, len, [&] { return self(h)->set_policy(policy, by, err, len); });
      };
      ops.enforcements = [](void* h, rtsec_enforcement* out, __u32 max, __u32* n, char* err,
                            size_t len) {
        return call(err, len, [&] { return self(h)->enforcements(out, max, n, err, len); });
      };
    }
    if constexpr (kCountsProcessDrops) {
      ops.process_drops = [](void* h, rtsec_process_drops* out, __u32 max, __u32* n, char* err,
                             size_t len) {
        return call(err, len, [&] { return self(h)->process_drops(out, max, n, err, len); });
      };
    }
    return ops;
  }

 private:
  static D* self(void* h) { return static_cast<D*>(h); }
  template <typename F>
  static int call(char* err, size_t len, F&& f) noexcept {
    return guarded(D::kName, err, len, std::forward<F>(f));
  }
};

}  // namespace rtsec::plugin
