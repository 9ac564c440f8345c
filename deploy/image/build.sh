#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds the rtsec container image offline, from a build tree: rtsec,
# rtsec-ptrace and rtsec-driver-loader with their driver plugins, rtsec.yaml,
# the default rules and the driver-repository keys, the shared libraries they
# load (copied from this machine, which built them), and busybox-static for a
# shell. No registry and no network: the root file system is packed here and
# handed to `docker import`.
#
#   deploy/image/build.sh [--build DIR] [--tag NAME:TAG] [--output FILE.tar]
#
# --output writes the root file system as a tar instead (for another runtime:
# `podman import`, `ctr images import` after wrapping, `docker import` elsewhere).
# Run it: see docs/CONTAINERS.md ("Deployment") for the flags it needs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
build="$source_dir/build"
tag="rtsec:latest"
output=""

die() {
	echo "build.sh: $*" >&2
	exit 1
}

while (($#)); do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--tag) tag=$2; shift 2 ;;
	--output) output=$2; shift 2 ;;
	-h | --help) sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done

build=$(cd "$build" 2>/dev/null && pwd) || die "no build tree at $build: cmake --build it first"
[[ -x "$build/bin/rtsec" ]] || die "$build/bin/rtsec is not built"
busybox=${RTSEC_BUSYBOX:-/bin/busybox}
[[ -x "$busybox" ]] || die "$busybox missing: apt-get install busybox-static"
[[ -n "$output" ]] || command -v docker >/dev/null || die "no docker client (or use --output FILE.tar)"

umask 022
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
prefix="$root/opt/rtsec"
mkdir -p "$prefix/bin" "$prefix/lib/rtsec" "$prefix/etc/rtsec" "$root/bin" "$root/etc" \
	"$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/var/run" "$root/usr/bin"
chmod 1777 "$root/tmp"

# The layout rtsec expects of itself: <exe>/../lib/rtsec, <exe>/../etc/rtsec.
for prog in rtsec rtsec-ptrace rtsec-driver-loader; do
	[[ -x "$build/bin/$prog" ]] && install -m 755 "$build/bin/$prog" "$prefix/bin/"
done
install -m 644 "$build"/lib/rtsec/librtsec-driver-*.so "$prefix/lib/rtsec/"
install -m 644 "$source_dir/rtsec.yaml" "$source_dir/rules/rtsec_rules.yaml" "$prefix/etc/rtsec/"
if [[ -d "$source_dir/driver-loader/keys" ]]; then
	mkdir -p "$prefix/etc/rtsec/driver-keys"
	cp -r "$source_dir/driver-loader/keys/." "$prefix/etc/rtsec/driver-keys/"
fi
ln -s /opt/rtsec/bin/rtsec "$root/usr/bin/rtsec"
# Debug information stays in the build tree (symbol tables stay: the plugin host reads them).
if command -v strip >/dev/null; then
	find "$prefix" -type f \( -perm -u+x -o -name '*.so' \) -exec strip --strip-debug {} +
fi

# Every shared library the programs and plugins load, at the path it has here.
mapfile -t elves < <(find "$prefix" -type f \( -perm -u+x -o -name '*.so' \))
for elf in "${elves[@]}"; do
	ldd "$elf" 2>/dev/null | awk '/=> \// {print $3} /^[[:space:]]*\// {print $1}'
done | sort -u | while read -r lib; do
	cp -L --parents "$lib" "$root"
done

cp "$busybox" "$root/bin/busybox"
for applet in sh cat ls ps grep tail sleep; do ln -s busybox "$root/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

pack() { tar -C "$root" --owner=0 --group=0 --numeric-owner -c .; }
if [[ -n "$output" ]]; then
	pack >"$output"
	echo "build.sh: wrote $output ($(du -h "$output" | cut -f1))" >&2
	exit 0
fi
version=$("$build/bin/rtsec" --version 2>/dev/null | awk '{print $2; exit}' || true)
pack | docker import \
	--change 'ENTRYPOINT ["/opt/rtsec/bin/rtsec"]' \
	--change 'CMD ["run"]' \
	--change 'LABEL org.opencontainers.image.title=rtsec' \
	--change "LABEL org.opencontainers.image.version=${version:-unknown}" \
	- "$tag" >/dev/null
echo "build.sh: built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))" >&2
