#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Makes sure a Docker daemon answers, starting one offline if none does: no
# bridge, no iptables, no masquerading (the test machines reach no network, and
# containers run with --network none). Used by the container tests and ci/test.sh.
#   tests/docker/dockerd.sh start    # exit 0 once `docker info` answers
#   tests/docker/dockerd.sh status   # exit 0 when it answers now
set -euo pipefail

log=${RTSEC_DOCKERD_LOG:-/var/log/rtsec-dockerd.log}
PATH=$PATH:/usr/sbin:/sbin

answers() { docker info >/dev/null 2>&1; }

case "${1:-start}" in
status)
	answers
	;;
start)
	answers && exit 0
	command -v docker >/dev/null || { echo "dockerd.sh: no docker client: apt-get install docker.io" >&2; exit 2; }
	command -v dockerd >/dev/null || { echo "dockerd.sh: no dockerd: apt-get install docker.io" >&2; exit 2; }
	((EUID == 0)) || { echo "dockerd.sh: starting dockerd needs root" >&2; exit 2; }
	echo "dockerd.sh: starting dockerd (log: $log)" >&2
	# Its own session, so that the caller's process group ending leaves it running.
	setsid dockerd --bridge=none --iptables=false --ip-masq=false </dev/null >>"$log" 2>&1 &
	for _ in $(seq 1 120); do
		answers && exit 0
		sleep 0.5
	done
	echo "dockerd.sh: dockerd does not answer after 60 s; the end of $log:" >&2
	tail -n 20 "$log" >&2 || true
	exit 1
	;;
*)
	echo "usage: $0 start|status" >&2
	exit 2
	;;
esac
