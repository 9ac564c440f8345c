#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds the libFuzzer targets with clang in build-fuzz/ and fuzzes the event
# decoder for RTSEC_FUZZ_SECONDS seconds. Fails on any crash, leak, timeout or
# sanitizer report; the input that caused it is kept in build-fuzz/fuzz-artifacts/
# (replay: build-fuzz/bin/rtsec_decoder_fuzz FILE). The corpus it grows stays in
# build-fuzz/fuzz-corpus/ for the next run. Works from any directory.
#
# Environment:
#   RTSEC_FUZZ_SECONDS     how long to fuzz (60)
#   RTSEC_FUZZ_BUILD_DIR   build directory, relative to the repository (build-fuzz)
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

seconds=${RTSEC_FUZZ_SECONDS:-60}
build_dir=${RTSEC_FUZZ_BUILD_DIR:-build-fuzz}

for tool in cmake clang clang++; do
	command -v "$tool" >/dev/null || {
		echo "ci/fuzz.sh: $tool not found: run ci/install-deps.sh first (as root)" >&2
		exit 1
	}
done

cmake -S . -B "$build_dir" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRTSEC_BUILD_TESTS=ON -DRTSEC_BUILD_FUZZERS=ON
cmake --build "$build_dir" --target rtsec_decoder_fuzz rtsec_decoder_corpus -j"$(nproc)"

corpus=$build_dir/fuzz-corpus/decoder # new inputs land here and are kept
seeds=$build_dir/fuzz-seeds/decoder   # regenerated from the event table each run
artifacts=$build_dir/fuzz-artifacts
rm -rf "$seeds"
mkdir -p "$corpus" "$seeds" "$artifacts"
"$build_dir/bin/rtsec_decoder_corpus" "$seeds"

echo "ci/fuzz.sh: fuzzing the decoder for ${seconds}s"
# -max_len: up to the largest event the ABI allows (32768 bytes), and a little past it.
"$build_dir/bin/rtsec_decoder_fuzz" "$corpus" "$seeds" \
	-max_total_time="$seconds" -max_len=33000 -timeout=10 -print_final_stats=1 \
	-artifact_prefix="$artifacts/"
