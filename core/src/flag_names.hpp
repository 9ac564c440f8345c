// SPDX-License-Identifier: Apache-2.0
// Symbolic names of syscall argument values, one table per RTSEC_PF_* format (private to core).
// The tables are split by the headers their values come from: the kernel's UAPI headers carry
// what a syscall argument holds (glibc's O_LARGEFILE, for one, is 0 on x86-64), but some of
// them cannot share a translation unit with the glibc headers that redefine the same names.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace rtsec::names {

struct NamedValue {
  uint64_t value;
  std::string_view name;
};

// {AT_FDCWD, "AT_FDCWD"}: the value from the header, the name spelled once.
#define RTSEC_NAMED(x) ::rtsec::names::NamedValue{static_cast<uint64_t>(x), #x}

// How a value under one format is read: an optional enumerated field (the bits under
// field_mask, e.g. the O_ACCMODE bits or the whole value for a plain enum), then bit flags.
struct FlagTable {
  uint64_t field_mask = 0;
  std::span<const NamedValue> field_names;
  bool field_last = false;  // clone: the exit signal is shown after the flags
  // Single bits or multi-bit groups (O_SYNC, O_TMPFILE); a group hides the flags it contains.
  std::span<const NamedValue> flags;
  std::string_view zero;  // name of the value 0 when no field names it ("PROT_NONE")
};

// A plain enumeration: the whole value is the field; an unknown value shows as its number.
constexpr FlagTable plain_enum(std::span<const NamedValue> names) {
  return FlagTable{~uint64_t{0}, names, false, {}, {}};
}

// Tables whose values come from <linux/*.h> (flag_names_kernel.cpp); nullptr for others.
const FlagTable* kernel_flag_table(uint8_t fmt);
// Tables whose values come from glibc's headers (flag_names_libc.cpp); nullptr for others.
const FlagTable* libc_flag_table(uint8_t fmt);

// SIGHUP..SIGSYS, then the real-time signals as SIGRT_<n> (kernel numbering, as strace does).
std::span<const NamedValue> signal_names();
// EPERM..EHWPOISON, then the kernel-internal restart codes a sys_exit hook can still see.
std::span<const NamedValue> errno_names();

// The name of `value` in `names`, or "".
inline std::string_view find_name(std::span<const NamedValue> names, uint64_t value) {
  for (const NamedValue& n : names)
    if (n.value == value) return n.name;
  return {};
}

}  // namespace rtsec::names
