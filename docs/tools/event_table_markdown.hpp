// SPDX-License-Identifier: Apache-2.0
// Renders the event table (core/include/rtsec/abi/event_table.h, through its
// C++ view) as the Markdown tables of docs/ABI.md. Header-only, shared by
// docs/tools/print_event_table.cpp (which writes docs/ABI.md) and
// tests/unit/abi_doc_test.cpp (which checks docs/ABI.md is up to date).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "rtsec/event_table.hpp"

namespace rtsec::docs {

// docs/ABI.md holds the generated text between these two lines.
inline constexpr std::string_view kEventTableBegin =
    "<!-- BEGIN GENERATED EVENT TABLE (docs/tools/update-abi-table.sh); do not edit -->\n";
inline constexpr std::string_view kEventTableEnd = "<!-- END GENERATED EVENT TABLE -->\n";

inline std::string param_fmt_name(uint8_t fmt) {
  switch (fmt) {
    case RTSEC_PF_DEC: return "dec";
    case RTSEC_PF_HEX: return "hex";
    case RTSEC_PF_OCT: return "oct";
    case RTSEC_PF_OPEN_FLAGS: return "open_flags";
    case RTSEC_PF_AT_FLAGS: return "at_flags";
    case RTSEC_PF_CLONE_FLAGS: return "clone_flags";
    case RTSEC_PF_PROT_FLAGS: return "prot_flags";
    case RTSEC_PF_MMAP_FLAGS: return "mmap_flags";
    case RTSEC_PF_SOCK_FAMILY: return "sock_family";
    case RTSEC_PF_SOCK_TYPE: return "sock_type";
    case RTSEC_PF_PTRACE_REQ: return "ptrace_req";
    case RTSEC_PF_FCNTL_CMD: return "fcntl_cmd";
    case RTSEC_PF_PRCTL_OPT: return "prctl_opt";
    case RTSEC_PF_BPF_CMD: return "bpf_cmd";
    case RTSEC_PF_SIGNAL: return "signal";
    case RTSEC_PF_RENAME_FLAGS: return "rename_flags";
    case RTSEC_PF_MOUNT_FLAGS: return "mount_flags";
    case RTSEC_PF_UMOUNT_FLAGS: return "umount_flags";
    case RTSEC_PF_MEMFD_FLAGS: return "memfd_flags";
    case RTSEC_PF_EXIT_STATUS: return "exit_status";
    default: return "fmt" + std::to_string(fmt);
  }
}

inline std::string param_source_name(uint8_t source) {
  switch (source) {
    case RTSEC_SRC_NONE: return "NONE";
    case RTSEC_SRC_RET: return "RET";
    case RTSEC_SRC_ARG: return "ARG";
    case RTSEC_SRC_ARG_STR: return "ARG_STR";
    case RTSEC_SRC_ARG_SOCKADDR: return "ARG_SOCKADDR";
    case RTSEC_SRC_ARG_SOCKADDR_PLEN: return "ARG_SOCKADDR_PLEN";
    case RTSEC_SRC_ARG_MSGHDR_ADDR: return "ARG_MSGHDR_ADDR";
    case RTSEC_SRC_ARG_U64_AT: return "ARG_U64_AT";
    case RTSEC_SRC_ARG_FDPAIR: return "ARG_FDPAIR";
    case RTSEC_SRC_RET_FILE_DEV: return "RET_FILE_DEV";
    case RTSEC_SRC_RET_FILE_INO: return "RET_FILE_INO";
    case RTSEC_SRC_TASK_EXEPATH: return "TASK_EXEPATH";
    case RTSEC_SRC_TASK_ARGV: return "TASK_ARGV";
    case RTSEC_SRC_TASK_CWD: return "TASK_CWD";
    case RTSEC_SRC_TASK_UID: return "TASK_UID";
    case RTSEC_SRC_TASK_GID: return "TASK_GID";
    case RTSEC_SRC_TASK_EUID: return "TASK_EUID";
    case RTSEC_SRC_TASK_LOGINUID: return "TASK_LOGINUID";
    case RTSEC_SRC_TASK_TTY: return "TASK_TTY";
    case RTSEC_SRC_TASK_PPID: return "TASK_PPID";
    case RTSEC_SRC_TASK_CGROUP: return "TASK_CGROUP";
    case RTSEC_SRC_TASK_EXIT_STATUS: return "TASK_EXIT_STATUS";
    case RTSEC_SRC_TASK_COMM: return "TASK_COMM";
    default: return "SRC" + std::to_string(source);
  }
}

// The source with its operands, as docs/ABI.md writes it: ARG(2),
// ARG_SOCKADDR(1, 2), ARG_U64_AT(2, +8), TASK_CWD.
inline std::string param_source_text(const ParamInfo& p) {
  const std::string name = param_source_name(p.source);
  const std::string arg = std::to_string(p.arg);
  const std::string aux = std::to_string(p.aux);
  switch (p.source) {
    case RTSEC_SRC_ARG:
    case RTSEC_SRC_ARG_STR:
    case RTSEC_SRC_ARG_MSGHDR_ADDR:
    case RTSEC_SRC_ARG_FDPAIR:
      return name + "(" + arg + ")";
    case RTSEC_SRC_ARG_SOCKADDR:
    case RTSEC_SRC_ARG_SOCKADDR_PLEN:
      return name + "(" + arg + ", " + aux + ")";
    case RTSEC_SRC_ARG_U64_AT:
      return name + "(" + arg + ", +" + aux + ")";
    default:
      return name;
  }
}

inline std::string event_category_name(uint8_t category) {
  switch (category) {
    case RTSEC_CAT_FILE: return "file";
    case RTSEC_CAT_NET: return "net";
    case RTSEC_CAT_PROCESS: return "process";
    case RTSEC_CAT_PRIV: return "priv";
    case RTSEC_CAT_KERNEL: return "kernel";
    case RTSEC_CAT_MEMORY: return "memory";
    case RTSEC_CAT_IPC: return "ipc";
    case RTSEC_CAT_SIGNAL: return "signal";
    default: return "cat" + std::to_string(category);
  }
}

inline std::string event_flags_text(uint32_t flags) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {RTSEC_EF_CREATES_FD, "CREATES_FD"},
      {RTSEC_EF_DESTROYS_FD, "DESTROYS_FD"},
      {RTSEC_EF_USES_FD, "USES_FD"},
      {RTSEC_EF_MODIFIES_STATE, "MODIFIES_STATE"},
      {RTSEC_EF_NOT_SYSCALL, "NOT_SYSCALL"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!(flags & bit)) continue;
    if (!out.empty()) out += " ";
    out += name;
    flags &= ~bit;
  }
  if (flags != 0) out += (out.empty() ? "" : " ") + std::to_string(flags);
  return out;
}

