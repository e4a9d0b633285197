/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Interop test viewer: plays ?src= through the player page's createP2PHls
 * and records in window.interop what the harness asserts on: P2P Media
 * Loader events, the SHA-256 of every segment handed to hls.js, playback
 * progress and stalls, bytes uploaded to each peer. Query: src, tracker
 * (repeatable), swarmId, and settings (JSON: {hls: {...}, p2p: {...},
 * level: the hls.js level to stay on}).
 */
import { createP2PHls } from "./player/p2p-hls.js";
import { P2PStats } from "./player/p2p-stats.js";

const params = new URLSearchParams(location.search);
const settings = JSON.parse(params.get("settings") ?? "{}");
const video = document.getElementById("video");

const interop = {
  ready: false,
  segments: [] /* onSegmentLoaded details */,
  digests: {} /* segment URL -> hex SHA-256 of the bytes hls.js got */,
  peerConnects: [],
  errors: [],
  playing: false,
  stalls: [] /* {at: media time, ms: how long, or null while stalled} */,
  uploadedTo: {} /* peer id -> bytes */,
};
window.interop = interop;

async function sha256Hex(data) {
  const digest = await crypto.subtle.digest("SHA-256", data);
  return [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

const { hls, engine } = createP2PHls({
  trackers: params.getAll("tracker"),
  swarmId: params.get("swarmId") ?? undefined,
  hlsConfig: { workerPath: "./lib/hls.js/hls.worker.js", ...settings.hls },
  coreConfig: settings.p2p ?? {},
  onSegmentBytes: (url, data) => {
    sha256Hex(data).then((hex) => (interop.digests[url] = hex));
  },
});
interop.stats = new P2PStats(engine);

engine.addEventListener("onSegmentLoaded", (details) =>
  interop.segments.push({
    url: details.segmentUrl,
    bytesLength: details.bytesLength,
    downloadSource: details.downloadSource,
    peerId: details.peerId,
    at: performance.now(),
  }),
);
engine.addEventListener("onChunkUploaded", (bytes, peerId) => {
  interop.uploadedTo[peerId] = (interop.uploadedTo[peerId] ?? 0) + bytes;
});
engine.addEventListener("onPeerConnect", (details) =>
  interop.peerConnects.push(details),
);
engine.addEventListener("onSegmentError", (details) =>
  interop.errors.push(`segment: ${details.error?.message ?? details.error}`),
);
if (settings.level !== undefined) {
  hls.on("hlsManifestParsed", () => (hls.currentLevel = settings.level));
}
hls.on("hlsError", (event, data) => {
  if (data.fatal) interop.errors.push(`hls.js fatal: ${data.details}`);
});
/* A stall: playback had started and the buffer ran dry. */
let stalledSince = null;
video.addEventListener("waiting", () => {
  if (!interop.playing || stalledSince !== null) return;
  stalledSince = performance.now();
  interop.stalls.push({ at: video.currentTime, ms: null });
});
video.addEventListener("playing", () => {
  interop.playing = true;
  if (stalledSince === null) return;
  interop.stalls.at(-1).ms = Math.round(performance.now() - stalledSince);
  stalledSince = null;
});

hls.loadSource(params.get("src"));
hls.attachMedia(video);
interop.hls = hls;
interop.ready = true;
