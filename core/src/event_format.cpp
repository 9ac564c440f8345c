// SPDX-License-Identifier: Apache-2.0
#include "rtsec/event_format.hpp"

#include <sys/sysmacros.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstring>

#include "flag_names.hpp"

namespace rtsec {
namespace {

using names::FlagTable;
using names::NamedValue;

constexpr std::string_view kNotCaptured = "<NA>";
constexpr int64_t kMaxErrno = 4095;  // the kernel's MAX_ERRNO: -4095..-1 is an error

template <typename T>
T load(std::span<const std::byte> bytes, size_t offset = 0) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

template <typename Int>
void append_number(std::string& out, Int value, int base = 10) {
  char buf[32];
  const auto res = std::to_chars(std::begin(buf), std::end(buf), value, base);
  out.append(buf, res.ptr);
}

void append_name(std::string& out, std::string_view name) {
  if (!out.empty()) out += '|';
  out += name;
}

const FlagTable* flag_table(uint8_t fmt) {
  const FlagTable* table = names::kernel_flag_table(fmt);
  return table != nullptr ? table : names::libc_flag_table(fmt);
}

// Flags of `table` set in `value`, in table order; a group (O_SYNC) that is fully set hides
// the smaller flags it contains (O_DSYNC). Returns the bits no name claimed.
uint64_t append_flags(std::string& out, std::span<const NamedValue> flags, uint64_t value) {
  auto is_set = [value](uint64_t f) { return f != 0 && (value & f) == f; };
  uint64_t claimed = 0;
  for (const NamedValue& f : flags) {
    if (!is_set(f.value)) continue;
    claimed |= f.value;
    const bool hidden = std::any_of(flags.begin(), flags.end(), [&](const NamedValue& g) {
      return g.value != f.value && is_set(g.value) && (g.value & f.value) == f.value;
    });
    if (!hidden) append_name(out, f.name);
  }
  return value & ~claimed;
}

std::string render(const FlagTable& table, uint64_t value) {
  const uint64_t field = value & table.field_mask;
  const std::string_view field_name = names::find_name(table.field_names, field);
  if (table.field_mask == ~uint64_t{0})  // a plain enum
    return field_name.empty() ? std::to_string(value) : std::string(field_name);
  std::string out;
  if (!table.field_last && !field_name.empty()) append_name(out, field_name);
  uint64_t rest = append_flags(out, table.flags, value & ~table.field_mask);
  if (table.field_last && !field_name.empty()) append_name(out, field_name);
  if (field_name.empty()) rest |= field;  // an unknown field value joins the unknown bits
  if (rest != 0) {
    append_name(out, "0x");
    append_number(out, rest, 16);
  } else if (out.empty()) {
    out = table.zero.empty() ? "0" : table.zero;
  }
  return out;
}

std::string format_exit_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (!WIFSIGNALED(status)) return std::to_string(status);
  const int sig = WTERMSIG(status);
  std::string out = "signal " + std::to_string(sig);
  if (auto name = names::find_name(names::signal_names(), static_cast<uint64_t>(sig));
      !name.empty())
    out.append(" (").append(name).append(")");
  if (WCOREDUMP(status)) out += " core";
  return out;
}

std::string family_name(uint16_t family) {
  const auto name =
      names::find_name(names::libc_flag_table(RTSEC_PF_SOCK_FAMILY)->field_names, family);
  return name.empty() ? "AF_" + std::to_string(family) : std::string(name);
}

// The part of a sockaddr of type T present in `raw`, zero-filled past it; nullopt when `raw`
// stops before `needed` bytes.
template <typename T>
std::optional<T> load_sockaddr(std::span<const std::byte> raw, size_t needed) {
  if (raw.size() < needed) return std::nullopt;
  T addr{};
  std::memcpy(&addr, raw.data(), std::min(raw.size(), sizeof addr));
  return addr;
}

std::string format_inet(std::span<const std::byte> raw) {
  const auto sa = load_sockaddr<sockaddr_in>(raw, offsetof(sockaddr_in, sin_zero));
  if (!sa) return family_name(AF_INET);
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(sa->sin_port));
}

std::string format_inet6(std::span<const std::byte> raw) {
  const auto sa = load_sockaddr<sockaddr_in6>(raw, offsetof(sockaddr_in6, sin6_scope_id));
  if (!sa) return family_name(AF_INET6);
  char ip[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &sa->sin6_addr, ip, sizeof ip);
  std::string out = "[";
  out += ip;
  if (sa->sin6_scope_id != 0) out += "%" + std::to_string(sa->sin6_scope_id);
  return out + "]:" + std::to_string(ntohs(sa->sin6_port));
}

