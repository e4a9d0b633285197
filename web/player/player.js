/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The player page's script. Settings come from p2p-config.json next to the
 * page (p2pswarmsink writes it: playlist, trackers, swarm and timing
 * settings), and query parameters override them: src, tracker (repeatable),
 * swarmId, config (another config file's URL).
 */
import { createP2PHls } from "./p2p-hls.js";
import { P2PStats } from "./p2p-stats.js";

const params = new URLSearchParams(location.search);

async function loadConfig() {
  const url = params.get("config") ?? "p2p-config.json";
  try {
    const response = await fetch(url, { cache: "no-store" });
    if (response.ok) return await response.json();
  } catch {
    /* No config: the query parameters must say it all. */
  }
  return {};
}

/* "{host}" lets the sink name a tracker on its own host without knowing
 * which of its addresses the browser used. */
function resolveTracker(url) {
  return url.replaceAll("{host}", location.hostname);
}

function formatBytes(bytes) {
  const units = ["B", "kB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function showStatus(text, isError = false) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

function showStats(stats) {
  const set = (id, text) => (document.getElementById(id).textContent = text);
  const percent = Math.round(stats.p2pRatio * 100);
  set("p2p-ratio", `${percent} %`);
  set("peers", String(stats.peers));
  set("p2p-bytes", formatBytes(stats.p2pBytes));
  set("http-bytes", formatBytes(stats.httpBytes));
  set("uploaded-bytes", formatBytes(stats.uploadedBytes));
  set("segments", `${stats.p2pSegments} / ${stats.httpSegments}`);
  document.getElementById("ratio-bar").style.width = `${percent}%`;
}

async function main() {
  const config = await loadConfig();
  const playlist = params.get("src") ?? config.playlist ?? "playlist.m3u8";
  const trackers = (
    params.has("tracker") ? params.getAll("tracker") : (config.trackers ?? [])
  ).map(resolveTracker);
  const swarmId = params.get("swarmId") ?? config.swarmId ?? undefined;
  const video = document.getElementById("video");

  const { hls, engine } = createP2PHls({
    trackers,
    swarmId,
    iceServers: config.iceServers ?? [],
    hlsConfig: { workerPath: "./lib/hls.js/hls.worker.js", ...config.hls },
    /* Without a tracker P2P Media Loader would fall back to public ones. */
    coreConfig: { ...config.p2p, isP2PDisabled: trackers.length === 0 },
  });
  const stats = new P2PStats(engine);
  window.p2pPlayer = { hls, engine, stats, trackers, swarmId };

  hls.on("hlsError", (event, data) => {
    if (!data.fatal) return;
    if (data.type === "mediaError") {
      hls.recoverMediaError();
      return;
    }
    showStatus(`Playback error: ${data.details}`, true);
  });
  video.addEventListener("playing", () =>
    showStatus(
      trackers.length
        ? `Playing, sharing through ${trackers.join(", ")}`
        : "Playing over HTTP only (no tracker configured)",
    ),
  );
  video.addEventListener("waiting", () => showStatus("Buffering…"));
  setInterval(() => showStats(stats), 500);

  hls.loadSource(new URL(playlist, location.href).href);
  hls.attachMedia(video);
}

main().catch((error) => showStatus(`Could not start: ${error}`, true));
