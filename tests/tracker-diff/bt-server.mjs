// gst-p2p
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Runs the npm bittorrent-tracker server, WebSocket only, on 127.0.0.1 and
// the port given as argv[2] (0 = any). Prints the port it got, like
// p2p-tracker does, and exits on SIGTERM or SIGINT.
import Server from 'bittorrent-tracker/server'

const port = Number(process.argv[2] || 0)
const server = new Server({ udp: false, http: false, ws: true, stats: false })
server.on('error', err => { console.error(`bittorrent-tracker: ${err.message}`); process.exit(1) })
server.on('warning', () => {})
server.listen(port, '127.0.0.1', () => {
  console.log(`bittorrent-tracker: listening on 127.0.0.1 port ${server.ws.address().port}`)
})
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => process.exit(0)))
}
