// SPDX-License-Identifier: Apache-2.0
#include "capture.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>

#include "rtsec/event_builder.hpp"

namespace rtsec::ptrace {
namespace {

bool is_fixed_4(uint8_t type) {
  return type == RTSEC_PT_S32 || type == RTSEC_PT_U32 || type == RTSEC_PT_UID ||
         type == RTSEC_PT_GID || type == RTSEC_PT_DEV;
}

// An integer in the parameter's wire type. from_arg: a register holding a C
// int (fd, pid) only defines its low 32 bits (docs/ABI.md, section 3).
void add_integer(EventBuilder& b, uint8_t type, uint64_t v, bool from_arg) {
  if ((type == RTSEC_PT_FD || type == RTSEC_PT_PID) && from_arg) {
    b.add_int(static_cast<int32_t>(static_cast<uint32_t>(v)));
  } else if (type == RTSEC_PT_S32) {
    b.add_int(static_cast<int32_t>(static_cast<uint32_t>(v)));
  } else if (is_fixed_4(type)) {
    b.add_uint(v & 0xffffffffu);
  } else if (type == RTSEC_PT_U64) {
    b.add_uint(v);
  } else {
    b.add_int(static_cast<int64_t>(v));
  }
}

std::span<const std::byte> as_bytes(const std::vector<uint8_t>& v) {
  return {reinterpret_cast<const std::byte*>(v.data()), v.size()};
}

// Reads a user sockaddr of len bytes (capped); false on a fault.
bool add_user_bytes(EventBuilder& b, pid_t tid, uint64_t addr, int64_t len, uint16_t cap,
                    bool& fault) {
  if (addr == 0 || len <= 0) {
    b.add_empty();
    return true;
  }
  std::vector<uint8_t> buf(static_cast<size_t>(std::min<int64_t>(len, cap)));
  if (!read_memory(tid, addr, buf.data(), buf.size())) {
    fault = true;
    b.add_empty();
    return false;
  }
  b.add_bytes(as_bytes(buf));
  return true;
}

}  // namespace

std::optional<TaskStatus>& TaskFacts::status() {
  if (!status_loaded_) {
    auto& text = status_text();
    status_ = text ? parse_status(*text) : std::nullopt;
    status_loaded_ = true;
  }
  return status_;
}

std::optional<std::string>& TaskFacts::comm() {
  if (!comm_loaded_) {
    // status has it too, escaped: where there was nothing to escape (no
    // backslash), the status read already made saves reading comm.
    std::optional<std::string_view> name;
    if (status_text_) name = status_name(*status_text_);
    if (name && name->find('\\') == std::string_view::npos) comm_ = std::string(*name);
    else comm_ = read_comm(tid_);
    comm_loaded_ = true;
  }
  return comm_;
}

uint64_t boottime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::optional<EncodedEvent> encode_event(const rtsec_event_recipe& r, const SyscallContext& c,
                                         TaskFacts& task, uint64_t ts_ns, std::string* error) {
  EventBuilder b(r.type, ts_ns, static_cast<uint32_t>(c.tid), static_cast<uint32_t>(c.pid));
  bool fault = false;
  const pid_t tid = c.tid;
  const unsigned nparams = r.nparams <= RTSEC_MAX_PARAMS ? r.nparams : RTSEC_MAX_PARAMS;
  auto arg = [&](unsigned i) -> uint64_t { return i < 6 ? c.args[i] : 0; };
  std::optional<std::optional<FileId>> file_id;  // dev and ino: one stat for both

  for (unsigned i = 0; i < nparams; ++i) {
    const rtsec_param_recipe& p = r.params[i];
    if (((p.flags & RTSEC_PARAM_IF_SUCCESS) && c.ret < 0) ||
        ((p.flags & RTSEC_PARAM_IF_FAILURE) && c.ret >= 0)) {
      b.add_empty();
      continue;
    }
    auto opt_int = [&](const auto& v) {
      if (v) add_integer(b, p.type, static_cast<uint64_t>(*v), false);
      else b.add_empty();
    };
    auto opt_str = [&](const std::optional<std::string>& v) {
      if (v) b.add_string(*v);
      else b.add_empty();
    };
    switch (p.source) {
      case RTSEC_SRC_RET:
        add_integer(b, p.type, static_cast<uint64_t>(c.ret), false);
        continue;
      case RTSEC_SRC_TASK_EXEPATH: opt_str(task.exe()); continue;
      case RTSEC_SRC_TASK_ARGV: {
        auto args = read_cmdline(tid, p.max_len ? p.max_len : RTSEC_MAX_ARGV_LEN);
        if (args.empty()) b.add_empty();
        else b.add_strings(args);
        continue;
      }
      case RTSEC_SRC_TASK_CWD: opt_str(task.cwd()); continue;
      case RTSEC_SRC_TASK_UID: {
        auto& s = task.status();
        opt_int(s ? std::optional<uint32_t>(s->uid) : std::nullopt);
        continue;
      }
      case RTSEC_SRC_TASK_GID: {
        auto& s = task.status();
        opt_int(s ? std::optional<uint32_t>(s->gid) : std::nullopt);
        continue;
      }
      case RTSEC_SRC_TASK_EUID: {
        auto& s = task.status();
        opt_int(s ? std::optional<uint32_t>(s->euid) : std::nullopt);
        continue;
      }
      case RTSEC_SRC_TASK_PPID: {
        auto& s = task.status();
        opt_int(s ? std::optional<int64_t>(s->ppid) : std::nullopt);
        continue;
      }
      case RTSEC_SRC_TASK_LOGINUID: opt_int(task.loginuid()); continue;
      case RTSEC_SRC_TASK_TTY: opt_int(task.tty()); continue;
      case RTSEC_SRC_TASK_CGROUP: opt_str(task.cgroup()); continue;
      case RTSEC_SRC_TASK_COMM: opt_str(task.comm()); continue;
      case RTSEC_SRC_TASK_EXIT_STATUS:
        // Only procexit has it: the tracer passes the wait status as ret.
        add_integer(b, p.type, static_cast<uint64_t>(c.ret), false);
        continue;
      default:
        break;
    }
    if (!c.is_syscall) {
      b.add_empty();
      continue;
    }
    switch (p.source) {
      case RTSEC_SRC_ARG:
        add_integer(b, p.type, arg(p.arg), true);
        break;
      case RTSEC_SRC_ARG_STR: {
        const uint64_t ptr = arg(p.arg);
        if (ptr == 0) {
          b.add_empty();  // NULL is "not given", not a fault
          break;
        }
        if (static_cast<int>(p.arg) == c.read_arg) {
          b.add_string(c.read_arg_text);
          break;
        }
        auto s = read_string(tid, ptr, p.max_len ? p.max_len : RTSEC_MAX_STR_LEN);
        if (!s) fault = true;
        opt_str(s);
        break;
      }
      case RTSEC_SRC_ARG_SOCKADDR:
        add_user_bytes(b, tid, arg(p.arg), static_cast<int32_t>(arg(p.aux)), p.max_len, fault);
        break;
      case RTSEC_SRC_ARG_SOCKADDR_PLEN: {
        const uint64_t lenp = arg(p.aux);
        int32_t len = 0;
        if (lenp && !read_memory(tid, lenp, &len, sizeof len)) {
          fault = true;
          b.add_empty();
          break;
        }
        add_user_bytes(b, tid, arg(p.arg), len, p.max_len, fault);
        break;
      }
      case RTSEC_SRC_ARG_MSGHDR_ADDR: {
        const uint64_t ptr = arg(p.arg);
        struct {
          uint64_t name;
          uint32_t namelen;
        } msg{};
        if (ptr == 0) {
          b.add_empty();
          break;
        }
        if (!read_memory(tid, ptr, &msg.name, 8) || !read_memory(tid, ptr + 8, &msg.namelen, 4)) {
          fault = true;
          b.add_empty();
          break;
        }
        add_user_bytes(b, tid, msg.name, static_cast<int32_t>(msg.namelen), p.max_len, fault);
        break;
      }
      case RTSEC_SRC_ARG_U64_AT: {
        const uint64_t ptr = arg(p.arg);
        uint64_t v = 0;
        const size_t size = is_fixed_4(p.type) ? 4 : 8;  // never past a short struct
        if (ptr == 0) {
          b.add_empty();
        } else if (!read_memory(tid, ptr + p.aux, &v, size)) {
          fault = true;
          b.add_empty();
        } else {
          add_integer(b, p.type, v, false);
        }
        break;
      }
      case RTSEC_SRC_ARG_FDPAIR: {
        const uint64_t ptr = arg(p.arg);
        int32_t fds[2];
        if (ptr == 0) {
          b.add_empty();
        } else if (!read_memory(tid, ptr, fds, sizeof fds)) {
          fault = true;
          b.add_empty();
        } else {
          b.add_fdpair(fds[0], fds[1]);
        }
        break;
      }
      case RTSEC_SRC_RET_FILE_DEV:
      case RTSEC_SRC_RET_FILE_INO: {
        if (!file_id && c.ret_file) file_id = c.ret_file;
        if (!file_id) {
          FdDir own(tid);
          file_id = fd_file_id(c.fd_dir ? *c.fd_dir : own, c.ret);
        }
        const auto& id = *file_id;
        if (!id) b.add_empty();
        else if (p.source == RTSEC_SRC_RET_FILE_DEV) add_integer(b, p.type, id->dev, false);
        else add_integer(b, p.type, id->ino, false);
        break;
      }
      default:
        b.add_empty();
        break;
    }
  }
  auto bytes = b.build();
  if (!bytes) {
    if (error) *error = bytes.error().message;
    return std::nullopt;
  }
  return EncodedEvent{std::move(*bytes), fault};
}

namespace {

// Appends a parameter as it was encoded (wire type `type`, bytes `v`), so
// that the builder writes the same bytes again.
void copy_param(EventBuilder& b, uint8_t type, std::span<const std::byte> v) {
  if (v.empty()) {
    b.add_empty();
    return;
  }
  const auto text = [&] { return std::string_view(reinterpret_cast<const char*>(v.data()), v.size()); };
  switch (type) {
    case RTSEC_PT_PATH:
    case RTSEC_PT_CHARBUF: b.add_string(text()); return;
    case RTSEC_PT_CHARBUF_ARRAY: {
      std::vector<std::string> strings;
      std::string_view rest = text();
      while (!rest.empty()) {
        const size_t nul = rest.find('\0');
        strings.emplace_back(rest.substr(0, nul));
        rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
      }
      b.add_strings(strings);
      return;
    }
    case RTSEC_PT_SOCKADDR: b.add_bytes(v); return;
    case RTSEC_PT_FDPAIR: {
      int32_t fds[2] = {};
      std::memcpy(fds, v.data(), std::min(v.size(), sizeof fds));
      b.add_fdpair(fds[0], fds[1]);
      return;
    }
    default: break;
  }
  if (v.size() == 4) {
    uint32_t u = 0;
    std::memcpy(&u, v.data(), 4);
    b.add_uint(u);
  } else {
    uint64_t u = 0;
    std::memcpy(&u, v.data(), std::min<size_t>(v.size(), 8));
    b.add_uint(u);
  }
}

}  // namespace

std::optional<std::vector<std::byte>> rebuild_with_result(const rtsec_event_recipe& r,
                                                          std::span<const std::byte> event,
                                                          int64_t ret,
                                                          const std::optional<FileId>& ret_file,
                                                          std::string* error) {
  auto fail = [&](std::string why) -> std::optional<std::vector<std::byte>> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  rtsec_event_hdr hdr{};
  if (event.size() < RTSEC_EVENT_HDR_LEN) return fail("event shorter than its header");
  std::memcpy(&hdr, event.data(), sizeof hdr);
  const size_t table = RTSEC_EVENT_HDR_LEN, nparams = hdr.nparams;
  if (hdr.type != r.type || nparams != r.nparams || nparams > RTSEC_MAX_PARAMS ||
      hdr.len != event.size() || table + 2 * nparams > event.size())
    return fail("event does not match its recipe");
  EventBuilder b(hdr.type, hdr.ts_ns, hdr.tid, hdr.pid);
  size_t offset = table + 2 * nparams;
  for (size_t i = 0; i < nparams; ++i) {
    uint16_t len = 0;
    std::memcpy(&len, event.data() + table + 2 * i, sizeof len);
    if (offset + len > event.size()) return fail("parameter " + std::to_string(i) + " past the end");
    const std::span<const std::byte> old = event.subspan(offset, len);
    offset += len;
    const rtsec_param_recipe& p = r.params[i];
    const bool depends_on_ret = p.flags & (RTSEC_PARAM_IF_SUCCESS | RTSEC_PARAM_IF_FAILURE);
    if (((p.flags & RTSEC_PARAM_IF_SUCCESS) && ret < 0) ||
        ((p.flags & RTSEC_PARAM_IF_FAILURE) && ret >= 0)) {
      b.add_empty();
    } else if (p.source == RTSEC_SRC_RET) {
      add_integer(b, p.type, static_cast<uint64_t>(ret), false);
    } else if (p.source == RTSEC_SRC_RET_FILE_DEV || p.source == RTSEC_SRC_RET_FILE_INO) {
      if (!ret_file) b.add_empty();
      else add_integer(b, p.type, p.source == RTSEC_SRC_RET_FILE_DEV ? ret_file->dev : ret_file->ino, false);
    } else if (depends_on_ret && old.empty()) {
      // Captured only for the other result: what it would hold is not known.
      return fail("parameter " + std::to_string(i) + " cannot be captured after the fact");
    } else {
      copy_param(b, p.type, old);
    }
  }
  auto bytes = b.build();
  if (!bytes) return fail(bytes.error().message);
  return std::move(*bytes);
}

}  // namespace rtsec::ptrace
