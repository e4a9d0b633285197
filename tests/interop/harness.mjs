/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Browser interop harness: starts, inside the caller's private network
 * namespace (tests/run-in-netns.sh), a p2pswarmsink broadcaster, a tracker
 * and headless Chromium pages running hls.js + P2P Media Loader 2.3 from
 * npm; reads back what each page saw; stops every process it started, by
 * pid. Nothing here may reach an address outside the loopback interface.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const INTEROP_DIR = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_ROOT = path.resolve(INTEROP_DIR, "..", "..");
export const WEB_ROOT = path.join(SOURCE_ROOT, "web");
export const CHROMIUM = process.env.P2P_CHROMIUM ?? "/usr/bin/chromium";
const webRequire = createRequire(path.join(WEB_ROOT, "package.json"));

/* The npm packages the page imports, served from their dist/ folders. */
const LIBRARY_PACKAGES = [
  "hls.js",
  "p2p-media-loader-core",
  "p2p-media-loader-hlsjs",
];

const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--allow-loopback-in-peer-connection",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--mute-audio",
  "--autoplay-policy=no-user-gesture-required",
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
];

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function log(...args) {
  const time = new Date().toISOString().slice(11, 23);
  console.log(`[${time}]`, ...args);
}

/* Why the interop tests cannot run here, or null. */
export function missingPrerequisite() {
  if (!fs.existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}`;
  for (const name of [...LIBRARY_PACKAGES, "playwright-core"]) {
    if (!fs.existsSync(path.join(WEB_ROOT, "node_modules", name)))
      return `npm package ${name} missing: run scripts/setup.sh`;
  }
  return null;
}

/* Meson counts exit code 77 as a skipped test. */
export function exitSkippedIfMissingPrerequisite() {
  const missing = missingPrerequisite();
  if (missing) {
    console.log(`skipped: ${missing}`);
    process.exit(77);
  }
}

/* Refuses to run with any interface but loopback up: WebRTC would gather,
 * and could pair on, real addresses. */
export function assertLoopbackOnly() {
  for (const [name, addresses] of Object.entries(os.networkInterfaces())) {
    for (const { address, internal } of addresses) {
      if (!internal)
        throw new Error(
          `interface ${name} has ${address}: run inside tests/run-in-netns.sh`,
        );
    }
  }
}

export function isLoopbackAddress(address) {
  return /^127\./.test(address ?? "") || address === "::1";
}

export function sha256Hex(data) {
  return createHash("sha256").update(data).digest("hex");
}

/* Child processes, each logging to LOG_DIR/NAME.log and stopped by pid. */
export class Processes {
  constructor(logDir) {
    this.logDir = logDir;
    this.children = [];
    // A process.exit() that skips stopAll() (a library that exits on
    // require, an uncaught error) must not leave the children running.
    process.on("exit", () => {
      for (const entry of this.children) {
        if (entry.exited) continue;
        try {
          process.kill(entry.child.pid, "SIGKILL");
        } catch {}
      }
    });
  }

  start(name, command, args, { env = {}, stopSignal = "SIGTERM" } = {}) {
    const logFile = path.join(this.logDir, `${name}.log`);
    const out = fs.openSync(logFile, "a");
    const child = spawn(command, args, {
      stdio: ["ignore", out, out],
      env: { ...process.env, ...env },
    });
    fs.closeSync(out);
    const entry = { name, child, logFile, stopSignal, exited: false };
    child.on("exit", (code, signal) => {
      entry.exited = true;
      entry.exit = { code, signal };
    });
    this.children.push(entry);
    log(`started ${name} (pid ${child.pid}): ${command} ${args.join(" ")}`);
    return entry;
  }

  /* Throws if a process died on its own. */
  assertAlive() {
    for (const entry of this.children) {
      if (entry.exited)
        throw new Error(
          `${entry.name} exited (${JSON.stringify(entry.exit)}); log:\n` +
            tail(entry.logFile),
        );
    }
  }

  async stopAll() {
    for (const entry of this.children.reverse()) {
      if (entry.exited) continue;
      process.kill(entry.child.pid, entry.stopSignal);
      for (let i = 0; i < 50 && !entry.exited; i++) await sleep(100);
      if (!entry.exited) {
        log(`${entry.name} (pid ${entry.child.pid}) ignored ${entry.stopSignal}`);
        process.kill(entry.child.pid, "SIGKILL");
      }
    }
    this.children = [];
  }

  /* Stops every process; the run's directory (logs, segments) goes with
   * them, unless the run failed: then it stays for its logs. */
  async finish({ passed }) {
    await this.stopAll();
    if (passed) fs.rmSync(this.logDir, { recursive: true, force: true });
    else log(`logs kept in ${this.logDir}`);
  }
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/* Polls @predicate; fails early if one of @processes died meanwhile. */
export async function waitFor(
  what,
  predicate,
  timeoutMs,
  { intervalMs = 200, processes } = {},
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    processes?.assertAlive();
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export async function httpGet(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

async function httpAnswers(url) {
  try {
    await httpGet(url);
    return true;
  } catch {
    return false;
  }
}

/* A live stream from p2pswarmsink: a ball on a test pattern with a clock,
 * H.264 in MPEG-TS (or, with container "fmp4", in fragmented MP4 from
 * mp4mux: init.mp4 and .m4s segments), segments kept on disk in DIR for
 * byte comparisons. */
export function startBroadcaster(
  processes,
  {
    name = "broadcaster",
    port,
    dir,
    playlistLength = 6,
    targetDuration = 2,
    width = 320,
    height = 180,
    kbps = 400,
    trackers = [],
    container = "ts",
    extra = [],
  },
) {
  fs.mkdirSync(dir, { recursive: true });
  const fps = 25;
  const muxer =
    container === "fmp4"
      ? ["mp4mux", `fragment-duration=${targetDuration * 1000}`]
      : ["mpegtsmux"];
  const pipeline = [
    "videotestsrc", "is-live=true", "pattern=ball", "background-color=0xff203040",
    "!", `video/x-raw,width=${width},height=${height},framerate=${fps}/1`,
    "!", "timeoverlay", "font-desc=Sans 20",
    "!", "x264enc", "tune=zerolatency", "speed-preset=ultrafast",
    `key-int-max=${fps}`, `bitrate=${kbps}`,
    "!", "h264parse", "!", ...muxer,
    "!", "p2pswarmsink", "http-address=127.0.0.1", `http-port=${port}`,
    `location=${path.join(dir, container === "fmp4" ? "segment%05d.m4s" : "segment%05d.ts")}`,
    `playlist-location=${path.join(dir, "playlist.m3u8")}`,
    "max-files=0", `playlist-length=${playlistLength}`,
    `target-duration=${targetDuration}`,
    /* Seeds its segments when given trackers. */
    ...(trackers.length
      ? [`trackers=${trackers.join(",")}`, "ice-addresses=127.0.0.1"]
      : []),
    ...extra,
  ];
  const entry = processes.start(name, "gst-launch-1.0", ["-e", ...pipeline], {
    env: { GST_PLUGIN_PATH_1_0: pluginPath(), GST_DEBUG: "p2pswarm:4" },
    stopSignal: "SIGINT",
  });
  entry.url = `http://127.0.0.1:${port}/playlist.m3u8`;
  entry.dir = dir;
  return entry;
}

