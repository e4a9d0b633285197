/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The player page as a viewer gets it: p2pswarmsink with its embedded
 * tracker serves the page at "/" (web/player), and two Chromium pages open
 * it with no query parameters at all. Asserts that both play, that the
 * page's config names the sink's tracker, and that the live statistics on
 * screen show peers and bytes from peers. SCREENSHOT=FILE saves a PNG of
 * the first page (docs/player-page.png is made this way).
 * Run inside tests/run-in-netns.sh.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import * as h from "./harness.mjs";

h.exitSkippedIfMissingPrerequisite();

const ORIGIN_PORT = 8080;
const TRACKER_PORT = 8000;
const DURATION = Number(process.env.DURATION ?? 30);

test("the sink's player page plays and shows P2P statistics", async () => {
  const processes = new h.Processes(h.makeRunDir("player-page"));
  let browser;
  try {
    h.assertLoopbackOnly();
    h.log(`logs in ${processes.logDir}`);
    const broadcaster = h.startBroadcaster(processes, {
      port: ORIGIN_PORT,
      dir: `${processes.logDir}/segments`,
      width: 640,
      height: 360,
      kbps: 700,
      extra: [`tracker-port=${TRACKER_PORT}`, "ice-addresses=127.0.0.1"],
    });
    await h.waitForPlaylist(processes, broadcaster.url, 6);
    const origin = `http://127.0.0.1:${ORIGIN_PORT}/`;
    const config = JSON.parse(
      (await h.httpGet(`${origin}p2p-config.json`)).toString(),
    );
    assert.deepEqual(config.trackers, [`ws://{host}:${TRACKER_PORT}`]);
    assert.equal(config.hls.liveSyncDurationCount, 5);

    browser = await h.launchChromium();
    const pages = [];
    for (let i = 0; i < 2; i++) {
      const context = await browser.newContext({
        viewport: { width: 1000, height: 860 },
      });
      await context.grantPermissions(["camera", "microphone"], { origin });
      const page = await context.newPage();
      page.on("pageerror", (error) => h.log(`page${i} error: ${error}`));
      await page.goto(origin);
      pages.push(page);
      await h.sleep(2000);
    }
    await h.sleep(DURATION * 1000);
    processes.assertAlive();

    for (const [i, page] of pages.entries()) {
      const shown = await page.evaluate(() => ({
        stats: window.p2pPlayer.stats.toJSON(),
        trackers: window.p2pPlayer.trackers,
        status: document.getElementById("status").textContent,
        peers: document.getElementById("peers").textContent,
        ratio: document.getElementById("p2p-ratio").textContent,
        playedSeconds: document.getElementById("video").currentTime,
      }));
      h.log(`page${i} ${JSON.stringify(shown)}`);
      assert.deepEqual(shown.trackers, [`ws://127.0.0.1:${TRACKER_PORT}`]);
      assert.match(shown.status, /^Playing|^Buffering/);
      assert.ok(shown.playedSeconds > DURATION / 2, `page${i} barely played`);
      assert.ok(shown.stats.peers > 0, `page${i} has no peer`);
      assert.equal(shown.peers, String(shown.stats.peers));
      assert.ok(shown.stats.p2pBytes > 0, `page${i} got nothing from peers`);
      assert.match(shown.ratio, /^\d+ %$/);
    }
    if (process.env.SCREENSHOT) {
      await pages[0].screenshot({ path: process.env.SCREENSHOT });
      h.log(`screenshot in ${process.env.SCREENSHOT}`);
    }
  } finally {
    await browser?.close();
    await processes.stopAll();
  }
});
