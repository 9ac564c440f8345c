#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Installs everything rtsec's build and tests need on a fresh Debian 12
# machine, as root. Idempotent: when every package is already installed it
# touches nothing (no apt-get update, no network).
set -euo pipefail

# The one list of packages. Each group says what needs it.
packages=(
	# The C/C++ toolchain and the build (CMakeLists.txt: C++20, pkg-config).
	build-essential cmake pkg-config
	# The CO-RE eBPF probe: clang targets BPF, llvm-strip, bpftool generates
	# vmlinux.h and the skeleton; libbpf/libelf/zlib load it at run time.
	clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
	# rtsec::core: rtsec.yaml (yaml-cpp), logging and formatting (spdlog, fmt),
	# the rules' regex operator (RE2, as Falco's libsinsp).
	libyaml-cpp-dev libspdlog-dev libfmt-dev libre2-dev
	# Alert outputs: the HTTP output posts alerts with libcurl.
	libcurl4-openssl-dev
	# rtsec-driver-loader: downloads with libcurl, Ed25519 and sha256 with OpenSSL 3.
	libssl-dev
	# The plugin host: Boost.DLL (headers) on Boost.Filesystem.
	libboost-dev libboost-filesystem-dev
	# Unit and integration tests (GoogleTest, GoogleMock); the conformance
	# test's reports and expected events (nlohmann-json).
	libgtest-dev libgmock-dev nlohmann-json3-dev
	# ci/fuzz.sh: libFuzzer and the sanitizer runtimes of clang 14.
	libclang-rt-14-dev
	# Tests and people comparing against a ptrace baseline.
	strace
	# The kernel module and the VM tests (tests/vm): modules build with the
	# kernels' own compiler where it is here (gcc-12; their headers, images and
	# kbuild come per kernel through apt-get download into a cache, never
	# installed), kmod loads them, pahole (dwarves) writes module BTF; QEMU
	# boots those kernels under TCG with a busybox-static initramfs (cpio);
	# xz and zstd unpack kernels and modules.
	gcc-12 make kmod dwarves qemu-system-x86 busybox-static cpio xz-utils zstd
	# The container tests (tests/docker): a real dockerd (started offline by
	# tests/docker/dockerd.sh) and images built from busybox-static.
	docker.io
)

die() {
	echo "install-deps: $*" >&2
	exit 1
}

missing=()
for pkg in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[[ "$status" == installed ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
	echo "install-deps: all ${#packages[@]} packages already installed"
	exit 0
fi

echo "install-deps: missing: ${missing[*]}"
((EUID == 0)) || die "installing packages needs root: run as root (sudo $0)"
command -v apt-get >/dev/null || die "apt-get not found: this script is for Debian 12"

export DEBIAN_FRONTEND=noninteractive
apt_update() {
	echo "install-deps: apt-get update"
	apt-get update -q || die "apt-get update failed: check the network and /etc/apt/sources.list"
}
# Refresh the package lists only when needed: when apt does not know a missing
# package (a fresh machine often has no lists at all), or when the install
# fails on lists gone stale.
apt-get install --simulate "${missing[@]}" >/dev/null 2>&1 || apt_update
if ! apt-get install -y -q "${missing[@]}"; then
	apt_update
	apt-get install -y -q "${missing[@]}" || die "apt-get install failed for: ${missing[*]}"
fi
echo "install-deps: installed ${#missing[@]} package(s)"