// A path up to its NUL; an abstract name (leading NUL) is all its bytes, shown with a leading
// '@' and its NULs as '@', as /proc/net/unix does; an unnamed socket is "".
std::string format_unix(std::span<const std::byte> raw) {
  const auto path = raw.subspan(offsetof(sockaddr_un, sun_path));
  std::string text(reinterpret_cast<const char*>(path.data()), path.size());
  if (text.empty() || text[0] != '\0') return text.substr(0, text.find('\0'));
  std::replace(text.begin(), text.end(), '\0', '@');
  return text;
}

bool is_signed(uint8_t type) {
  return type == RTSEC_PT_S64 || type == RTSEC_PT_S32 || type == RTSEC_PT_FD ||
         type == RTSEC_PT_ERRNO || type == RTSEC_PT_PID;
}

// An integer parameter, with the sign its wire type gives it.
struct IntValue {
  bool is_signed;
  int64_t s;
  uint64_t u;
};

std::optional<IntValue> int_value(const DecodedEvent& ev, size_t i) {
  if (is_signed(ev.param_info(i).type)) {
    const auto v = ev.as_int(i);
    if (!v) return std::nullopt;
    return IntValue{true, *v, static_cast<uint64_t>(*v)};
  }
  const auto v = ev.as_uint(i);
  if (!v) return std::nullopt;
  return IntValue{false, static_cast<int64_t>(*v), *v};
}

void append_decimal(std::string& out, const IntValue& v) {
  if (v.is_signed)
    append_number(out, v.s);
  else
    append_number(out, v.u);
}

// The ABI's dev_t is the kernel's: major << 20 | minor.
uint64_t dev_major(uint64_t dev) { return (dev >> 20) & 0xfff; }
uint64_t dev_minor(uint64_t dev) { return dev & 0xfffff; }

// "0x1f"; a negative signed value keeps its sign ("-0x1f") rather than show 64-bit wrap-around.
void append_hex(std::string& out, const IntValue& v) {
  const bool negative = v.is_signed && v.s < 0;
  out += negative ? "-0x" : "0x";
  append_number(out, negative ? 0 - v.u : v.u, 16);
}

// "0644" (a leading 0, as chmod shows modes); 0 is "0".
void append_octal(std::string& out, const IntValue& v) {
  if (v.u != 0) out += '0';
  append_number(out, v.u, 8);
}

std::string int_text(const ParamInfo& p, const IntValue& v) {
  std::string out;
  if (p.type == RTSEC_PT_ERRNO && v.s < 0 && v.s >= -kMaxErrno) {
    append_number(out, v.s);
    if (auto name = errno_name(static_cast<int>(-v.s)); !name.empty())
      out.append("(").append(name).append(")");
  } else if (p.fmt >= RTSEC_PF_FLAGS_FIRST) {
    out = format_flags(p.fmt, v.u);
  } else if (p.type == RTSEC_PT_DEV) {
    // "8:1", as /proc/PID/mountinfo and ls -l show a device
    append_number(out, dev_major(v.u), 10);
    out += ':';
    append_number(out, dev_minor(v.u), 10);
  } else if (p.type == RTSEC_PT_UID || p.type == RTSEC_PT_GID) {
    append_decimal(out, v);
  } else if (p.fmt == RTSEC_PF_HEX) {
    append_hex(out, v);
  } else if (p.fmt == RTSEC_PF_OCT) {
    append_octal(out, v);
  } else {
    append_decimal(out, v);
  }
  return out;
}

// JSON: numbers stay numbers except where a reader wants the symbolic or octal form.
void append_int_json(std::string& out, const ParamInfo& p, const IntValue& v) {
  if (p.type == RTSEC_PT_DEV) {
    // the number stat(2) gives as st_dev, so that readers can compare
    append_number(out, makedev(dev_major(v.u), dev_minor(v.u)), 10);
  } else if (p.fmt == RTSEC_PF_EXIT_STATUS || (p.fmt < RTSEC_PF_FLAGS_FIRST && p.fmt != RTSEC_PF_OCT))
    append_decimal(out, v);
  else
    append_json_string(out, int_text(p, v));
}

