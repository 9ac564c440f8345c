// SPDX-License-Identifier: Apache-2.0
// A shared library that is not an rtsec driver: it exports a function of its
// own and no Boost.DLL alias. The host must refuse it without loading it, so
// its constructor must never run.
#include "test_marker.hpp"

namespace {
const rtsec::test::LoadMarker load_marker(RTSEC_TEST_PLUGIN_NAME);
}  // namespace

extern "C" __attribute__((visibility("default"))) int rtsec_test_not_a_plugin() { return 42; }
