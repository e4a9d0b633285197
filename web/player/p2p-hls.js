/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * hls.js with P2P Media Loader 2.3, set up to share a gst-p2p live stream
 * with p2phlssrc viewers and other browsers. Used by the player page and by
 * the browser interop tests, so both run the same code.
 *
 * Needs an import map that resolves "hls.js", "p2p-media-loader-core" and
 * "p2p-media-loader-hlsjs" (the hlsjs bundle imports the core by bare name).
 */
import Hls from "hls.js";
import { HlsJsP2PEngine } from "p2p-media-loader-hlsjs";

/* Segments wanted within this many seconds of the playhead come over HTTP,
 * later ones from peers. P2P Media Loader's 15 s default covers a whole short
 * live playlist, which leaves peers nothing to swap. */
export const DEFAULT_HIGH_DEMAND_TIME_WINDOW = 4;

/* P2P Media Loader 2.3.1 hands hls.js the very ArrayBuffer it keeps for
 * uploading; hls.js transfers it to its transmuxing worker, which detaches
 * it, so later uploads of that segment send nothing. hls.js gets a copy. */
function copyingFragmentLoader(FragmentLoader, onSegmentBytes) {
  return class CopyingFragmentLoader extends FragmentLoader {
    load(context, config, callbacks) {
      let copy;
      const copyOf = (data) => {
        if (!copy) {
          copy = data.slice(0);
          onSegmentBytes?.(context.url, copy);
        }
        return copy;
      };
      const wrapped = {
        ...callbacks,
        onSuccess: (response, stats, ctx, details) =>
          callbacks.onSuccess(
            { ...response, data: copyOf(response.data) },
            stats,
            ctx,
            details,
          ),
      };
      if (callbacks.onProgress) {
        wrapped.onProgress = (stats, ctx, data, details) =>
          callbacks.onProgress(stats, ctx, copyOf(data), details);
      }
      super.load(context, config, wrapped);
    }
  };
}

/**
 * Creates an hls.js instance whose segments go through P2P Media Loader.
 *
 * @param {object} options
 * @param {string[]} options.trackers WebTorrent tracker URLs (ws:// or wss://)
 * @param {string} [options.swarmId] swarm id; unset = derived from the
 *   playlist URL, as p2phlssrc does, so both land in the same swarm
 * @param {RTCIceServer[]} [options.iceServers] STUN/TURN servers; [] = none
 * @param {object} [options.hlsConfig] hls.js config overrides
 * @param {object} [options.coreConfig] P2P Media Loader core config overrides
 * @param {(url: string, data: ArrayBuffer) => void} [options.onSegmentBytes]
 *   sees each segment as handed to hls.js (a copy; do not transfer it)
 * @returns {{hls: Hls, engine: HlsJsP2PEngine}}
 */
export function createP2PHls({
  trackers,
  swarmId,
  iceServers = [],
  hlsConfig = {},
  coreConfig = {},
  onSegmentBytes,
}) {
  const engine = new HlsJsP2PEngine({
    core: {
      announceTrackers: trackers,
      rtcConfig: { iceServers },
      highDemandTimeWindow: DEFAULT_HIGH_DEMAND_TIME_WINDOW,
      ...(swarmId ? { swarmId } : {}),
      ...coreConfig,
    },
  });
  const { fLoader, pLoader } = engine.getConfigForHlsJs();
  const hls = new Hls({
    ...hlsConfig,
    fLoader: copyingFragmentLoader(fLoader, onSegmentBytes),
    pLoader,
  });
  engine.bindHls(hls);
  return { hls, engine };
}