function pluginPath() {
  return (
    process.env.GST_PLUGIN_PATH_1_0 ??
    path.join(SOURCE_ROOT, "build", "plugins", "p2p")
  );
}

/* A p2phlssrc viewer in gst-launch, paced like a player (fakesink syncs on
 * the stream's timestamps), posting p2p-statistics every second (-m), with
 * the swarm's peer log on. ICE is pinned to 127.0.0.1. @container is what
 * the broadcaster publishes ("ts", or "fmp4", demuxed by qtdemux). */
export function startGstViewer(
  processes,
  { name, url, trackers = [], liveDelay = 3, container = "ts", extra = [] },
) {
  const pipeline = [
    "p2phlssrc", `location=${url}`, `trackers=${trackers.join(",")}`,
    "ice-addresses=127.0.0.1", `live-delay=${liveDelay}`, ...extra,
    "!", container === "fmp4" ? "qtdemux" : "tsdemux",
    "!", "h264parse", "!", "fakesink", "sync=true",
  ];
  return processes.start(name, "gst-launch-1.0", ["-m", "-e", ...pipeline], {
    env: {
      GST_PLUGIN_PATH_1_0: pluginPath(),
      GST_DEBUG: `p2pswarm:4,${process.env.P2P_VIEWER_DEBUG ?? ""}`,
    },
    stopSignal: "SIGINT",
  });
}

/* The last p2p-statistics message a gst-launch -m viewer printed, as an
 * object of its fields (numbers for integer and double fields). */
