/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The viewers of a real bench run, read from what tests/bench/swarm-bench.py
 * wrote (results.json: each viewer's link, upload setting and sessions), so
 * that the simulator runs the scenario that run had and the two figures
 * compare like with like.
 */
#pragma once

#include <string>
#include <vector>

#include <gst/gst.h>

#include "sim/swarm-sim.h"

namespace p2p::sim {

struct BenchScenario
{
  std::vector<PlannedViewer> viewers;
  /* How long the run's viewers played, seconds. */
  double duration_s = 0;
};

/* Fails with a message naming @path on a file that is not such a JSON
 * object, or a viewer without a link, or with a session outside the run. */
bool load_bench_scenario (const std::string &path, BenchScenario *scenario,
                          GError **error);

} // namespace p2p::sim
