// SPDX-License-Identifier: Apache-2.0
// The decoder against events from EventBuilder (round trips) and against bytes no driver
// should write (each rejected with the check that failed, never a crash).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "rtsec/decoder.hpp"
#include "rtsec/event_builder.hpp"
#include "rtsec/event_format.hpp"

namespace rtsec {
namespace {

using Bytes = std::vector<std::byte>;

Bytes bytes_of(std::string_view s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return Bytes(p, p + s.size());
}

template <typename T>
Bytes bytes_of_value(T value) {
  Bytes out(sizeof value);
  std::memcpy(out.data(), &value, sizeof value);
  return out;
}

template <typename T>
void patch(Bytes& event, size_t offset, T value) {
  std::memcpy(event.data() + offset, &value, sizeof value);
}

// Frames parameters by hand, for bytes no encoder would produce.
Bytes frame(uint16_t type, const std::vector<Bytes>& params) {
  Bytes out(RTSEC_EVENT_HDR_LEN);
  for (const Bytes& p : params) {
    const Bytes len = bytes_of_value(static_cast<uint16_t>(p.size()));
    out.insert(out.end(), len.begin(), len.end());
  }
  for (const Bytes& p : params) out.insert(out.end(), p.begin(), p.end());
  rtsec_event_hdr hdr{};
  hdr.ts_ns = 1;
  hdr.len = static_cast<uint32_t>(out.size());
  hdr.type = type;
  hdr.nparams = static_cast<uint16_t>(params.size());
  std::memcpy(out.data(), &hdr, sizeof hdr);
  return out;
}

void set_len(Bytes& event, uint32_t len) { patch(event, offsetof(rtsec_event_hdr, len), len); }

Bytes build(const EventBuilder& b) {
  auto bytes = b.build();
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  return bytes.ok() ? *bytes : Bytes{};
}

// The bytes of an event and the view decoded from them, which borrows them.
class Decoded {
 public:
  explicit Decoded(Bytes bytes) : bytes_(std::move(bytes)), ev_(decode_event(bytes_)) {}
  Decoded(const Decoded&) = delete;
  Decoded& operator=(const Decoded&) = delete;

  bool ok() const { return ev_.ok(); }
  const Error& error() const { return ev_.error(); }
  const DecodedEvent* operator->() const { return &*ev_; }

 private:
  Bytes bytes_;
  Result<DecodedEvent> ev_;
};

Bytes openat_event() {
  return build(EventBuilder(RTSEC_EVT_OPENAT, 123456789, 42, 41)
                   .add_int(3)
                   .add_int(AT_FDCWD)
                   .add_string("/etc/passwd")
                   .add_uint(O_WRONLY | O_CREAT)
                   .add_uint(0644)
                   .add_uint(0x800001)
                   .add_uint(1234567));
}

// The message of the error decode_event() gives for `bytes`; "" if it accepted them.
std::string rejection(const Bytes& bytes) {
  auto ev = decode_event(bytes);
  return ev.ok() ? "" : ev.error().message;
}

// ---- round trips ----------------------------------------------------------------------------

TEST(Decoder, RoundTripsOpenat) {
  const Bytes bytes = openat_event();
  auto ev = decode_event(bytes);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->header().ts_ns, 123456789u);
  EXPECT_EQ(ev->header().tid, 42u);
  EXPECT_EQ(ev->header().pid, 41u);
  EXPECT_EQ(ev->header().len, bytes.size());
  EXPECT_EQ(ev->name(), "openat");
  EXPECT_EQ(&ev->info(), event_info(RTSEC_EVT_OPENAT));
  ASSERT_EQ(ev->param_count(), 7u);
  EXPECT_EQ(ev->as_int(0), 3);
  EXPECT_EQ(ev->int_param("dirfd"), AT_FDCWD);
  EXPECT_EQ(ev->string_param("name"), "/etc/passwd");
  EXPECT_EQ(ev->raw(2).size(), sizeof("/etc/passwd"));
  EXPECT_EQ(ev->uint_param("flags"), static_cast<uint64_t>(O_WRONLY | O_CREAT));
  EXPECT_EQ(ev->uint_param("mode"), 0644u);
  EXPECT_EQ(ev->uint_param("dev"), 0x800001u);
  EXPECT_EQ(ev->uint_param("ino"), 1234567u);
  EXPECT_EQ(ev->index_of("mode"), 4);
  EXPECT_EQ(ev->index_of("no_such_param"), -1);
  EXPECT_EQ(ev->int_param("no_such_param"), std::nullopt);
}

TEST(Decoder, TypedAccessorsRefuseWhatDoesNotFit) {
  auto bytes = build(EventBuilder(RTSEC_EVT_OPENAT, 1, 2, 2)
                         .add_int(-2)
                         .add_int(AT_FDCWD)
                         .add_string("x")
                         .add_uint(0)
                         .add_uint(0)
                         .add_empty()
                         .add_empty());
  auto ev = decode_event(bytes);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->as_int(0), -2);
  EXPECT_EQ(ev->as_uint(0), std::nullopt);    // negative
  EXPECT_EQ(ev->as_string(0), std::nullopt);  // not a string
  EXPECT_EQ(ev->as_int(2), std::nullopt);     // not an integer
  EXPECT_EQ(ev->as_uint(5), std::nullopt);    // not captured
  EXPECT_TRUE(ev->raw(5).empty());
  EXPECT_EQ(ev->as_int(7), std::nullopt);  // past the parameters

