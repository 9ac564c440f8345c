#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds the container tests' image offline: busybox-static with every applet
# linked, and /etc/passwd, /etc/group and /etc/shadow, imported with
# `docker import` (no registry needed). Does nothing when the image exists.
#   tests/docker/build-image.sh [NAME:TAG]     (default rtsec-test-busybox:1)
set -euo pipefail

image=${1:-rtsec-test-busybox:1}
busybox=${RTSEC_BUSYBOX:-/bin/busybox}

docker image inspect "$image" >/dev/null 2>&1 && exit 0
[[ -x "$busybox" ]] || { echo "build-image.sh: $busybox missing: apt-get install busybox-static" >&2; exit 2; }
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	# The dynamic busybox package would need the host's libc in the image.
	ldd "$busybox" >/dev/null 2>&1 && { echo "build-image.sh: $busybox is not static: apt-get install busybox-static" >&2; exit 2; }
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,root,proc,sys,dev}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
	[[ "$applet" == busybox || -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
chmod 0640 "$root/etc/shadow"
tar -C "$root" --owner=0 --group=0 -c . |
	docker import --change 'CMD ["/bin/sh"]' --change 'LABEL org.rtsec.test=true' - "$image" >/dev/null
echo "build-image.sh: built $image" >&2
