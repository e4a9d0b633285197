/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Live P2P statistics of one P2P Media Loader engine: bytes and segments by
 * source, bytes uploaded, connected peers. The same figures p2phlssrc posts
 * in its p2p-statistics message.
 */

export class P2PStats {
  constructor(engine) {
    this.httpBytes = 0;
    this.p2pBytes = 0;
    this.uploadedBytes = 0;
    this.httpSegments = 0;
    this.p2pSegments = 0;
    /* peer id -> open connections: a peer connects once per stream. */
    this.connections = new Map();
    engine.addEventListener("onChunkDownloaded", (bytes, source) => {
      if (source === "p2p") this.p2pBytes += bytes;
      else this.httpBytes += bytes;
    });
    engine.addEventListener("onChunkUploaded", (bytes) => {
      this.uploadedBytes += bytes;
    });
    engine.addEventListener("onSegmentLoaded", ({ downloadSource }) => {
      if (downloadSource === "p2p") this.p2pSegments++;
      else this.httpSegments++;
    });
    engine.addEventListener("onPeerConnect", ({ peerId }) =>
      this.connections.set(peerId, (this.connections.get(peerId) ?? 0) + 1),
    );
    engine.addEventListener("onPeerClose", ({ peerId }) => {
      const left = (this.connections.get(peerId) ?? 1) - 1;
      if (left > 0) this.connections.set(peerId, left);
      else this.connections.delete(peerId);
    });
  }

  get peers() {
    return this.connections.size;
  }

  /* Share of the downloaded bytes that came from peers, 0..1. */
  get p2pRatio() {
    const total = this.httpBytes + this.p2pBytes;
    return total > 0 ? this.p2pBytes / total : 0;
  }

  toJSON() {
    return {
      httpBytes: this.httpBytes,
      p2pBytes: this.p2pBytes,
      uploadedBytes: this.uploadedBytes,
      httpSegments: this.httpSegments,
      p2pSegments: this.p2pSegments,
      peers: this.peers,
      p2pRatio: this.p2pRatio,
    };
  }
}
