/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Follows a viewer's playlists: fetches the URL it was given, picks a
 * variant in a master playlist, then reloads the media playlist as RFC 8216
 * §6.3.4 says (a target duration, half of it when nothing changed), one
 * request at a time. It owns the current media playlist, the segments that
 * left it before playback got to them (still served, RFC 8216 §6.2.2), and
 * when each segment was first seen.
 *
 * A playlist that cannot be loaded is waited for, as long as
 * ViewerConfig::playlist_outage_limit: at start-up while the server answers
 * (an early broadcaster's origin says 404 until its first segment), and
 * during live playback whatever the failure (a broadcaster restarting). A
 * variant of a master playlist that fails is replaced by another one at
 * once (failover). Engine thread only.
 */
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "gst/p2p/common/clock.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/hls/playlist.h"
#include "gst/p2p/net/http-client.h"
#include "gst/p2p/viewer/viewer-config.h"

namespace p2p::viewer {

class PlaylistFollower
{
public:
  struct Events
  {
    /* The media playlist is known (@variant: the one chosen in a master
     * playlist, nullptr for a media playlist URL). Once, before the first
     * updated (). */
    std::function<void (const hls::Variant *variant)> media_found;
    /* A new media playlist is in. @restarted: the server renumbered or
     * rewrote the stream, which starts over from the new playlist. */
    std::function<void (bool restarted)> updated;
    /* The playlist cannot be followed: playback ends with @error. */
    std::function<void (GErrorPtr error)> failed;
    std::function<void (const std::string &message)> warning;
    /* Another variant of the master playlist is followed from now on
     * (switch_variant (), or failover): its playlist comes with the next
     * updated (). */
    std::function<void (const hls::Variant &variant)> variant_changed;
  };

  PlaylistFollower (Clock &clock, net::HttpClient &http,
                    const ViewerConfig &config, Events events);
  ~PlaylistFollower () { fetch_.cancel (); }

  void start ();
  /* A peer announced @sequence: reload now if it follows the last listed
   * segment, once per segment, so that peers cannot make us reload more
   * often than segments appear. */
  void reload_for_announced (int64_t sequence);
  /* Stops reloading (playback failed or ended). */
  void stop ();
  /* Segments before @sequence were played: departed ones are dropped. */
  void set_playhead (int64_t sequence);
  /* Follows variant @index of the master playlist from now on. */
  void switch_variant (size_t index);

  /* The master playlist, nullptr when the URL was a media playlist. */
  const hls::MasterPlaylist *
  master () const
  {
    return master_ ? &*master_ : nullptr;
  }
  /* The followed variant's index in master ()->variants. */
  size_t
  variant_index () const
  {
    return variant_index_;
  }

  const hls::MediaPlaylist *
  playlist () const
  {
    return playlist_ ? &*playlist_ : nullptr;
  }
  /* Listed or departed, nullptr if neither. */
  const hls::MediaSegment *find (int64_t sequence) const;
  /* Departed segments, by sequence. */
  const std::map<int64_t, hls::MediaSegment> &
  departed () const
  {
    return departed_;
  }
  void forget_departed (int64_t sequence);
  /* When @sequence was first listed; @fallback if unknown. */
  GstClockTime first_seen (int64_t sequence, GstClockTime fallback) const;
  /* The segment after the last listed one, -1 before a playlist. */
  int64_t next_unlisted () const;
  /* The oldest segment still to be had (departed or listed), -1 if none. */
  int64_t oldest_available () const;
  bool live () const;

  const std::string &
  media_url () const
  {
    return media_url_;
  }
  const std::string &
  manifest_url () const
  {
    return manifest_url_;
  }

private:
  void fetch (const std::string &url);
  void on_response (net::HttpResult result);
  void on_failure (net::HttpResult result);
  void select_variant (hls::MasterPlaylist master, const std::string &base_url);
  /* The variant the limits allow, highest first; a failed one only when
   * every one failed. */
  size_t choose_variant () const;
  void follow_variant (size_t index);
  const hls::Variant &
  variant () const
  {
    return master_->variants[variant_index_];
  }
  void on_media_playlist (hls::MediaPlaylist media);
  void keep_departed (const hls::MediaPlaylist &next);
  void schedule_reload (GstClockTime delay);
  void fail (GErrorPtr error);

  Clock &clock_;
  net::HttpClient &http_;
  const ViewerConfig &config_;
  Events events_;
  std::string manifest_url_;
  std::string media_url_;
  std::optional<hls::MasterPlaylist> master_;
  std::string master_url_;
  size_t variant_index_ = 0;
  /* Variants that failed during the current outage. */
  std::set<size_t> failed_variants_;
  /* When the playlist stopped loading, while it does not. */
  std::optional<GstClockTime> outage_since_;
  /* A media playlist, a live one, was followed at some point. */
  bool followed_media_ = false;
  bool followed_live_ = false;
  std::optional<hls::MediaPlaylist> playlist_;
  std::map<int64_t, hls::MediaSegment> departed_;
  std::map<int64_t, GstClockTime> first_seen_;
  int64_t playhead_ = -1;
  net::HttpFetch fetch_;
  Timer reload_timer_;
  /* A reload was asked for while one was in flight. */
  bool reload_wanted_ = false;
  /* The segment whose announcement by a peer last triggered a reload. */
  int64_t announced_reload_ = -1;
  bool stopped_ = false;
};

} // namespace p2p::viewer