inline std::string param_when_text(uint8_t flags) {
  std::string out;
  if (flags & RTSEC_PARAM_IF_SUCCESS) out += "success";
  if (flags & RTSEC_PARAM_IF_FAILURE) out += out.empty() ? "failure" : " failure";
  return out;
}

inline std::string param_size_text(uint8_t type) {
  const uint32_t fixed = fixed_param_size(type);
  if (fixed != 0) return std::to_string(fixed);
  return "≤ " + std::to_string(max_param_len(type));
}

// The two generated tables: events, then every parameter in wire order.
inline std::string event_table_markdown() {
  std::string out;
  out += "#### Events\n\n";
  out += "| id | name | x86-64 nr | category | flags | parameters |\n";
  out += "| ---: | --- | ---: | --- | --- | --- |\n";
  for (const EventInfo& e : all_events()) {
    std::string params;
    for (const ParamInfo& p : e.params) {
      if (!params.empty()) params += ", ";
      params += p.name;
    }
    out += "| " + std::to_string(e.id) + " | `" + std::string(e.name) + "` | " +
           (e.syscall_nr < 0 ? std::string("—") : std::to_string(e.syscall_nr)) + " | " +
           event_category_name(e.category) + " | " + event_flags_text(e.flags) + " | " +
           params + " |\n";
  }
  out += "\n#### Parameters\n\n";
  out += "| event | # | name | type | bytes | format | source | only on |\n";
  out += "| --- | ---: | --- | --- | --- | --- | --- | --- |\n";
  for (const EventInfo& e : all_events()) {
    for (size_t i = 0; i < e.params.size(); ++i) {
      const ParamInfo& p = e.params[i];
      out += "| " + std::string(e.name) + " | " + std::to_string(i) + " | " +
             std::string(p.name) + " | " + std::string(param_type_name(p.type)) + " | " +
             param_size_text(p.type) + " | " + param_fmt_name(p.fmt) + " | `" +
             param_source_text(p) + "` | " + param_when_text(p.flags) + " |\n";
    }
  }
  return out;
}

// The text between the markers of `doc` (markers excluded); nullopt when
// either marker is missing or out of order.
inline std::optional<std::string_view> generated_section(std::string_view doc) {
  const size_t begin = doc.find(kEventTableBegin);
  if (begin == std::string_view::npos) return std::nullopt;
  const size_t body = begin + kEventTableBegin.size();
  const size_t end = doc.find(kEventTableEnd, body);
  if (end == std::string_view::npos) return std::nullopt;
  return doc.substr(body, end - body);
}

// `doc` with the text between its markers replaced by `table`; nullopt when
// the markers are missing.
inline std::optional<std::string> with_generated_section(std::string_view doc,
                                                         std::string_view table) {
  const auto section = generated_section(doc);
  if (!section) return std::nullopt;
  const size_t body = static_cast<size_t>(section->data() - doc.data());
  std::string out(doc.substr(0, body));
  out += table;
  out += doc.substr(body + section->size());
  return out;
}

}  // namespace rtsec::docs