export function gstViewerStats(entry) {
  const lines = fs
    .readFileSync(entry.logFile, "utf8")
    .split("\n")
    .filter((line) => line.includes("p2p-statistics,"));
  if (!lines.length) return null;
  const stats = {};
  const field = /([a-z0-9-]+)=\((\w+)\)("(?:[^"\\]|\\.)*"|[^,;]*)/g;
  for (const [, key, type, raw] of lines.at(-1).matchAll(field)) {
    if (type === "string") stats[key] = raw.replace(/^"|"$/g, "").replace(/\\(.)/g, "$1");
    else stats[key] = Number(raw);
  }
  return stats;
}

/* Peer ids the viewer's swarm connected to (its p2pswarm INFO lines). */
export function gstViewerPeers(entry) {
  const text = fs.readFileSync(entry.logFile, "utf8");
  return [...new Set([...text.matchAll(/peer (\S+) connected/g)].map((m) => m[1]))];
}

/* Waits until the playlist lists @segments segments. */
export async function waitForPlaylist(processes, url, segments, timeoutMs = 30000) {
  await waitFor(
    `${segments} segments in ${url}`,
    async () => {
      if (!(await httpAnswers(url))) return false;
      const text = (await httpGet(url)).toString();
      return (text.match(/^#EXTINF/gm) ?? []).length >= segments;
    },
    timeoutMs,
    { intervalMs: 500, processes },
  );
}

/* The npm bittorrent-tracker server, WebSocket only, on 127.0.0.1. */
export function startNpmTracker(processes, port) {
  const entry = processes.start("npm-tracker", process.execPath, [
    path.join(INTEROP_DIR, "npm-tracker.mjs"),
    String(port),
  ]);
  entry.url = `ws://127.0.0.1:${port}`;
  return entry;
}

/* Our tracker (tools/p2p-tracker), one worker, on 127.0.0.1. */
export function startOurTracker(processes, port) {
  const tool =
    process.env.P2P_TRACKER ??
    path.join(SOURCE_ROOT, "build", "tools", "p2p-tracker");
  const entry = processes.start("our-tracker", tool, [
    "--address", "127.0.0.1", "--port", String(port), "--workers", "1",
  ]);
  entry.url = `ws://127.0.0.1:${port}`;
  return entry;
}

/* TRACKER=npm (bittorrent-tracker) or ours (p2p-tracker). */
export function startTracker(processes, kind, port) {
  if (kind === "npm") return startNpmTracker(processes, port);
  if (kind === "ours") return startOurTracker(processes, port);
  throw new Error(`unknown tracker kind ${kind}`);
}

export async function waitForTcp(processes, port, timeoutMs = 15000) {
  const net = await import("node:net");
  await waitFor(
    `port ${port}`,
    () =>
      new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.on("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.on("error", () => resolve(false));
      }),
    timeoutMs,
    { processes },
  );
}

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".json": "application/json",
  ".map": "application/json",
};

/* Serves the interop page (tests/interop), the player modules (web/player)
 * and the npm bundles (web/node_modules/PACKAGE/dist) on 127.0.0.1, in the
 * layout the player page uses, plus @files (path -> text, e.g. a master
 * playlist). Resolves to the server; its base URL is server.base. */
