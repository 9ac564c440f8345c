// SPDX-License-Identifier: Apache-2.0
// A driver built for plugin API v0: it exports rtsec_driver_api_v0 (and an
// unrelated alias) but not this rtsec's entry. The host must refuse it from
// the file's symbols alone, so its constructor must never run.
#include <boost/dll/alias.hpp>

#include "rtsec/plugin/driver_api.h"
#include "test_marker.hpp"

namespace {

const rtsec::test::LoadMarker load_marker(RTSEC_TEST_PLUGIN_NAME);

// Never called: the layout v0 had does not matter here.
const rtsec_driver_ops* old_entry() { return nullptr; }
int unrelated_value = 7;

}  // namespace

BOOST_DLL_ALIAS(old_entry, rtsec_driver_api_v0)
BOOST_DLL_ALIAS(unrelated_value, some_other_plugin_value)
