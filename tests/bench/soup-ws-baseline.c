/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The libsoup 3 baseline for the tracker benchmark: a SoupServer that
 * accepts WebSocket connections on any path and keeps them open, doing
 * nothing else. tracker-bench.py measures its RSS per idle connection to
 * show what a libsoup-based tracker would start from (docs/tracker.md,
 * "Why not libsoup"). Prints "listening on 127.0.0.1 port N".
 */
#include <glib-unix.h>
#include <libsoup/soup.h>

static void
on_message (SoupWebsocketConnection *ws, gint type, GBytes *message,
            gpointer user_data)
{
}

static void
on_closed (SoupWebsocketConnection *ws, gpointer user_data)
{
  g_object_unref (ws);
}

static void
on_websocket (SoupServer *server, SoupServerMessage *msg, const char *path,
              SoupWebsocketConnection *ws, gpointer user_data)
{
  g_object_ref (ws);
  g_signal_connect (ws, "message", G_CALLBACK (on_message), NULL);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), NULL);
}

static gboolean
on_stop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  SoupServer *server = soup_server_new (NULL, NULL);
  soup_server_add_websocket_handler (server, NULL, NULL, NULL, on_websocket,
                                     NULL, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (lo, 0);
  if (!soup_server_listen (server, address, 0, &error)) {
    g_printerr ("soup-ws-baseline: %s\n", error->message);
    return 1;
  }
  GSList *uris = soup_server_get_uris (server);
  g_print ("soup-ws-baseline: listening on 127.0.0.1 port %d\n",
           g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  g_unix_signal_add (SIGTERM, on_stop, loop);
  g_unix_signal_add (SIGINT, on_stop, loop);
  g_main_loop_run (loop);
  g_object_unref (server);
  g_object_unref (address);
  g_object_unref (lo);
  g_main_loop_unref (loop);
  return 0;
}