export async function servePages(files = {}) {
  const roots = { "/player/": path.join(WEB_ROOT, "player") };
  for (const name of LIBRARY_PACKAGES)
    roots[`/lib/${name}/`] = path.join(WEB_ROOT, "node_modules", name, "dist");
  roots["/"] = INTEROP_DIR;

  const server = http.createServer((request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url, "http://x").pathname);
    response.setHeader("Access-Control-Allow-Origin", "*");
    if (files[urlPath] !== undefined) {
      response.writeHead(200, {
        "Content-Type": urlPath.endsWith(".m3u8")
          ? "application/vnd.apple.mpegurl"
          : "application/octet-stream",
      });
      response.end(files[urlPath]);
      return;
    }
    const prefix = Object.keys(roots).find((p) => urlPath.startsWith(p));
    const name = urlPath.slice(prefix.length);
    if (!name || name.includes("/") || name.startsWith(".")) {
      response.writeHead(404).end();
      return;
    }
    fs.readFile(path.join(roots[prefix], name), (error, data) => {
      if (error) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, {
        "Content-Type":
          CONTENT_TYPES[path.extname(name)] ?? "application/octet-stream",
      });
      response.end(data);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.base = `http://127.0.0.1:${server.address().port}/`;
  return server;
}

export async function launchChromium(extraArgs = []) {
  const { chromium } = webRequire("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

/* A self-signed certificate for 127.0.0.1 made with the openssl CLI in
 * DIR: {certificateFile, keyFile, chromiumArgs}. chromiumArgs make
 * Chromium accept that certificate (by its public key) and no other. */
export function makeCertificate(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const certificateFile = path.join(dir, "certificate.pem");
  const keyFile = path.join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
    "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", keyFile, "-out", certificateFile,
  ], { stdio: "ignore" });
  const spki = new X509Certificate(fs.readFileSync(certificateFile)).publicKey
    .export({ type: "spki", format: "der" });
  const pin = createHash("sha256").update(spki).digest("base64");
  return {
    certificateFile,
    keyFile,
    chromiumArgs: [`--ignore-certificate-errors-spki-list=${pin}`],
  };
}

/* Runs in every page before its scripts: keeps every RTCPeerConnection and
 * the candidate pair each one selected, for the loopback check. */
function recordPeerConnections() {
  const Native = window.RTCPeerConnection;
  const selectedPairs = [];
  window.__selectedPairs = selectedPairs;
  async function recordSelectedPair(pc) {
    const report = await pc.getStats();
    report.forEach((stat) => {
      if (stat.type !== "transport" || !stat.selectedCandidatePairId) return;
      const pair = report.get(stat.selectedCandidatePairId);
      const local = report.get(pair.localCandidateId);
      const remote = report.get(pair.remoteCandidateId);
      selectedPairs.push({
        local: local.address ?? local.ip,
        remote: remote.address ?? remote.ip,
        localType: local.candidateType,
        protocol: local.protocol,
      });
    });
  }
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("connectionstatechange", () => {
        if (this.connectionState === "connected") recordSelectedPair(this);
      });
    }
  };
}

/* A new browser profile (its own peer id) playing @src on the interop
 * page. Console lines go to the harness log with @name. */
export async function openViewer(
  browser,
  pagesBase,
  { name, src, trackers = [], swarmId, settings = {} },
) {
  const context = await browser.newContext();
  /* Chromium offers a loopback ICE candidate only to a page allowed to use
   * camera or microphone. */
  await context.grantPermissions(["camera", "microphone"], {
    origin: new URL(pagesBase).origin,
  });
  await context.addInitScript(recordPeerConnections);
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning")
      log(`${name} console ${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => log(`${name} page error: ${error}`));
  const query = new URLSearchParams({ src, settings: JSON.stringify(settings) });
  for (const tracker of trackers) query.append("tracker", tracker);
  if (swarmId) query.set("swarmId", swarmId);
  await page.goto(`${pagesBase}page.html?${query}`);
  await page.waitForFunction(() => window.interop?.ready, null, {
    timeout: 15000,
  });
  return { name, context, page };
}

/* What a viewer page saw, as plain data. */
export async function viewerReport(viewer) {
  return viewer.page.evaluate(() => {
    const { interop } = window;
    const video = document.getElementById("video");
    return {
      stats: interop.stats.toJSON(),
      segments: interop.segments,
      digests: interop.digests,
      peerConnects: interop.peerConnects,
      uploadedTo: interop.uploadedTo,
      errors: interop.errors,
      playing: interop.playing,
      stalls: interop.stalls,
      currentTime: video.currentTime,
      selectedPairs: window.__selectedPairs,
    };
  });
}

/* SHA-256 of every segment file (and initialisation section) the
 * broadcaster wrote, by file name. */
export function originDigests(dir) {
  const digests = {};
  for (const name of fs.readdirSync(dir)) {
    if ([".ts", ".m4s", ".mp4"].some((ext) => name.endsWith(ext)))
      digests[name] = sha256Hex(fs.readFileSync(path.join(dir, name)));
  }
  return digests;
}

/* Rebufferings of a viewer page longer than @ms (one still going counts). */
export function stallsLongerThan(report, ms) {
  return report.stalls.filter((stall) => stall.ms === null || stall.ms > ms);
}

export function segmentName(url) {
  return new URL(url).pathname.split("/").pop();
}

/* hls.js settings that let browsers share a live playlist of @length
 * segments of @targetDuration s: start as far behind the live edge as the
 * playlist allows and fetch over HTTP only the next two segments (the
 * player page ships the same, player-page.h). */
export function sharingSettings(length, targetDuration) {
  return {
    hls: { liveSyncDurationCount: length - 1 },
    p2p: { highDemandTimeWindow: 2 * targetDuration },
  };
}

export function makeRunDir(label) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `p2p-interop-${label}-`));
}
