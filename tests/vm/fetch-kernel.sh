#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# fetch-kernel.sh VERSION: puts a Debian kernel (image, modules, headers) for
# the VM tests into the cache, unpacked, without installing anything on the
# host. VERSION is one of 5.10 (bullseye), 6.1 (bookworm), 6.12
# (bookworm-backports). Prints the cache folder of that kernel on stdout.
#
# The packages come from Debian with `apt-get download`, through a private
# sources list and private package lists (the system's apt setup is not
# touched), and are unpacked with `dpkg -x` into
#   $RTSEC_VM_CACHE/kernels/<release>/  (boot/, lib/modules/<release>/, usr/src/)
# plus vmlinux (the uncompressed ELF kernel, booted directly) and
# modules.dep (depmod). A second call finds everything in place and only
# prints the folder. Exit status 2: the kernel cannot be had here (the reason
# is on stderr).
set -euo pipefail

version=${1:?usage: fetch-kernel.sh 5.10|6.1|6.12}
cache=${RTSEC_VM_CACHE:-/var/cache/rtsec-vm}
mirror=${RTSEC_DEBIAN_MIRROR:-http://deb.debian.org}

log() { echo "fetch-kernel[$version]: $*" >&2; }
unavailable() {
	log "cannot have this kernel here: $*"
	exit 2
}

case $version in
5.10) sources="deb $mirror/debian bullseye main
deb $mirror/debian-security bullseye-security main" ;;
6.1) sources="deb $mirror/debian bookworm main
deb $mirror/debian bookworm-updates main
deb $mirror/debian-security bookworm-security main" ;;
6.12) sources="deb $mirror/debian bookworm-backports main" ;;
*) echo "fetch-kernel.sh: unknown kernel $version (known: 5.10 6.1 6.12)" >&2; exit 64 ;;
esac

# A ready kernel is remembered by a link: the matrix needs no network twice.
ready="$cache/kernels/$version"
if [[ -L $ready && -f $ready/vmlinux && -f $ready/.complete ]]; then
	readlink -f "$ready"
	exit 0
fi

apt_dir="$cache/apt/$version"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$cache/debs" "$cache/kernels"
printf '%s\n' "$sources" >"$apt_dir/sources.list"
: >"$apt_dir/status"
apt_opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=/nonexistent
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
	-o Dir::Etc::preferences=/dev/null -o Dir::Etc::preferencesparts=/nonexistent
	-o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root
	# what the host has installed must not pick the candidate
	-o "Dir::State::status=$apt_dir/status")
log "reading the package lists of: $(echo "$sources" | awk '{print $3}' | xargs)"
apt-get "${apt_opts[@]}" -q update >&2 || unavailable "apt-get update failed for these suites"

depends_of() { # the linux-* packages a package depends on
	apt-cache "${apt_opts[@]}" depends "$1" 2>/dev/null |
		awk '/^ *(Pre)?Depends:/ {print $2}' | grep -E '^linux-' | tr -d '<>' || true
}
image=$(depends_of linux-image-amd64 | grep -E '^linux-image-[0-9]' | grep -v -- '-unsigned' | head -1)
[[ -n $image ]] || unavailable "no linux-image-amd64 in these suites"
release=${image#linux-image-}
# signed images depend on nothing we need; the -unsigned twin has the same files
headers=linux-headers-$release
pkgs=("$image" "$headers")
for dep in $(depends_of "$headers"); do
	case $dep in
	linux-headers-* | linux-kbuild-*) pkgs+=("$dep") ;;
	esac
done
log "kernel $release: ${pkgs[*]}"

dir="$cache/kernels/$release"
if [[ ! -f $dir/.complete ]]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$cache/debs" && apt-get "${apt_opts[@]}" -q download "${pkgs[@]}" >&2) ||
		unavailable "apt-get download failed for ${pkgs[*]}"
	for p in "${pkgs[@]}"; do
		deb=$(ls -t "$cache/debs/${p}_"*.deb | head -1)
		dpkg -x "$deb" "$dir"
	done
	modules="$dir/lib/modules/$release"
	[[ -d $modules ]] || unavailable "the image package has no lib/modules/$release"
	# dpkg -x runs no maintainer scripts: write modules.dep ourselves
	depmod -b "$dir" -F "$dir/boot/System.map-$release" "$release"
	# The ELF kernel inside the bzImage (xz up to 6.1, zstd from 6.12), booted
	# directly through its PVH entry: about 2 s to a shell instead of 6.
	extract_vmlinux() {
		local img=$1 out=$2 magic off
		for magic in 'fd377a585a00:xz -dc' '28b52ffd:zstd -dc' '1f8b08:gzip -dc'; do
			local hex=${magic%%:*} tool=${magic#*:}
			local pat
			pat=$(echo "$hex" | sed 's/../\\x&/g')
			for off in $(LC_ALL=C grep -obUaP "$pat" "$img" | cut -d: -f1); do
				tail -c +$((off + 1)) "$img" | $tool >"$out" 2>/dev/null || true
				if [[ $(head -c4 "$out" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]]; then return 0; fi
			done
		done
		return 1
	}
	extract_vmlinux "$dir/boot/vmlinuz-$release" "$dir/vmlinux" ||
		unavailable "cannot unpack the ELF kernel from boot/vmlinuz-$release"
	touch "$dir/.complete"
fi
ln -sfn "$release" "$ready"
echo "$dir"