  const Decoded mmap(build(EventBuilder(RTSEC_EVT_MMAP, 1, 2, 2)
                               .add_int(0x7f0000000000)
                               .add_uint(UINT64_MAX)
                               .add_uint(4096)
                               .add_uint(0)
                               .add_uint(0)
                               .add_int(-1)
                               .add_uint(0)));
  ASSERT_TRUE(mmap.ok()) << mmap.error().message;
  EXPECT_EQ(mmap->uint_param("addr"), UINT64_MAX);
  EXPECT_EQ(mmap->int_param("addr"), std::nullopt);  // above INT64_MAX
  EXPECT_EQ(mmap->int_param("length"), 4096);        // a u64 that fits
}

TEST(Decoder, RoundTripsExecveWithArgvAndIds) {
  auto bytes = build(EventBuilder(RTSEC_EVT_EXECVE, 5, 100, 100)
                         .add_int(0)
                         .add_string("/usr/bin/sh")
                         .add_strings({"sh", "-c", "", "true"})
                         .add_string("/root")
                         .add_uint(0)
                         .add_uint(0)
                         .add_uint(0)
                         .add_int(-1)  // loginuid unset
                         .add_uint(0x8800)
                         .add_int(1)
                         .add_string("/docker/abc")
                         .add_string("sh")
                         .add_empty());
  auto ev = decode_event(bytes);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->string_param("exepath"), "/usr/bin/sh");
  const std::string_view argv("sh\0-c\0\0true\0", 12);
  const auto raw = ev->raw(ev->index_of("args"));
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()), argv);
  EXPECT_EQ(ev->uint_param("loginuid"), 4294967295u);
  EXPECT_EQ(ev->int_param("ppid"), 1);
  EXPECT_EQ(ev->string_param("comm"), "sh");
  EXPECT_EQ(ev->string_param("filename"), std::nullopt);  // IF_FAILURE: not captured
}

TEST(Decoder, RoundTripsSockaddrFdPairAndExitStatus) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(80);
  sin.sin_addr.s_addr = htonl(0x7f000001);
  const Decoded connect(build(EventBuilder(RTSEC_EVT_CONNECT, 1, 2, 2)
                                  .add_int(0)
                                  .add_int(5)
                                  .add_bytes(std::as_bytes(std::span(&sin, 1)))));
  ASSERT_TRUE(connect.ok()) << connect.error().message;
  EXPECT_EQ(connect->raw(2).size(), sizeof sin);

  const Decoded pipe(build(EventBuilder(RTSEC_EVT_PIPE, 1, 2, 2).add_int(0).add_fdpair(3, 4)));
  ASSERT_TRUE(pipe.ok()) << pipe.error().message;
  EXPECT_EQ(pipe->raw(1).size(), 8u);
  EXPECT_EQ(pipe->as_int(1), std::nullopt);

  const Decoded exit(build(EventBuilder(RTSEC_EVT_PROCEXIT, 1, 2, 2).add_int(-1).add_string("x")));
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->int_param("status"), -1);
}

