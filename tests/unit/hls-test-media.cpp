/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hls-test-media.h"

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "gst/p2p/common/gobject-ptr.h"

namespace p2p::hls::test {

TempDir::TempDir ()
{
  GCharPtr path (g_dir_make_tmp ("gst-p2p-hls-XXXXXX", nullptr));
  g_assert (path);
  path_ = path.get ();
}

TempDir::~TempDir ()
{
  if (GDir *dir = g_dir_open (path_.c_str (), 0, nullptr)) {
    while (const gchar *name = g_dir_read_name (dir))
      g_unlink (file (name).c_str ());
    g_dir_close (dir);
  }
  g_rmdir (path_.c_str ());
}

std::string
TempDir::file (const std::string &name) const
{
  return path_ + G_DIR_SEPARATOR_S + name;
}

std::string
run_hlssink2 (const std::string &dir, int num_buffers, int playlist_length)
{
  std::string description
      = "videotestsrc num-buffers=" + std::to_string (num_buffers)
        + " ! video/x-raw,width=160,height=120,framerate=30/1"
          " ! x264enc key-int-max=15 speed-preset=ultrafast tune=zerolatency"
          " ! h264parse ! hlssink2 location="
        + dir
        + "/seg%05d.ts"
          " playlist-location="
        + dir
        + "/live.m3u8 target-duration=1"
          " max-files=0 playlist-length="
        + std::to_string (playlist_length);
  GError *error = nullptr;
  GstElementPtr pipeline (gst_parse_launch (description.c_str (), &error));
  if (!pipeline) {
    std::string message = error ? error->message : "gst_parse_launch failed";
    g_clear_error (&error);
    return message;
  }
  g_clear_error (&error);

  gst_element_set_state (pipeline.get (), GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline.get ());
  GstMessage *message = gst_bus_timed_pop_filtered (
      bus, 60 * GST_SECOND,
      static_cast<GstMessageType> (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  std::string result;
  if (!message) {
    result = "hlssink2 pipeline timed out";
  } else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    GError *bus_error = nullptr;
    gst_message_parse_error (message, &bus_error, nullptr);
    result = bus_error->message;
    g_error_free (bus_error);
  }
  if (message)
    gst_message_unref (message);
  gst_object_unref (bus);
  gst_element_set_state (pipeline.get (), GST_STATE_NULL);
  return result;
}

std::string
read_file (const std::string &path)
{
  gchar *contents = nullptr;
  gsize length = 0;
  if (!g_file_get_contents (path.c_str (), &contents, &length, nullptr))
    return std::string ();
  std::string text (contents, length);
  g_free (contents);
  return text;
}

} // namespace p2p::hls::test
