#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerates the event table in docs/ABI.md from the ABI headers
# (tests/unit/abi_doc_test.cpp fails until this is run after a table change).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${CXX:-c++}" -std=c++20 -Wall -Wextra -Icore/include \
	docs/tools/print_event_table.cpp core/src/event_table.cpp -o "$tmp/print_event_table"
"$tmp/print_event_table" --update docs/ABI.md
