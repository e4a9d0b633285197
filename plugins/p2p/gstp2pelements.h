/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

void p2p_element_init (GstPlugin *plugin);

GST_ELEMENT_REGISTER_DECLARE (p2phlssrc);
GST_ELEMENT_REGISTER_DECLARE (p2pswarmsink);

/* Element message names, stable API (STYLE.md #8). */
#define GST_P2P_STATISTICS_MESSAGE "p2p-statistics"
#define GST_P2P_SEGMENT_ADDED_MESSAGE "p2p-segment-added"

G_END_DECLS

#ifdef __cplusplus
#include <memory>

/* An element's engine runs from start() to stop() in @slot, under
 * @element's GST_OBJECT_LOCK. A `stats` reader asks it without that lock
 * (the engine thread takes it to post messages), from a copy. */
template <typename Engine>
std::shared_ptr<Engine>
gst_p2p_share_engine (GstObject *element, const std::shared_ptr<Engine> &slot)
{
  GST_OBJECT_LOCK (element);
  std::shared_ptr<Engine> engine = slot;
  GST_OBJECT_UNLOCK (element);
  return engine;
}

/* Empties @slot and drops its engine once no reader holds a copy: it is
 * gone (threads joined, ports free) when this returns. A reader holds one
 * for a single call into the engine. */
template <typename Engine>
void
gst_p2p_drop_engine (GstObject *element, std::shared_ptr<Engine> &slot)
{
  GST_OBJECT_LOCK (element);
  std::shared_ptr<Engine> engine = std::move (slot);
  GST_OBJECT_UNLOCK (element);
  while (engine && engine.use_count () > 1)
    g_usleep (G_USEC_PER_SEC / 1000);
  engine.reset ();
}
#endif