// A value of the right type for any parameter, so every row of the table is exercised.
void add_sample(EventBuilder& b, const ParamInfo& p) {
  static const sockaddr_in6 sin6 = [] {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(443);
    a.sin6_addr = in6addr_loopback;
    return a;
  }();
  switch (p.type) {
    case RTSEC_PT_PATH:
    case RTSEC_PT_CHARBUF:
      b.add_string(p.name);
      break;
    case RTSEC_PT_CHARBUF_ARRAY:
      b.add_strings({"a", std::string(p.name)});
      break;
    case RTSEC_PT_SOCKADDR:
      b.add_bytes(std::as_bytes(std::span(&sin6, 1)));
      break;
    case RTSEC_PT_FDPAIR:
      b.add_fdpair(5, 6);
      break;
    default:
      b.add_int(-7);
  }
}

TEST(Decoder, RoundTripsEveryEventOfTheTable) {
  for (const EventInfo& e : all_events()) {
    SCOPED_TRACE(std::string(e.name));
    EventBuilder b(e.id, e.id, 1, 1);
    for (const ParamInfo& p : e.params) add_sample(b, p);
    const Bytes bytes = build(b);
    auto ev = decode_event(bytes);
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    ASSERT_EQ(ev->param_count(), e.params.size());
    for (size_t i = 0; i < e.params.size(); ++i) {
      const ParamInfo& p = e.params[i];
      if (p.type == RTSEC_PT_PATH || p.type == RTSEC_PT_CHARBUF) {
        EXPECT_EQ(ev->as_string(i), p.name);
      } else if (p.type == RTSEC_PT_U64) {  // -7 read back at the parameter's width and sign
        EXPECT_EQ(ev->as_uint(i), static_cast<uint64_t>(-7));
      } else if (p.type == RTSEC_PT_U32 || p.type == RTSEC_PT_UID || p.type == RTSEC_PT_GID ||
                 p.type == RTSEC_PT_DEV) {
        EXPECT_EQ(ev->as_uint(i), static_cast<uint32_t>(-7));
      } else if (p.type != RTSEC_PT_FDPAIR && p.type != RTSEC_PT_SOCKADDR &&
                 p.type != RTSEC_PT_CHARBUF_ARRAY) {
        EXPECT_EQ(ev->as_int(i), -7);
      }
      EXPECT_FALSE(format_param_text(*ev, i).empty());
      EXPECT_FALSE(format_param_json(*ev, i).empty());
    }
  }
}

TEST(Decoder, ReadsUnalignedInput) {
  const Bytes bytes = openat_event();
  Bytes shifted(bytes.size() + 1);
  std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
  auto ev = decode_event(std::span(shifted).subspan(1));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->int_param("dirfd"), AT_FDCWD);
  EXPECT_EQ(ev->uint_param("ino"), 1234567u);
}

// A newer minor appends parameters: the decoder checks their bounds and ignores them.
TEST(Decoder, IgnoresParametersANewerMinorAppends) {
  const Bytes known = openat_event();
  std::vector<Bytes> params;
  auto ev = decode_event(known);
  ASSERT_TRUE(ev.ok());
  for (size_t i = 0; i < ev->param_count(); ++i)
    params.emplace_back(ev->raw(i).begin(), ev->raw(i).end());
  params.push_back(bytes_of("future"));
  const Bytes newer = frame(RTSEC_EVT_OPENAT, params);
  auto decoded = decode_event(newer);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->header().nparams, 8u);
  EXPECT_EQ(decoded->param_count(), 7u);
  EXPECT_EQ(decoded->string_param("name"), "/etc/passwd");

  params.back() = Bytes(3);
  Bytes past_end = frame(RTSEC_EVT_OPENAT, params);
  past_end.resize(past_end.size() - 1);
  set_len(past_end, static_cast<uint32_t>(past_end.size()));
  EXPECT_EQ(rejection(past_end), "parameter 7 of openat: 1 bytes past the end");
}

