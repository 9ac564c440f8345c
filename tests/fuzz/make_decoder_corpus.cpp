// SPDX-License-Identifier: Apache-2.0
// Writes the decoder fuzzer's seeds into a directory: for every event of the table one event
// with every parameter captured and one with none, encoded by EventBuilder.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include "rtsec/event_builder.hpp"

namespace {

void add_sample(rtsec::EventBuilder& b, const rtsec::ParamInfo& p, uint16_t variant) {
  static const sockaddr_in6 inet6 = [] {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(443);
    a.sin6_addr = in6addr_loopback;
    return a;
  }();
  static const sockaddr_un unix_addr = [] {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "/run/rtsec.sock");
    return a;
  }();
  switch (p.type) {
    case RTSEC_PT_PATH:
      b.add_string("/tmp/" + std::string(p.name));
      break;
    case RTSEC_PT_CHARBUF:
      b.add_string(p.name);
      break;
    case RTSEC_PT_CHARBUF_ARRAY:
      b.add_strings({"sh", "-c", "id"});
      break;
    case RTSEC_PT_SOCKADDR:
      if (variant % 2)
        b.add_bytes(std::as_bytes(std::span(&inet6, 1)));
      else
        b.add_bytes(std::as_bytes(std::span(&unix_addr, 1)).first(2 + 16));
      break;
    case RTSEC_PT_FDPAIR:
      b.add_fdpair(3, 4);
      break;
    default:
      b.add_int(variant % 2 ? -2 : 0x241);  // -ENOENT, or a plausible flags value
  }
}

bool write_seed(const std::filesystem::path& path, const rtsec::EventBuilder& b) {
  auto bytes = b.build();
  if (!bytes.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), bytes.error().message.c_str());
    return false;
  }
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes->data()),
            static_cast<std::streamsize>(bytes->size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  bool ok = true;
  for (const rtsec::EventInfo& e : rtsec::all_events()) {
    rtsec::EventBuilder full(e.id, 1000 + e.id, 100, 100);
    rtsec::EventBuilder empty(e.id, 2000 + e.id, 101, 100);
    for (const rtsec::ParamInfo& p : e.params) {
      add_sample(full, p, e.id);
      empty.add_empty();
    }
    const std::string name(e.name);
    ok &= write_seed(dir / (name + ".bin"), full);
    ok &= write_seed(dir / (name + "-empty.bin"), empty);
  }
  return ok ? 0 : 1;
}
