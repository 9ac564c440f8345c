// SPDX-License-Identifier: Apache-2.0
// The command line of rtsec-driver-loader and the environment variables that
// mirror it (an option wins over its variable).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace rtsec::loader {

// Exit statuses (docs/DRIVER-LOADER.md lists them too).
enum Exit : int {
  kExitOk = 0,
  kExitError = 1,        // I/O, configuration, a plugin that does not load
  kExitUsage = 2,        // bad command line
  kExitUnsupported = 3,  // the kernel lacks what the driver needs (BTF, BPF features, modules)
  kExitNoArtifact = 4,   // no module: not cached, not downloadable, not buildable
  kExitLoadFailed = 5,   // the module did not load
  kExitRefused = 6,      // no module, and a download was refused by verification
};

struct Options {
  std::string command;  // bpf, kmod, auto, build-repo, keygen; empty with --print-env
  bool help = false;
  bool print_env = false;
  bool download = false;  // --download: only download (with --compile: both)
  bool compile = false;   // --compile: only compile
  bool clean = false;
  bool load = false;
  bool insecure = false;
  bool configure = false;
  std::vector<std::string> repos;
  std::vector<std::filesystem::path> repo_keys;
  std::vector<std::string> module_params;
  std::string kernel_release;
  std::string kernel_version;
  std::string target;
  std::filesystem::path kernel_headers;
  std::filesystem::path cache_dir;
  std::filesystem::path btf;
  std::filesystem::path config;
  std::filesystem::path module_source;
  // build-repo and keygen
  std::filesystem::path key;
  std::filesystem::path pub;
  std::filesystem::path out;
  std::vector<std::filesystem::path> kernels;

  bool try_download() const { return download || !compile; }
  bool try_compile() const { return compile || !download; }
};

// Parses argv over the environment; on error returns false with `err` set.
bool parse_options(int argc, char** argv, Options& o, std::string& err);
const char* usage_text();

}  // namespace rtsec::loader