// An older driver sends fewer parameters: the missing ones read as absent.
TEST(Decoder, AcceptsFewerParametersFromAnOlderMinor) {
  const Bytes older = frame(RTSEC_EVT_OPENAT, {bytes_of_value<int64_t>(3)});
  auto ev = decode_event(older);
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->param_count(), 1u);
  EXPECT_EQ(ev->as_int(0), 3);
  EXPECT_EQ(ev->index_of("name"), -1);
  EXPECT_EQ(ev->string_param("name"), std::nullopt);
  EXPECT_EQ(format_param_text(*ev, 2), "<NA>");
}

TEST(Decoder, StringsStopAtTheirFirstNul) {
  // comm padded to its 16-byte buffer, as a BPF helper fills it
  Bytes comm = bytes_of(std::string_view("bash\0\0\0\0\0\0\0\0\0\0\0\0", 16));
  const Decoded ev(frame(RTSEC_EVT_PROCEXIT, {bytes_of_value<int32_t>(0), comm}));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->string_param("comm"), "bash");
}

// ---- malformed input ------------------------------------------------------------------------

TEST(Decoder, RejectsATruncatedHeader) {
  EXPECT_EQ(rejection({}), "event of 0 bytes is shorter than the 24-byte header");
  Bytes bytes = openat_event();
  bytes.resize(23);
  EXPECT_EQ(rejection(bytes), "event of 23 bytes is shorter than the 24-byte header");
}

TEST(Decoder, RejectsALengthThatDisagreesWithTheFraming) {
  Bytes bytes = frame(RTSEC_EVT_OPEN, {{}, {}, {}, {}});  // 24 + 4 * 2 bytes
  ASSERT_EQ(bytes.size(), 32u);
  set_len(bytes, 40);
  EXPECT_EQ(rejection(bytes), "event length 40 but the ring framed 32 bytes");
  set_len(bytes, 31);
  EXPECT_EQ(rejection(bytes), "event length 31 but the ring framed 32 bytes");
}

TEST(Decoder, RejectsALengthPastTheMaximum) {
  Bytes bytes = frame(RTSEC_EVT_CLOSE, {});
  bytes.resize(RTSEC_MAX_EVENT_LEN + 1);
  set_len(bytes, RTSEC_MAX_EVENT_LEN + 1);
  EXPECT_EQ(rejection(bytes), "event length 32769 exceeds the maximum of 32768 bytes");
}

TEST(Decoder, RejectsUnknownTypes) {
  for (uint16_t type : {0, 9999, static_cast<int>(RTSEC_EVT_MAX)}) {
    Bytes bytes = frame(type, {});
    EXPECT_EQ(rejection(bytes), "unknown event type " + std::to_string(type));
  }
}

TEST(Decoder, RejectsMoreParametersThanTheAbiAllows) {
  Bytes bytes = frame(RTSEC_EVT_OPENAT, std::vector<Bytes>(200));
  EXPECT_EQ(rejection(bytes), "openat: 200 parameters, more than the maximum of 16");
}

TEST(Decoder, RejectsALengthTablePastTheEnd) {
  Bytes bytes = frame(RTSEC_EVT_OPENAT, {});
  patch<uint16_t>(bytes, offsetof(rtsec_event_hdr, nparams), 5);  // 10 bytes of table, 0 sent
  bytes.resize(28);
  set_len(bytes, 28);
  EXPECT_EQ(rejection(bytes), "openat: length table of 5 entries ends 6 bytes past the end");
}

TEST(Decoder, RejectsParameterBytesPastTheEnd) {
  Bytes bytes = frame(RTSEC_EVT_OPENAT, {bytes_of_value<int64_t>(3), bytes_of_value<int64_t>(-100),
                                         bytes_of(std::string_view("/tmp/x\0", 7))});
  const size_t name_len = RTSEC_EVENT_HDR_LEN + 2 * sizeof(uint16_t);
  patch<uint16_t>(bytes, name_len, 7 + 12);
  EXPECT_EQ(rejection(bytes), "parameter 2 (name) of openat: 12 bytes past the end");
  patch<uint16_t>(bytes, name_len, 0xffff);  // no wrap-around on the largest length
  EXPECT_EQ(rejection(bytes), "parameter 2 (name) of openat: 65528 bytes past the end");
}

