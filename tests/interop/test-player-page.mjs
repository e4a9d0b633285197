/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The player page as a viewer gets it: p2pswarmsink with its embedded
 * tracker serves the page at "/" (web/player), and two Chromium pages open
 * it with no query parameters at all. Asserts that both play, that the
 * page's config names the sink's tracker, and that the live statistics on
 * screen show peers and bytes from peers. SCREENSHOT=FILE saves a PNG of
 * the first page (docs/player-page.png is made this way).
 * With TLS=1 the sink has a certificate made here (tls-certificate-file,
 * tls-key-file): the page, playlist and segments come over https and the
 * page's tracker is wss://, as browsers require on an https page; Chromium
 * trusts that certificate only.
 * Run inside tests/run-in-netns.sh.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import * as h from "./harness.mjs";

h.exitSkippedIfMissingPrerequisite();

const ORIGIN_PORT = 8080;
const TRACKER_PORT = 8000;
const DURATION = Number(process.env.DURATION ?? 30);
const TLS = process.env.TLS === "1";
const SCHEME = TLS ? "https" : "http";
const WS = TLS ? "wss" : "ws";

test(`the sink's player page plays over ${SCHEME} and shows P2P statistics`, async () => {
  const processes = new h.Processes(h.makeRunDir(TLS ? "player-page-https" : "player-page"));
  let browser;
  let passed = false;
  try {
    h.assertLoopbackOnly();
    h.log(`logs in ${processes.logDir}`);
    const certificate = TLS ? h.makeCertificate(`${processes.logDir}/tls`) : null;
    if (TLS) {
      /* this process's own requests (the playlist and config checks) to the
       * certificate made above, on loopback in a private namespace */
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    }
    const broadcaster = h.startBroadcaster(processes, {
      port: ORIGIN_PORT,
      dir: `${processes.logDir}/segments`,
      width: 640,
      height: 360,
      kbps: 700,
      extra: [
        `tracker-port=${TRACKER_PORT}`,
        "ice-addresses=127.0.0.1",
        ...(TLS
          ? [
              `tls-certificate-file=${certificate.certificateFile}`,
              `tls-key-file=${certificate.keyFile}`,
            ]
          : []),
      ],
    });
    const origin = `${SCHEME}://127.0.0.1:${ORIGIN_PORT}/`;
    await h.waitForPlaylist(processes, `${origin}playlist.m3u8`, 6);
    const config = JSON.parse(
      (await h.httpGet(`${origin}p2p-config.json`)).toString(),
    );
    assert.deepEqual(config.trackers, [`${WS}://{host}:${TRACKER_PORT}`]);
    assert.equal(config.hls.liveSyncDurationCount, 5);

    browser = await h.launchChromium(TLS ? certificate.chromiumArgs : []);
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
      assert.deepEqual(shown.trackers, [`${WS}://127.0.0.1:${TRACKER_PORT}`]);
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
    passed = true;
  } finally {
    await browser?.close();
    await processes.finish({ passed });
  }
});
