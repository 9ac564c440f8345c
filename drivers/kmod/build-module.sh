#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# build-module.sh HEADERS OUT_DIR [MAKE_VAR=VALUE...]
#
# Builds rtsec.ko in OUT_DIR from this tree's module source (staged there
# with the event ABI headers, the layout installed as /usr/src/rtsec-VERSION)
# against a kernel's headers. HEADERS is a kernel build directory
# (/lib/modules/<release>/build), or a folder where Debian's image and header
# packages were unpacked with dpkg -x (tests/vm/fetch-kernel.sh): their
# Makefile includes /usr/src/linux-headers-<release>-common by absolute path,
# so the build goes through that folder's copy instead.
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(readlink -f "$here/../..")
headers=${1:?usage: build-module.sh HEADERS OUT_DIR [VAR=VALUE...]}
out=${2:?usage: build-module.sh HEADERS OUT_DIR [VAR=VALUE...]}
shift 2

mkdir -p "$out/include/rtsec/abi"
cp "$here"/module/{Kbuild,Makefile,*.c,*.h} "$out/"
cp "$root"/core/include/rtsec/abi/*.h "$out/include/rtsec/abi/"
version=$(sed -nE 's/^project\(rtsec VERSION ([0-9.]+).*/\1/p' "$root/CMakeLists.txt")
echo "${version:-dev}" >"$out/VERSION"
out=$(readlink -f "$out")

make_args=(-C)
if [[ -d $headers/usr/src ]]; then
	arch=$(ls -d "$headers"/usr/src/linux-headers-*-amd64 | head -1)
	common=$(ls -d "$headers"/usr/src/linux-headers-*-common | head -1)
	[[ -d $arch && -d $common ]] || { echo "build-module.sh: no headers in $headers/usr/src" >&2; exit 1; }
	make_args+=("$arch" -f "$common/Makefile")
	config=$arch/include/config/auto.conf
else
	make_args+=("$headers")
	config=$headers/include/config/auto.conf
fi
# The compiler the kernel was built with, or this machine's gcc-12 when that
# one is not here (bullseye's 5.10 asks for gcc-10).
want_cc=$(sed -nE 's/^CONFIG_CC_VERSION_TEXT="?([^ ]+) .*/\1/p' "$config" 2>/dev/null || true)
cc=${want_cc:-gcc}
command -v "$cc" >/dev/null || cc=gcc-12
extra=(CC="$cc")
# Module BTF needs a pahole the kernel's build accepts; without one, skip it.
if grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$config" 2>/dev/null && ! command -v pahole >/dev/null; then
	extra+=(CONFIG_DEBUG_INFO_BTF_MODULES=)
fi
make "${make_args[@]}" M="$out" "${extra[@]}" "$@" modules >&2
echo "$out/rtsec.ko"