TEST(Decoder, RejectsFixedSizeParametersOfTheWrongSize) {
  EXPECT_EQ(rejection(frame(RTSEC_EVT_OPENAT, {bytes_of_value<int32_t>(3)})),
            "parameter 0 (fd) of openat: 4 bytes, but a fd takes 8 (or 0 when not captured)");
  EXPECT_EQ(
      rejection(frame(RTSEC_EVT_OPENAT,
                      {{}, {}, bytes_of(std::string_view("x\0", 2)), bytes_of_value<uint64_t>(0)})),
      "parameter 3 (flags) of openat: 8 bytes, but a u32 takes 4 (or 0 when not captured)");
  EXPECT_EQ(rejection(frame(RTSEC_EVT_PIPE, {{}, bytes_of_value<int32_t>(3)})),
            "parameter 1 (fds) of pipe: 4 bytes, but a fdpair takes 8 (or 0 when not captured)");
}

TEST(Decoder, RejectsStringsWithoutTheirNul) {
  EXPECT_EQ(rejection(frame(RTSEC_EVT_OPENAT, {{}, {}, bytes_of("/tmp")})),
            "parameter 2 (name) of openat: path of 4 bytes does not end with a NUL");
  EXPECT_EQ(rejection(frame(RTSEC_EVT_PROCEXIT, {{}, bytes_of("sh")})),
            "parameter 1 (comm) of procexit: charbuf of 2 bytes does not end with a NUL");
  EXPECT_EQ(rejection(frame(RTSEC_EVT_EXECVE, {{}, {}, bytes_of(std::string_view("sh\0-c", 5))})),
            "parameter 2 (args) of execve: charbuf_array of 5 bytes does not end with a NUL");
}

TEST(Decoder, RejectsVariableParametersOverTheirCap) {
  Bytes comm = bytes_of(std::string(RTSEC_MAX_STR_LEN, 'a'));
  comm.push_back(std::byte{0});
  EXPECT_EQ(rejection(frame(RTSEC_EVT_PROCEXIT, {{}, comm})),
            "parameter 1 (comm) of procexit: 257 bytes, over the 256-byte cap of a charbuf");
}

TEST(Decoder, RejectsTrailingBytes) {
  Bytes bytes = openat_event();
  bytes.insert(bytes.end(), {std::byte{1}, std::byte{2}, std::byte{3}});
  set_len(bytes, static_cast<uint32_t>(bytes.size()));
  EXPECT_EQ(rejection(bytes), "openat: 3 trailing bytes after the last parameter");
}

// Every prefix of a valid event, with its length field made to agree, is refused cleanly.
TEST(Decoder, RejectsEveryTruncation) {
  const Bytes full = openat_event();
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(n));
    if (n >= RTSEC_EVENT_HDR_LEN) set_len(cut, static_cast<uint32_t>(n));
    EXPECT_FALSE(rejection(cut).empty()) << n << " bytes";
  }
}

// Single-byte corruption anywhere: the decoder either refuses or yields an event that formats.
TEST(Decoder, SurvivesEverySingleByteCorruption) {
  const Bytes full = openat_event();
  for (size_t at = 0; at < full.size(); ++at) {
    for (int value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      Bytes bad = full;
      bad[at] = static_cast<std::byte>(value);
      auto ev = decode_event(bad);
      if (!ev.ok()) continue;
      for (size_t i = 0; i < ev->param_count(); ++i) {
        format_param_text(*ev, i);
        format_param_json(*ev, i);
      }
    }
  }
}

// ---- EventBuilder -----------------------------------------------------------------------------

std::string misuse(const EventBuilder& b) {
  auto r = b.build();
  return r.ok() ? "" : r.error().message;
}

TEST(EventBuilder, ReportsAnUnknownType) {
  EXPECT_EQ(misuse(EventBuilder(9999, 0, 0, 0).add_int(1)),
            "EventBuilder: unknown event type 9999");
}

