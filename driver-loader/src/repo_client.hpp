// SPDX-License-Identifier: Apache-2.0
// Fetching one artifact from a repository, verified: the index's signature
// against the trusted keys, then the artifact's size and sha256 against the
// index. Whatever fails a check is deleted.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "download.hpp"

namespace rtsec::loader {

enum class FetchOutcome {
  kInstalled,    // verified and moved to its place
  kNotInRepo,    // the repository answered and does not have it
  kUnreachable,  // the repository could not be read (network, HTTP error)
  kRefused,      // a verification check failed: signature, checksum, size
};

struct FetchResult {
  FetchOutcome outcome;
  std::string message;  // what happened, naming the failed check
};

struct RepoClient {
  std::vector<std::filesystem::path> keys;  // trusted Ed25519 public keys (PEM)
  bool insecure = false;                    // skip the signature check (never the default)
  DownloadOptions download;

  // Puts `name` from `repo_url` at `dest` (a file in a folder only root can write).
  FetchResult fetch(const std::string& repo_url, const std::string& name,
                    const std::filesystem::path& dest) const;
};

}  // namespace rtsec::loader
