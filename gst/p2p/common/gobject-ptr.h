/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Exclusive-ownership RAII for GLib/GStreamer objects (STYLE.md #15):
 * std::unique_ptr aliases with the right unref as deleter, instead of
 * g_autoptr, plus GErrorOut for GError** out-parameters.
 */
#pragma once

#include <memory>

#include <gio/gio.h>
#include <gst/gst.h>

namespace p2p {

template <typename T, void (*Free) (T *)> struct FreeFunc
{
  void
  operator() (T *p) const noexcept
  {
    if (p)
      Free (p);
  }
};

template <typename T> struct GObjectUnref
{
  void
  operator() (T *p) const noexcept
  {
    if (p)
      g_object_unref (p);
  }
};

template <typename T> using GObjectPtr = std::unique_ptr<T, GObjectUnref<T>>;

using GErrorPtr = std::unique_ptr<GError, FreeFunc<GError, g_error_free>>;
using GBytesPtr = std::unique_ptr<GBytes, FreeFunc<GBytes, g_bytes_unref>>;
using GMainContextPtr
    = std::unique_ptr<GMainContext,
                      FreeFunc<GMainContext, g_main_context_unref>>;
using GMainLoopPtr
    = std::unique_ptr<GMainLoop, FreeFunc<GMainLoop, g_main_loop_unref>>;
using GSourcePtr = std::unique_ptr<GSource, FreeFunc<GSource, g_source_unref>>;
/* gst_buffer_unref () and friends are static inline: a template argument
 * naming one gives the pointer type internal linkage, and a function taking
 * it in one file cannot be called from another. */
template <typename T> struct GstMiniObjectUnref
{
  void
  operator() (T *p) const noexcept
  {
    if (p)
      gst_mini_object_unref (GST_MINI_OBJECT_CAST (p));
  }
};
using GstBufferPtr = std::unique_ptr<GstBuffer, GstMiniObjectUnref<GstBuffer>>;
using GstCapsPtr = std::unique_ptr<GstCaps, GstMiniObjectUnref<GstCaps>>;
using GstEventPtr = std::unique_ptr<GstEvent, GstMiniObjectUnref<GstEvent>>;
using GstMessagePtr
    = std::unique_ptr<GstMessage, GstMiniObjectUnref<GstMessage>>;
using GstStructurePtr
    = std::unique_ptr<GstStructure, FreeFunc<GstStructure, gst_structure_free>>;
template <typename T> struct GstObjectUnref
{
  void
  operator() (T *p) const noexcept
  {
    if (p)
      gst_object_unref (p);
  }
};
using GstElementPtr = std::unique_ptr<GstElement, GstObjectUnref<GstElement>>;

struct GFreeDeleter
{
  void
  operator() (gpointer p) const noexcept
  {
    g_free (p);
  }
};
using GCharPtr = std::unique_ptr<gchar, GFreeDeleter>;

/* Collects a GError from a C call: `GErrorOut err; f (..., err.out ());`
 * then `err.take ()` hands it on as a GErrorPtr. */
class GErrorOut
{
public:
  GErrorOut () = default;
  GErrorOut (const GErrorOut &) = delete;
  GErrorOut &operator= (const GErrorOut &) = delete;
  ~GErrorOut () { g_clear_error (&error_); }

  GError **
  out ()
  {
    g_clear_error (&error_);
    return &error_;
  }
  GError *
  get () const
  {
    return error_;
  }
  explicit operator bool () const { return error_ != nullptr; }
  GErrorPtr
  take ()
  {
    GError *e = error_;
    error_ = nullptr;
    return GErrorPtr (e);
  }

private:
  GError *error_ = nullptr;
};

} // namespace p2p
