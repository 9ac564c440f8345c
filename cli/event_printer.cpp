// SPDX-License-Identifier: Apache-2.0
#include "event_printer.hpp"

#include <time.h>

#include <cstdio>

#include "rtsec/event_format.hpp"

namespace rtsec::cli {
namespace {

uint64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void append_kv_number(std::string& out, const char* key, long long v) {
  out += ",\"";
  out += key;
  out += "\":";
  out += std::to_string(v);
}

void append_kv_string(std::string& out, const char* key, std::string_view v) {
  out += ",\"";
  out += key;
  out += "\":";
  append_json_string(out, v);
}

}  // namespace

EventPrinter::EventPrinter(bool json)
    : json_(json), boot_to_wall_ns_(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME)) {}

void EventPrinter::format(const DecodedEvent& ev, const ProcessInfo& proc,
                          std::string& out) const {
  if (json_)
    format_json(ev, proc, out);
  else
    format_text(ev, proc, out);
}

void EventPrinter::format_text(const DecodedEvent& ev, const ProcessInfo& proc,
                               std::string& out) const {
  const uint64_t ns = wall_ns(ev.header().ts_ns);
  const time_t secs = static_cast<time_t>(ns / 1000000000ull);
  tm local{};
  localtime_r(&secs, &local);
  char stamp[48];
  std::snprintf(stamp, sizeof(stamp), "%02d:%02d:%02d.%09llu", local.tm_hour, local.tm_min,
                local.tm_sec, static_cast<unsigned long long>(ns % 1000000000ull));
  out += stamp;
  out += ' ';
  out += proc.comm.empty() ? "<NA>" : proc.comm;
  out += '(' + std::to_string(ev.header().pid) + ':' + std::to_string(ev.header().tid) + ')';
  out += " ppid=" + std::to_string(proc.ppid);
  out += " exe=" + (proc.exe.empty() ? std::string("<NA>") : proc.exe);
  out += " container=" + proc.container_id;
  out += " > ";
  out += ev.name();
  for (size_t i = 0; i < ev.param_count(); ++i) {
    out += ' ';
    out += ev.param_info(i).name;
    out += '=';
    out += format_param_text(ev, i);
  }
  out += '\n';
}

void EventPrinter::format_json(const DecodedEvent& ev, const ProcessInfo& proc,
                               std::string& out) const {
  out += "{\"ts\":";
  out += std::to_string(wall_ns(ev.header().ts_ns));
  append_kv_string(out, "type", ev.name());
  append_kv_number(out, "pid", ev.header().pid);
  append_kv_number(out, "tid", ev.header().tid);
  append_kv_number(out, "ppid", proc.ppid);
  append_kv_string(out, "comm", proc.comm);
  append_kv_string(out, "exe", proc.exe);
  append_kv_string(out, "container", proc.container_id);
  out += ",\"params\":{";
  for (size_t i = 0; i < ev.param_count(); ++i) {
    if (i) out += ',';
    append_json_string(out, ev.param_info(i).name);
    out += ':';
    out += format_param_json(ev, i);
  }
  out += "}}\n";
}

}  // namespace rtsec::cli
