#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds the libFuzzer targets with clang in build-fuzz/ and fuzzes them in
# turn, RTSEC_FUZZ_SECONDS seconds in all: the event decoder, the rules
# language (conditions and rules files), the capture file reader, then the
# configuration (rtsec.yaml and its outputs section). Fails
# on any crash, leak, timeout or sanitizer report; the input that caused it
# is kept in build-fuzz/fuzz-artifacts/ (replay: build-fuzz/bin/rtsec_<name>_fuzz FILE). The corpora they grow stay in
# build-fuzz/fuzz-corpus/ for the next run. Works from any directory.
#
# Environment:
#   RTSEC_FUZZ_SECONDS     how long to fuzz, all fuzzers together (60)
#   RTSEC_FUZZ_BUILD_DIR   build directory, relative to the repository (build-fuzz)
#   RTSEC_SHARED_DIR       where compat/*.yaml (upstream Falco rules) seed the rules
#                          fuzzer (../shared beside the repository)
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
cmake --build "$build_dir" --target rtsec_decoder_fuzz rtsec_decoder_corpus rtsec_rules_fuzz \
	rtsec_capture_fuzz rtsec_capture_corpus rtsec_config_fuzz -j"$(nproc)"

# The time is shared: each of the four fuzzers gets a quarter.
share=$(((seconds + 3) / 4))

corpus=$build_dir/fuzz-corpus/decoder # new inputs land here and are kept
seeds=$build_dir/fuzz-seeds/decoder   # regenerated from the event table each run
artifacts=$build_dir/fuzz-artifacts
rm -rf "$seeds"
mkdir -p "$corpus" "$seeds" "$artifacts"
"$build_dir/bin/rtsec_decoder_corpus" "$seeds"

echo "ci/fuzz.sh: fuzzing the decoder for ${share}s"
# -max_len: up to the largest event the ABI allows (32768 bytes), and a little past it.
"$build_dir/bin/rtsec_decoder_fuzz" "$corpus" "$seeds" \
	-max_total_time="$share" -max_len=33000 -timeout=10 -print_final_stats=1 \
	-artifact_prefix="$artifacts/"

# Rules: seeds are the items of rtsec's and upstream's rules files, one per
# file, and their one-line conditions.
rules_corpus=$build_dir/fuzz-corpus/rules
rules_seeds=$build_dir/fuzz-seeds/rules
rm -rf "$rules_seeds"
mkdir -p "$rules_corpus" "$rules_seeds"
shared_dir=${RTSEC_SHARED_DIR:-../shared}
for f in rules/*.yaml "$shared_dir"/compat/*.yaml; do
	[[ -f $f ]] || continue
	base=$(basename "$f" .yaml)
	awk -v out="$rules_seeds/$base" '/^- /{if (f) close(f); f = out "-" ++n} f{print > f}' "$f"
	sed -n 's/^ *condition: //p' "$f" |
		awk -v out="$rules_seeds/$base-condition" '!/^[>|]/{f = out "-" NR; print > f; close(f)}'
done
echo "ci/fuzz.sh: fuzzing the rules language for ${share}s ($(ls "$rules_seeds" | wc -l) seeds)"
"$build_dir/bin/rtsec_rules_fuzz" "$rules_corpus" "$rules_seeds" \
	-dict=tests/fuzz/rules.dict -max_total_time="$share" -max_len=4096 -timeout=10 \
	-print_final_stats=1 -artifact_prefix="$artifacts/"

# Capture files: seeds are small valid files from the writer.
capture_corpus=$build_dir/fuzz-corpus/capture
capture_seeds=$build_dir/fuzz-seeds/capture
rm -rf "$capture_seeds"
mkdir -p "$capture_corpus" "$capture_seeds"
"$build_dir/bin/rtsec_capture_corpus" "$capture_seeds"
echo "ci/fuzz.sh: fuzzing the capture file reader for ${share}s"
"$build_dir/bin/rtsec_capture_fuzz" "$capture_corpus" "$capture_seeds" \
	-max_total_time="$share" -max_len=65536 -timeout=10 -print_final_stats=1 \
	-artifact_prefix="$artifacts/"

# Configuration: seeds are the shipped rtsec.yaml and each of its top-level
# sections on its own.
config_corpus=$build_dir/fuzz-corpus/config
config_seeds=$build_dir/fuzz-seeds/config
rm -rf "$config_seeds"
mkdir -p "$config_corpus" "$config_seeds"
cp rtsec.yaml "$config_seeds/rtsec.yaml"
awk -v out="$config_seeds/section" '/^[a-z_]+:/{if (f) close(f); f = out "-" ++n} f{print > f}' rtsec.yaml
echo "ci/fuzz.sh: fuzzing the configuration for ${share}s ($(ls "$config_seeds" | wc -l) seeds)"
"$build_dir/bin/rtsec_config_fuzz" "$config_corpus" "$config_seeds" \
	-max_total_time="$share" -max_len=8192 -timeout=10 -print_final_stats=1 \
	-artifact_prefix="$artifacts/"