TEST(EventBuilder, ReportsAValueOfTheWrongKind) {
  EXPECT_EQ(misuse(EventBuilder(RTSEC_EVT_OPENAT, 0, 0, 0).add_string("/x")),
            "EventBuilder(openat): add_string cannot encode parameter 0 (fd), a fd");
  EXPECT_EQ(misuse(EventBuilder(RTSEC_EVT_OPENAT, 0, 0, 0).add_int(3).add_int(3).add_int(3)),
            "EventBuilder(openat): add_int cannot encode parameter 2 (name), a path");
  // the first misuse is the one reported
  EXPECT_EQ(misuse(EventBuilder(RTSEC_EVT_PIPE, 0, 0, 0).add_int(0).add_int(1).add_bytes({})),
            "EventBuilder(pipe): add_int cannot encode parameter 1 (fds), a fdpair");
}

TEST(EventBuilder, ReportsACountThatDisagreesWithTheTable) {
  EXPECT_EQ(misuse(EventBuilder(RTSEC_EVT_CLOSE, 0, 0, 0).add_int(0)),
            "EventBuilder(close): 1 parameters added, the table has 2");
  EXPECT_EQ(misuse(EventBuilder(RTSEC_EVT_CLOSE, 0, 0, 0).add_int(0).add_int(1).add_empty()),
            "EventBuilder(close): add_empty for parameter 2, but the table has 2");
}

TEST(EventBuilder, ChecksTheRangeOfFourByteParameters) {
  auto setuid = [](auto value) {
    return EventBuilder(RTSEC_EVT_SETUID, 0, 0, 0).add_int(0).add_int(value);
  };
  EXPECT_EQ(misuse(setuid(int64_t{1} << 32)),
            "EventBuilder(setuid): 4294967296 does not fit parameter 1 (uid), a 4-byte uid");
  EXPECT_EQ(misuse(setuid(int64_t{INT32_MIN} - 1)),
            "EventBuilder(setuid): -2147483649 does not fit parameter 1 (uid), a 4-byte uid");
  EXPECT_EQ(misuse(EventBuilder(RTSEC_EVT_SETUID, 0, 0, 0).add_int(0).add_uint(UINT64_MAX)),
            "EventBuilder(setuid): 18446744073709551615 does not fit parameter 1 (uid), a "
            "4-byte uid");
  const Decoded ev(build(setuid(-1)));
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->uint_param("uid"), 4294967295u);
}

TEST(EventBuilder, CutsStringsAtNulAndCap) {
  const std::string long_path(RTSEC_MAX_PATH_LEN + 100, 'p');
  const Decoded ev(build(EventBuilder(RTSEC_EVT_UNLINK, 0, 0, 0).add_int(0).add_string(long_path)));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->raw(1).size(), RTSEC_MAX_PATH_LEN);
  EXPECT_EQ(ev->string_param("path")->size(), RTSEC_MAX_PATH_LEN - 1u);

  const Decoded cut(build(EventBuilder(RTSEC_EVT_UNLINK, 0, 0, 0)
                              .add_int(0)
                              .add_string(std::string_view("/a\0/b", 5))));
  ASSERT_TRUE(cut.ok()) << cut.error().message;
  EXPECT_EQ(cut->raw(1).size(), 3u);
}

TEST(EventBuilder, CutsArgvAtItsCap) {
  const std::vector<std::string> argv(100, std::string(100, 'a'));  // 10100 bytes
  EventBuilder b(RTSEC_EVT_EXECVE, 0, 0, 0);
  b.add_int(0).add_string("/bin/a").add_strings(argv);
  for (int i = 0; i < 10; ++i) b.add_empty();
  const Decoded ev(build(b));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  const auto raw = ev->raw(2);
  ASSERT_EQ(raw.size(), RTSEC_MAX_ARGV_LEN);
  EXPECT_EQ(raw.back(), std::byte{0});
  EXPECT_EQ(raw[100], std::byte{0});  // whole arguments first
}

TEST(EventBuilder, CutsASockaddrAtItsCap) {
  const Bytes big(RTSEC_MAX_SOCKADDR_LEN + 10, std::byte{1});
  const Decoded ev(
      build(EventBuilder(RTSEC_EVT_BIND, 0, 0, 0).add_int(0).add_int(3).add_bytes(big)));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(ev->raw(2).size(), RTSEC_MAX_SOCKADDR_LEN);
}

}  // namespace
}  // namespace rtsec
