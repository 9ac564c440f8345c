// SPDX-License-Identifier: Apache-2.0
// A driver plugin for the plugin host's tests, written against driver_api.h
// only, as a plugin built outside the tree would be. This is the mock the
// design allows for the unreachable: it captures nothing. Once started it
// hands out two events built by hand from the ABI header (openat on CPU 0,
// close on CPU 1), those of them set_events() enabled, and counts what it
// handed out per CPU. Option fail_open: true makes open() fail.
#include <fcntl.h>

#include <boost/dll/alias.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <new>
#include <string>
#include <vector>

#include "rtsec/abi/event_table.h"
#include "rtsec/plugin/driver_api.h"
#include "test_marker.hpp"

#ifndef RTSEC_TEST_ABI_MAJOR
#define RTSEC_TEST_ABI_MAJOR RTSEC_ABI_MAJOR
#endif

namespace {

const rtsec::test::LoadMarker load_marker(RTSEC_TEST_PLUGIN_NAME);

constexpr __u32 kCpus = 2;

using Bytes = std::vector<uint8_t>;

struct Fake {
  rtsec_log_fn log = nullptr;
  void* log_ctx = nullptr;
  bool started = false;
  std::vector<bool> enabled = std::vector<bool>(RTSEC_EVT_MAX, true);
  std::deque<std::pair<Bytes, __u32>> pending;  // event, cpu
  std::vector<Bytes> handed_out;                // backs the views of the last batch
  rtsec_cpu_stats stats[kCpus] = {};
};

int fail(char* err, size_t errlen, int errnum, const std::string& msg) {
  if (err != nullptr && errlen > 0) std::snprintf(err, errlen, "%s", msg.c_str());
  return -errnum;
}

void log(Fake* fake, rtsec_log_level level, const std::string& msg) {
  if (fake->log != nullptr) fake->log(fake->log_ctx, level, msg.c_str());
}

template <typename T>
Bytes param(T value) {
  Bytes out(sizeof value);
  std::memcpy(out.data(), &value, sizeof value);
  return out;
}

Bytes param(const char* text) { return Bytes(text, text + std::strlen(text) + 1); }

// Header, length table, then the parameters, as event.h lays them out.
Bytes make_event(__u16 type, __u64 ts_ns, const std::vector<Bytes>& params) {
  rtsec_event_hdr hdr{};
  hdr.ts_ns = ts_ns;
  hdr.tid = 4242;
  hdr.pid = 4242;
  hdr.type = type;
  hdr.nparams = static_cast<__u16>(params.size());
  size_t len = sizeof hdr + params.size() * sizeof(__u16);
  for (const auto& p : params) len += p.size();
  hdr.len = static_cast<__u32>(len);

  Bytes out(sizeof hdr);
  std::memcpy(out.data(), &hdr, sizeof hdr);
  for (const auto& p : params) {
    auto plen = static_cast<__u16>(p.size());
    out.insert(out.end(), reinterpret_cast<const uint8_t*>(&plen),
               reinterpret_cast<const uint8_t*>(&plen) + sizeof plen);
  }
  for (const auto& p : params) out.insert(out.end(), p.begin(), p.end());
  return out;
}

int fake_open(const rtsec_driver_open_args* args, void** handle, char* err, size_t errlen) {
  if (args == nullptr || args->struct_size < sizeof(rtsec_driver_open_args)) {
    return fail(err, errlen, EINVAL, "open arguments from an older rtsec");
  }
  rtsec::test::touch_marker(RTSEC_TEST_PLUGIN_NAME, "open");
  for (__u32 i = 0; i < args->n_options; ++i) {
    std::string key = args->options[i].key, value = args->options[i].value;
    if (key == "fail_open") {
      if (value == "true") {
        return fail(err, errlen, EINVAL, "fail_open is set: the fake driver refuses to open");
      }
    } else {
      return fail(
          err, errlen, EINVAL,
          "unknown option driver." RTSEC_TEST_PLUGIN_NAME "." + key + " (known: fail_open)");
    }
  }
  auto* fake = new (std::nothrow) Fake;
  if (fake == nullptr) return fail(err, errlen, ENOMEM, "out of memory");
  fake->log = args->log;
  fake->log_ctx = args->log_ctx;
  *handle = fake;
  log(fake, RTSEC_LOG_INFO,
      "fake driver opened with " + std::to_string(args->n_options) + " options");
  return 0;
}

int fake_set_events(void* handle, const rtsec_event_recipe* recipes, __u32 n, char* err,
                    size_t errlen) {
  auto* fake = static_cast<Fake*>(handle);
  std::vector<bool> enabled(RTSEC_EVT_MAX, false);
  for (__u32 i = 0; i < n; ++i) {
    if (recipes[i].type >= RTSEC_EVT_MAX) {
      return fail(err, errlen, EINVAL, "unknown event type " + std::to_string(recipes[i].type));
    }
    enabled[recipes[i].type] = recipes[i].enabled != 0;
  }
  fake->enabled = std::move(enabled);
  return 0;
}

int fake_start(void* handle, char* err, size_t errlen) {
  auto* fake = static_cast<Fake*>(handle);
  if (fake->started) return fail(err, errlen, EBUSY, "already started");
  fake->started = true;
  if (fake->enabled[RTSEC_EVT_OPENAT]) {
    fake->pending.emplace_back(
        make_event(RTSEC_EVT_OPENAT, 1000,
                   {param<__s64>(3), param<__s64>(AT_FDCWD), param("/etc/passwd"),
                    param<__u32>(O_RDONLY | O_CLOEXEC), param<__u32>(0), param<__u32>(8u << 20 | 1),
                    param<__u64>(1234)}),
        0);
  }
  if (fake->enabled[RTSEC_EVT_CLOSE]) {
    fake->pending.emplace_back(
        make_event(RTSEC_EVT_CLOSE, 2000, {param<__s64>(0), param<__s64>(3)}), 1);
  }
  log(fake, RTSEC_LOG_DEBUG, "fake driver started");
  return 0;
}

int fake_next_batch(void* handle, rtsec_event_view* out, __u32 max, __u32* n, int timeout_ms,
                    char* err, size_t errlen) {
  (void)timeout_ms;  // nothing will come: answer "timeout" at once
  auto* fake = static_cast<Fake*>(handle);
  if (!fake->started) return fail(err, errlen, EINVAL, "next_batch before start");
  fake->handed_out.clear();
  *n = 0;
  while (*n < max && !fake->pending.empty()) {
    auto [event, cpu] = std::move(fake->pending.front());
    fake->pending.pop_front();
    fake->handed_out.push_back(std::move(event));
    const Bytes& kept = fake->handed_out.back();
    out[*n] = rtsec_event_view{kept.data(), static_cast<__u32>(kept.size()), cpu};
    fake->stats[cpu].events++;
    ++*n;
  }
  return 0;
}

int fake_stop(void* handle, char* err, size_t errlen) {
  (void)err;
  (void)errlen;
  static_cast<Fake*>(handle)->started = false;
  return 0;
}

int fake_stats(void* handle, rtsec_cpu_stats* out, __u32 max, __u32* ncpus, char* err,
               size_t errlen) {
  (void)err;
  (void)errlen;
  auto* fake = static_cast<Fake*>(handle);
  std::copy_n(fake->stats, std::min(max, kCpus), out);
  *ncpus = kCpus;
  return 0;
}

void fake_close(void* handle) {
  delete static_cast<Fake*>(handle);
  rtsec::test::touch_marker(RTSEC_TEST_PLUGIN_NAME, "closed");
}

const rtsec_driver_ops kOps = {
    .struct_size = sizeof(rtsec_driver_ops),
    .abi_major = RTSEC_TEST_ABI_MAJOR,
    .abi_minor = RTSEC_ABI_MINOR,
    .name = RTSEC_TEST_PLUGIN_NAME,
    .description = "test driver: two hand-built events, no capture",
    .open = fake_open,
    .set_events = fake_set_events,
    .start = fake_start,
    .next_batch = fake_next_batch,
    .stop = fake_stop,
    .stats = fake_stats,
    .close = fake_close,
    .launch = nullptr,
    .command_status = nullptr,
    .set_policy = nullptr,
    .enforcements = nullptr,
};

const rtsec_driver_ops* driver_entry() { return &kOps; }

}  // namespace

BOOST_DLL_ALIAS(driver_entry, rtsec_driver_api_v1)
