// SPDX-License-Identifier: Apache-2.0
// A driver repository: files under one URL,
//   index       "rtsec-driver-index 1" then one "<sha256> <size> <name>" per artifact
//   index.sig   the raw 64-byte Ed25519 signature of index
//   <name>      the artifacts
// The signature is what makes the index trustworthy; the index's size and
// sha256 are what make each artifact so.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "rtsec/result.hpp"

namespace rtsec::loader {

inline constexpr const char* kIndexHeader = "rtsec-driver-index 1";

struct IndexEntry {
  std::string name;
  uint64_t size = 0;
  std::string sha256;  // lower-case hex
};

// A safe artifact file name: [A-Za-z0-9._+-], no leading dot, ends in .ko.
bool valid_artifact_name(const std::string& name);

Result<std::vector<IndexEntry>> parse_index(const std::string& text);
std::string format_index(const std::vector<IndexEntry>& entries);
const IndexEntry* find_entry(const std::vector<IndexEntry>& entries, const std::string& name);

Result<std::string> sha256_file(const std::filesystem::path& file);
std::string sha256_hex(const std::string& data);

// Ed25519 keys as PEM files (openssl genpkey -algorithm ed25519 writes the same).
Status generate_key(const std::filesystem::path& private_pem, const std::filesystem::path& public_pem);
Result<std::string> sign(const std::string& data, const std::filesystem::path& private_pem);
// Ok when the signature verifies with this public key; the error says why not.
Status verify(const std::string& data, const std::string& signature,
              const std::filesystem::path& public_pem);

// Adds (or replaces) an artifact in DIR/index and re-signs it.
Status publish(const std::filesystem::path& repo_dir, const std::filesystem::path& artifact,
               const std::filesystem::path& private_pem);

}  // namespace rtsec::loader
