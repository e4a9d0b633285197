/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Stopping a webrtcbin pipeline so that dropping it cannot hang (issue #11).
 *
 * Going to NULL is not enough with webrtcbin 1.22: sctpdec removes its source
 * pads before its sink pad stops, so a packet still being received in
 * between makes a new source pad, active, whose task waits on an empty queue
 * that nothing flushes any more; sctpenc restarts its source pad's task when
 * a RECONFIGURE event races its stop. The pipeline is NULL, and the last
 * unref joins that task in the pad's finalize: forever. Likewise an element
 * webrtcbin adds from one of its own threads (a data channel's bins, synced
 * to the state it read) can end up running in a stopped pipeline.
 */
#pragma once

#include <gst/gst.h>

namespace p2p::peer {

/* Flushes and deactivates the sink pads of sctpenc and sctpdec (each frees
 * its association on the way to NULL while a buffer may still be in it),
 * sets @pipeline to NULL, then brings down what was left running inside it:
 * an element not in NULL is set to NULL, and a pad that still has a task is
 * flushed (FLUSH_START, also when it is already inactive), its task stopped
 * and joined, and the pad deactivated. Afterwards the last reference can be
 * dropped from any thread.
 * Returns the number of elements and pads it had to bring down after the
 * pipeline itself was NULL (0 when nothing was left). */
guint stop_pipeline (GstElement *pipeline);

} // namespace p2p::peer
