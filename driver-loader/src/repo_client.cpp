// SPDX-License-Identifier: Apache-2.0
#include "repo_client.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "repo.hpp"

namespace rtsec::loader {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxIndexBytes = 4u << 20;
constexpr uint64_t kSignatureBytes = 64;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
}

}  // namespace

FetchResult RepoClient::fetch(const std::string& repo, const std::string& name, const fs::path& dest) const {
  const fs::path dir = dest.parent_path();
  const fs::path index_file = dir / (".index." + name + ".part");
  const fs::path sig_file = dir / (".index.sig." + name + ".part");
  const fs::path part = dir / ("." + name + ".part");
  auto cleanup = [&] {
    remove_quietly(index_file);
    remove_quietly(sig_file);
  };

  DownloadOptions small = download;
  small.progress = false;
  small.max_bytes = kMaxIndexBytes;
  bool not_found = false;
  auto got = fetch_to_file(join_url(repo, "index"), index_file, small, &not_found);
  if (!got) return {FetchOutcome::kUnreachable,
                    "cannot read the repository index: " + got.error().message};
  const std::string index = slurp(index_file);

  if (insecure) {
    std::fprintf(stderr, "rtsec-driver-loader: WARNING: --insecure: the index of %s is NOT verified\n",
                 repo.c_str());
  } else {
    small.max_bytes = kSignatureBytes;
    got = fetch_to_file(join_url(repo, "index.sig"), sig_file, small, &not_found);
    if (!got) {
      cleanup();
      return {not_found ? FetchOutcome::kRefused : FetchOutcome::kUnreachable,
              not_found ? "signature check failed: the repository has no index.sig"
                        : "cannot read the index signature: " + got.error().message};
    }
    const std::string sig = slurp(sig_file);
    if (keys.empty()) {
      cleanup();
      return {FetchOutcome::kRefused,
              "signature check failed: no trusted repository key (install one in /etc/rtsec/driver-keys, "
              "pass --repo-key FILE, or --insecure to skip verification)"};
    }
    std::string why;
    bool verified = false;
    for (const auto& key : keys) {
      auto ok = verify(index, sig, key);
      if (ok) {
        verified = true;
        break;
      }
      why += (why.empty() ? "" : "; ") + ok.error().message;
    }
    if (!verified) {
      cleanup();
      return {FetchOutcome::kRefused, "signature check failed: the index signature does not verify (" + why + ")"};
    }
  }
  cleanup();

  auto entries = parse_index(index);
  if (!entries) return {FetchOutcome::kRefused, "the signed index is malformed: " + entries.error().message};
  const IndexEntry* entry = find_entry(*entries, name);
  if (!entry) return {FetchOutcome::kNotInRepo, "the repository has no " + name};

  DownloadOptions big = download;
  big.max_bytes = entry->size;  // more than the index says: refused while downloading
  got = fetch_to_file(join_url(repo, name), part, big, &not_found);
  if (!got) {
    remove_quietly(part);
    const bool too_big = got.error().message.find("larger than") != std::string::npos;
    if (too_big)
      return {FetchOutcome::kRefused, "size check failed: " + name + " is larger than the " +
                                          std::to_string(entry->size) + " bytes of the signed index; deleted"};
    return {FetchOutcome::kUnreachable, "cannot download " + name + ": " + got.error().message};
  }
  if (*got != entry->size) {
    remove_quietly(part);
    return {FetchOutcome::kRefused, "size check failed: " + name + " is truncated (" + std::to_string(*got) +
                                        " of " + std::to_string(entry->size) + " bytes); deleted"};
  }
  auto digest = sha256_file(part);
  if (!digest || *digest != entry->sha256) {
    remove_quietly(part);
    return {FetchOutcome::kRefused, "checksum check failed: the sha256 of " + name + " is " +
                                        (digest ? *digest : std::string("unreadable")) +
                                        ", the signed index says " + entry->sha256 + "; deleted"};
  }
  std::error_code ec;
  fs::rename(part, dest, ec);
  if (ec) {
    remove_quietly(part);
    return {FetchOutcome::kUnreachable, "cannot move the artifact to " + dest.string() + ": " + ec.message()};
  }
  fs::permissions(dest, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read, ec);
  return {FetchOutcome::kInstalled, "verified (" + std::string(insecure ? "sha256 only, --insecure" : "signature, size, sha256") + ")"};
}

}  // namespace rtsec::loader
