/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The npm bittorrent-tracker server, WebSocket only, on 127.0.0.1:PORT.
 * Usage: node npm-tracker.mjs PORT. The package's own CLI imports its
 * client too, which needs node-datachannel's native build (an install
 * script, which npm runs with --ignore-scripts skipped); the server alone
 * does not.
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/* By path: the package exports its server for import only. */
const serverPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../web/node_modules/bittorrent-tracker/server.js",
);
const { default: Server } = await import(pathToFileURL(serverPath));

const port = Number(process.argv[2]);
const server = new Server({ http: false, udp: false, ws: true, stats: false });
server.on("error", (error) => console.error(`tracker error: ${error.message}`));
server.on("warning", (error) => console.log(`tracker warning: ${error.message}`));
server.listen(port, "127.0.0.1", () =>
  console.log(`WebSocket tracker on ws://127.0.0.1:${port}`),
);
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => server.close(() => process.exit(0)));
