/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Browsers alone: BROWSERS Chromium pages (hls.js + P2P Media Loader 2.3.1)
 * play one p2pswarmsink stream through the npm bittorrent-tracker and share
 * its segments over WebRTC on loopback. Asserts that they all play, that
 * P2P carried part of the bytes, that every P2P segment is byte-identical
 * to the origin's file and that every selected ICE pair is loopback; prints
 * the P2P ratio, the origin's requests per segment and the stalls (asserted
 * in test-cross.mjs's mixed swarm, only measured here).
 *
 * Run inside tests/run-in-netns.sh. Environment: BROWSERS (3), DURATION
 * (seconds of shared playback, 40), CONTAINER ("ts", or "fmp4" for
 * fragmented MP4 from mp4mux), GST_PLUGIN_PATH_1_0 (the built plugin).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";

import * as h from "./harness.mjs";

const BROWSERS = Number(process.env.BROWSERS ?? 3);
const DURATION = Number(process.env.DURATION ?? 40);
const CONTAINER = process.env.CONTAINER || "ts";
const PLAYLIST_LENGTH = 6;
const TARGET_DURATION = 2;
const ORIGIN_PORT = 8080;
const TRACKER_PORT = 8000;

h.exitSkippedIfMissingPrerequisite();
const processes = new h.Processes(h.makeRunDir("browsers"));
let browser;
let pages;
let passed = false;

after(async () => {
  await browser?.close();
  pages?.close();
  await processes.finish({ passed });
});

test(
  `${BROWSERS} browsers share a p2pswarmsink ${CONTAINER} stream through the npm tracker`,
  { timeout: (DURATION + 90) * 1000 },
  async () => {
    h.assertLoopbackOnly();
    h.log(`logs and segments in ${processes.logDir}`);
    const broadcaster = h.startBroadcaster(processes, {
      port: ORIGIN_PORT,
      dir: `${processes.logDir}/segments`,
      playlistLength: PLAYLIST_LENGTH,
      targetDuration: TARGET_DURATION,
      container: CONTAINER,
    });
    const tracker = h.startNpmTracker(processes, TRACKER_PORT);
    await h.waitForTcp(processes, TRACKER_PORT);
    await h.waitForPlaylist(processes, broadcaster.url, PLAYLIST_LENGTH);
    pages = await h.servePages();
    browser = await h.launchChromium();

    const viewers = [];
    for (let i = 0; i < BROWSERS; i++) {
      viewers.push(
        await h.openViewer(browser, pages.base, {
          name: `browser${i}`,
          src: broadcaster.url,
          trackers: [tracker.url],
          settings: h.sharingSettings(PLAYLIST_LENGTH, TARGET_DURATION),
        }),
      );
      await h.sleep(1500);
    }
    for (let elapsed = 0; elapsed < DURATION; elapsed += 5) {
      await h.sleep(5000);
      processes.assertAlive();
      const reports = await Promise.all(viewers.map(h.viewerReport));
      h.log(
        reports
          .map((r, i) => `browser${i} ${JSON.stringify(r.stats)}`)
          .join("\n"),
      );
    }

    const reports = await Promise.all(viewers.map(h.viewerReport));
    const origin = h.originDigests(broadcaster.dir);
    let p2pBytes = 0;
    let httpBytes = 0;
    let httpSegments = 0;
    const segmentsSeen = new Set();
    let pairs = 0;
    let p2pVerified = 0;
    reports.forEach((report, i) => {
      const who = `browser${i}`;
      assert.deepEqual(report.errors, [], `${who} errors`);
      assert.ok(report.playing, `${who} never started playing`);
      assert.ok(
        report.currentTime > DURATION / 2,
        `${who} played only ${report.currentTime} s`,
      );
      /* Every segment hls.js got, whatever its source, is the origin's. */
      for (const [url, digest] of Object.entries(report.digests)) {
        assert.equal(digest, origin[h.segmentName(url)], `${who}: ${url}`);
      }
      for (const segment of report.segments) {
        segmentsSeen.add(h.segmentName(segment.url));
        if (segment.downloadSource !== "p2p") continue;
        assert.match(segment.peerId, /^-PM0203-/);
        /* Segments fetched ahead and not played yet were never hashed. */
        if (report.digests[segment.url]) p2pVerified++;
      }
      for (const pair of report.selectedPairs) {
        assert.ok(
          h.isLoopbackAddress(pair.local) && h.isLoopbackAddress(pair.remote),
          `${who} selected a non-loopback pair ${JSON.stringify(pair)}`,
        );
        pairs++;
      }
      p2pBytes += report.stats.p2pBytes;
      httpBytes += report.stats.httpBytes;
      httpSegments += report.stats.httpSegments;
    });
    const ratio = p2pBytes / (p2pBytes + httpBytes);
    h.log(
      `P2P ratio ${(ratio * 100).toFixed(1)} % of ${p2pBytes + httpBytes} ` +
        `bytes; origin requests per segment ` +
        `${(httpSegments / segmentsSeen.size).toFixed(2)} ` +
        `(${httpSegments} over ${segmentsSeen.size} segments); ` +
        `${p2pVerified} P2P segments played, byte-identical to the origin's; ` +
        `${pairs} ICE pairs, all loopback; stalls ` +
        JSON.stringify(reports.map((r) => r.stalls)),
    );
    assert.ok(pairs > 0, "no WebRTC connection was made");
    assert.ok(p2pBytes > 0, "browsers shared no bytes");
    assert.ok(p2pVerified > 0, "no segment from a peer was played");
    passed = true;
  },
);
