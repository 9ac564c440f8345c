// SPDX-License-Identifier: Apache-2.0
// Building rtsec.ko with Kbuild from the module source against a kernel's
// headers: /lib/modules/<release>/build, another kernel build directory, or
// a folder where Debian's header packages were unpacked (dpkg -x).
#pragma once

#include <filesystem>
#include <string>

#include "rtsec/result.hpp"

namespace rtsec::loader {

struct KernelHeaders {
  std::filesystem::path build_dir;  // make -C here
  std::filesystem::path makefile;   // make -f this; empty: build_dir's own
  std::string release;              // from include/generated/utsrelease.h
  std::string build_number;         // from include/generated/utsversion.h ("#1 ..." -> "1")
};

// Finds the headers in DIR (either layout). The error says what is missing;
// for the default location it names the package to install.
Result<KernelHeaders> find_headers(const std::filesystem::path& dir, const std::string& release);
std::filesystem::path default_headers_dir(const std::string& release);
// What to install to have headers for a release, on this distribution.
std::string headers_package_hint(const std::string& distro_id, const std::string& release);

// The module source: Kbuild, Makefile, *.c, *.h, include/rtsec/abi, VERSION.
Status check_module_source(const std::filesystem::path& dir);

// Copies the source into a fresh folder under work_dir, runs Kbuild, and
// moves rtsec.ko to `out`. Kbuild's output goes to `log`.
Status build_module(const std::filesystem::path& source, const KernelHeaders& headers,
                    const std::filesystem::path& work_dir, const std::filesystem::path& out,
                    const std::filesystem::path& log);

// The vermagic of a .ko (its .modinfo "vermagic=" string), empty if none.
std::string module_vermagic(const std::filesystem::path& ko);

}  // namespace rtsec::loader