// Calls f(string_view) for each NUL-terminated string of a charbuf array.
template <typename F>
void for_each_string(std::span<const std::byte> raw, F&& f) {
  std::string_view rest(reinterpret_cast<const char*>(raw.data()), raw.size());
  while (!rest.empty()) {
    const size_t end = rest.find('\0');
    f(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
}

std::pair<int32_t, int32_t> fd_pair(std::span<const std::byte> raw) {
  return {load<int32_t>(raw), load<int32_t>(raw, sizeof(int32_t))};
}

// Length of the valid UTF-8 sequence at the start of `s` (non-empty, first byte >= 0x80), or
// 0 if it is not one: no overlong forms, no surrogates, nothing past U+10FFFF.
size_t utf8_sequence_length(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3;
    if (lead == 0xe0) lo = 0xa0;
    if (lead == 0xed) hi = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4;
    if (lead == 0xf0) lo = 0x90;
    if (lead == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  return n;
}

void append_unicode_escape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

}  // namespace

std::string format_flags(uint8_t fmt, uint64_t value) {
  if (fmt == RTSEC_PF_EXIT_STATUS) return format_exit_status(static_cast<int32_t>(value));
  if (const FlagTable* table = flag_table(fmt)) return render(*table, value);
  std::string out;
  const IntValue v{false, static_cast<int64_t>(value), value};
  if (fmt == RTSEC_PF_HEX)
    append_hex(out, v);
  else if (fmt == RTSEC_PF_OCT)
    append_octal(out, v);
  else
    append_decimal(out, v);
  return out;
}

std::string_view errno_name(int err) {
  if (err <= 0) return {};
  return names::find_name(names::errno_names(), static_cast<uint64_t>(err));
}

std::string format_sockaddr(std::span<const std::byte> raw) {
  if (raw.size() < sizeof(sa_family_t)) return {};
  switch (const auto family = load<sa_family_t>(raw)) {
    case AF_INET:
      return format_inet(raw);
    case AF_INET6:
      return format_inet6(raw);
    case AF_UNIX:
      return format_unix(raw);
    default:
      return family_name(family);
  }
}

// Text goes to terminals: a control byte in a path (an escape sequence, a
// newline forging a second line) is shown as \xNN, never sent as is.
void append_printable(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f || c == '\\') {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    } else {
      out += c;
    }
  }
}

std::string format_param_text(const DecodedEvent& ev, size_t i) {
  if (i >= ev.param_count() || ev.raw(i).empty()) return std::string(kNotCaptured);
  const ParamInfo& p = ev.param_info(i);
  const auto raw = ev.raw(i);
  switch (p.type) {
    case RTSEC_PT_PATH:
    case RTSEC_PT_CHARBUF: {
      std::string out;
      append_printable(out, ev.as_string(i).value_or(""));
      return out;
    }
    case RTSEC_PT_CHARBUF_ARRAY: {
      std::string out;
      for_each_string(raw, [&](std::string_view arg) {
        if (!out.empty()) out += ' ';
        append_printable(out, arg);
      });
      return out;
    }
    case RTSEC_PT_SOCKADDR:
      return format_sockaddr(raw);
    case RTSEC_PT_FDPAIR: {
      const auto [r, w] = fd_pair(raw);
      return std::to_string(r) + "," + std::to_string(w);
    }
    default:
      if (const auto v = int_value(ev, i)) return int_text(p, *v);
      return std::string(kNotCaptured);
  }
}

std::string format_param_json(const DecodedEvent& ev, size_t i) {
  if (i >= ev.param_count() || ev.raw(i).empty()) return "null";
  const ParamInfo& p = ev.param_info(i);
  const auto raw = ev.raw(i);
  std::string out;
  switch (p.type) {
    case RTSEC_PT_PATH:
    case RTSEC_PT_CHARBUF:
      append_json_string(out, ev.as_string(i).value_or(""));
      break;
    case RTSEC_PT_CHARBUF_ARRAY:
      out += '[';
      for_each_string(raw, [&](std::string_view arg) {
        if (out.size() > 1) out += ',';
        append_json_string(out, arg);
      });
      out += ']';
      break;
    case RTSEC_PT_SOCKADDR:
      append_json_string(out, format_sockaddr(raw));
      break;
    case RTSEC_PT_FDPAIR: {
      const auto [r, w] = fd_pair(raw);
      out = "[" + std::to_string(r) + "," + std::to_string(w) + "]";
      break;
    }
    default:
      if (const auto v = int_value(ev, i))
        append_int_json(out, p, *v);
      else
        out = "null";
  }
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = utf8_sequence_length(s.substr(i));
      if (n == 0) {
        append_unicode_escape(out, c);
        ++i;
      } else {
        out.append(s, i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20)
          append_unicode_escape(out, c);
        else
          out += static_cast<char>(c);
    }
    ++i;
  }
  out += '"';
}

}  // namespace rtsec
