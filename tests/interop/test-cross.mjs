/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Browsers (Chromium, hls.js + P2P Media Loader 2.3.1) and our peers
 * (p2pswarmsink's seeder, p2phlssrc) in one swarm, through TRACKER=npm
 * (bittorrent-tracker) or TRACKER=ours (p2p-tracker). No swarm id is set
 * anywhere: every peer derives it from the playlist URL it opened.
 *  1. a browser gets segments from our peers over P2P, byte-identical to
 *     the origin's files;
 *  2. p2phlssrc gets segments from a browser (-PM0203- peer);
 *  3. two browsers, two p2phlssrc viewers and the broadcaster together for
 *     MIX_DURATION s: no p2phlssrc stall (its own 200 ms tolerance), no
 *     browser rebuffering of 1 s or more, everyone gets bytes from peers;
 *  4. a master playlist with two variants: a browser and p2phlssrc on the
 *     same variant share it.
 * CONTAINER is what the broadcasters publish: "ts" (MPEG-TS, the default)
 * or "fmp4" (fragmented MP4 from mp4mux, init.mp4 and .m4s segments).
 * CASES, comma-separated, runs only some of them: browser-from-ours,
 * ours-from-browser, mix, master (default: all).
 * Run inside tests/run-in-netns.sh.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import * as h from "./harness.mjs";

h.exitSkippedIfMissingPrerequisite();

const TRACKER = process.env.TRACKER ?? "npm";
const CONTAINER = process.env.CONTAINER || "ts";
const CASES = (
  process.env.CASES || "browser-from-ours,ours-from-browser,mix,master"
).split(",");
const TITLE = `[${TRACKER} tracker, ${CONTAINER}]`;

/* node:test options running the scenario @label only if CASES names it. */
function only(label) {
  return { skip: !CASES.includes(label) && `${label} is not in CASES` };
}

const MIX_DURATION = Number(process.env.MIX_DURATION ?? 60);
const PLAYLIST_LENGTH = 6;
const TARGET_DURATION = 2;
const TRACKER_PORT = 8000;
const SHARING = h.sharingSettings(PLAYLIST_LENGTH, TARGET_DURATION);
/* A browser near the live edge, so that a p2phlssrc viewer further behind
 * can take from it what the browser fetched over HTTP. That viewer does not
 * upload, so it never volunteers to inject new segments over HTTP itself
 * (scheduler.h): whether it would win that race against an uncoordinated
 * browser depends on the phase of their playlist reloads. */
const AHEAD = { hls: { liveSyncDurationCount: 2 }, p2p: SHARING.p2p };
const BEHIND = ["upload=false"];
const BEHIND_DELAY = 5;
const BROWSER_FREEZE_MS = 1000;

/* Starts a tracker, page server and Chromium around @body; stops them and
 * everything @body started, whatever happens (the run's directory goes too
 * when @body passed). */
async function scenario(label, body) {
  const processes = new h.Processes(
    h.makeRunDir(`${TRACKER}-${CONTAINER}-${label}`),
  );
  let pages;
  let browser;
  let passed = false;
  try {
    h.assertLoopbackOnly();
    h.log(`${label}: logs in ${processes.logDir}`);
    const tracker = h.startTracker(processes, TRACKER, TRACKER_PORT);
    await h.waitForTcp(processes, TRACKER_PORT);
    const files = {};
    pages = await h.servePages(files);
    browser = await h.launchChromium();
    await body({ processes, tracker, pages, files, browser });
    passed = true;
  } finally {
    await browser?.close();
    pages?.close();
    await processes.finish({ passed });
  }
}

async function broadcast(processes, options) {
  const entry = h.startBroadcaster(processes, {
    playlistLength: PLAYLIST_LENGTH,
    targetDuration: TARGET_DURATION,
    dir: `${processes.logDir}/${options.name ?? "broadcaster"}`,
    container: CONTAINER,
    ...options,
  });
  await h.waitForPlaylist(processes, entry.url, PLAYLIST_LENGTH);
  return entry;
}

async function run(processes, seconds, viewers = [], gstViewers = []) {
  for (let elapsed = 0; elapsed < seconds; elapsed += 5) {
    await h.sleep(5000);
    processes.assertAlive();
    const reports = await Promise.all(viewers.map(h.viewerReport));
    reports.forEach((r, i) =>
      h.log(`${viewers[i].name} ${JSON.stringify(r.stats)}`),
    );
    for (const entry of gstViewers) {
      const s = h.gstViewerStats(entry);
      h.log(
        `${entry.name} http ${s?.["http-bytes"]} peer ${s?.["peer-bytes"]} ` +
          `up ${s?.["uploaded-bytes"]} peers ${s?.peers} stalls ${s?.stalls}`,
      );
    }
  }
}

/* Every segment of @broadcaster the browser handed hls.js is the origin's
 * file; returns the P2P segments it played, by peer id. */
function checkBrowserSegments(name, report, broadcaster) {
  assert.deepEqual(report.errors, [], `${name} errors`);
  assert.ok(report.playing, `${name} never played`);
  const origin = h.originDigests(broadcaster.dir);
  const base = broadcaster.url.replace(/[^/]*$/, "");
  let checked = 0;
  for (const [url, digest] of Object.entries(report.digests)) {
    if (!url.startsWith(base)) continue;
    assert.equal(digest, origin[h.segmentName(url)], `${name}: ${url}`);
    checked++;
  }
  assert.ok(checked > 0, `${name} played nothing from ${base}`);
  for (const pair of report.selectedPairs) {
    assert.ok(
      h.isLoopbackAddress(pair.local) && h.isLoopbackAddress(pair.remote),
      `${name}: non-loopback ICE pair ${JSON.stringify(pair)}`,
    );
  }
  const playedFrom = {};
  for (const segment of report.segments) {
    if (segment.downloadSource === "p2p" && report.digests[segment.url])
      playedFrom[segment.peerId] = (playedFrom[segment.peerId] ?? 0) + 1;
  }
  return playedFrom;
}

const FROM_OURS = only("browser-from-ours");
test(`${TITLE} a browser gets segments from our peers`, FROM_OURS, async () => {
  await scenario("browser-from-ours", async (s) => {
    const broadcaster = await broadcast(s.processes, {
      port: 8080,
      trackers: [s.tracker.url],
    });
    const viewer = h.startGstViewer(s.processes, {
      container: CONTAINER,
      name: "p2phlssrc",
      url: broadcaster.url,
      trackers: [s.tracker.url],
    });
    const page = await h.openViewer(s.browser, s.pages.base, {
      name: "browser",
      src: broadcaster.url,
      trackers: [s.tracker.url],
      settings: SHARING,
    });
    await run(s.processes, 30, [page], [viewer]);
    const report = await h.viewerReport(page);
    const playedFrom = checkBrowserSegments("browser", report, broadcaster);
    h.log(`browser played P2P segments from ${JSON.stringify(playedFrom)}`);
    const fromOurs = Object.entries(playedFrom)
      .filter(([peer]) => /^-G[SP]\d{4}-/.test(peer))
      .reduce((sum, [, count]) => sum + count, 0);
    assert.ok(fromOurs > 0, "the browser played no segment from our peers");
  });
});

const FROM_BROWSER = only("ours-from-browser");
test(`${TITLE} p2phlssrc gets segments from a browser`, FROM_BROWSER, async () => {
  await scenario("ours-from-browser", async (s) => {
    /* No seeder: the browser is the only peer that has the segments. */
    const broadcaster = await broadcast(s.processes, { port: 8080 });
    const page = await h.openViewer(s.browser, s.pages.base, {
      name: "browser",
      src: broadcaster.url,
      trackers: [s.tracker.url],
      settings: AHEAD,
    });
    await h.sleep(4000);
    const viewer = h.startGstViewer(s.processes, {
      container: CONTAINER,
      name: "p2phlssrc",
      url: broadcaster.url,
      trackers: [s.tracker.url],
      liveDelay: BEHIND_DELAY,
      extra: BEHIND,
    });
    await run(s.processes, 30, [page], [viewer]);
    const stats = h.gstViewerStats(viewer);
    const report = await h.viewerReport(page);
    checkBrowserSegments("browser", report, broadcaster);
    const peers = h.gstViewerPeers(viewer);
    h.log(
      `p2phlssrc ${JSON.stringify(stats)} peers ${peers}; browser uploaded ` +
        JSON.stringify(report.uploadedTo),
    );
    assert.ok(stats["peer-bytes"] > 0, "p2phlssrc got no bytes from peers");
    assert.ok(peers.length > 0 && peers.every((p) => p.startsWith("-PM0203-")),
      `p2phlssrc's peers ${peers}`);
    assert.ok(report.uploadedTo[stats["peer-id"]] > 0,
      `the browser uploaded nothing to ${stats["peer-id"]}`);
    assert.equal(stats["hash-mismatches"], 0);
  });
});

test(
  `${TITLE} two browsers, two p2phlssrc and the broadcaster`,
  only("mix"),
  async () => {
    await scenario("mix", async (s) => {
      const broadcaster = await broadcast(s.processes, {
        port: 8080,
        trackers: [s.tracker.url],
      });
      const pagesOpen = [];
      const gstViewers = [];
      for (let i = 0; i < 2; i++) {
        pagesOpen.push(
          await h.openViewer(s.browser, s.pages.base, {
            name: `browser${i}`,
            src: broadcaster.url,
            trackers: [s.tracker.url],
            settings: SHARING,
          }),
        );
        gstViewers.push(
          h.startGstViewer(s.processes, {
            container: CONTAINER,
            name: `p2phlssrc${i}`,
            url: broadcaster.url,
            trackers: [s.tracker.url],
          }),
        );
        await h.sleep(2000);
      }
      await run(s.processes, MIX_DURATION, pagesOpen, gstViewers);
      const reports = await Promise.all(pagesOpen.map(h.viewerReport));
      reports.forEach((report, i) => {
        checkBrowserSegments(`browser${i}`, report, broadcaster);
        /* Sub-second rebufferings (200-560 ms seen) also happen, now and
         * then, with browsers alone (test-browsers.mjs prints them; cause
         * not pinned down). The assertion is on freezes a viewer notices. */
        h.log(`browser${i} stalls ${JSON.stringify(report.stalls)}`);
        assert.deepEqual(
          h.stallsLongerThan(report, BROWSER_FREEZE_MS),
          [],
          `browser${i} froze`,
        );
        assert.ok(report.stats.p2pBytes > 0, `browser${i}: no bytes from peers`);
      });
      for (const viewer of gstViewers) {
        const stats = h.gstViewerStats(viewer);
        h.log(`${viewer.name} ${JSON.stringify(stats)}`);
        assert.equal(stats.stalls, 0, `${viewer.name} stalled`);
        assert.ok(stats["peer-bytes"] > 0, `${viewer.name}: no peer bytes`);
        assert.equal(stats["hash-mismatches"], 0);
      }
    });
  },
);

test(
  `${TITLE} master playlist: same variant, same swarm`,
  only("master"),
  async () => {
    await scenario("master", async (s) => {
      const variants = [
        { port: 8080, width: 320, height: 180, kbps: 300, bandwidth: 400000 },
        { port: 8081, width: 480, height: 270, kbps: 500, bandwidth: 700000 },
      ];
      const broadcasters = [];
      for (const v of variants) {
        broadcasters.push(
          await broadcast(s.processes, {
            name: `broadcaster${v.port}`,
            port: v.port,
            width: v.width,
            height: v.height,
            kbps: v.kbps,
          }),
        );
      }
      s.files["/master.m3u8"] = [
        "#EXTM3U",
        ...variants.flatMap((v, i) => [
          `#EXT-X-STREAM-INF:BANDWIDTH=${v.bandwidth},` +
            `RESOLUTION=${v.width}x${v.height},CODECS="avc1.64001e"`,
          broadcasters[i].url,
        ]),
        "",
      ].join("\n");
      const master = `${s.pages.base}master.m3u8`;
      const page = await h.openViewer(s.browser, s.pages.base, {
        name: "browser",
        src: master,
        trackers: [s.tracker.url],
        settings: { ...AHEAD, level: 1 },
      });
      await h.sleep(4000);
      const viewer = h.startGstViewer(s.processes, {
        container: CONTAINER,
        name: "p2phlssrc",
        url: master,
        trackers: [s.tracker.url],
        liveDelay: BEHIND_DELAY,
        extra: [...BEHIND, "max-bitrate=1000000"],
      });
      await run(s.processes, 30, [page], [viewer]);
      const stats = h.gstViewerStats(viewer);
      const report = await h.viewerReport(page);
      checkBrowserSegments("browser", report, broadcasters[1]);
      h.log(
        `p2phlssrc ${JSON.stringify(stats)}; browser ` +
          JSON.stringify(report.stats),
      );
      assert.equal(stats.bandwidth, variants[1].bandwidth);
      assert.ok(
        stats["peer-bytes"] > 0,
        "p2phlssrc got nothing from the browser: different swarms?",
      );
      assert.ok(report.uploadedTo[stats["peer-id"]] > 0);
    });
  },
);
