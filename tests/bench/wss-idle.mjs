// gst-p2p
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Idle wss:// connections for the tracker bench (tracker-bench.py): opens
// COUNT WebSocket connections to URL trusting CA_FILE, each announcing once
// without offers, prints {"open":N} once they are all up, and holds them
// until SIGTERM.
//
//   node wss-idle.mjs URL COUNT CA_FILE
// the ws package of the differential suite (scripts/setup.sh installs it)
import ws from '../tracker-diff/node_modules/ws/index.js'
import { readFileSync } from 'node:fs'

const [url, count, caFile] = process.argv.slice(2)
const ca = readFileSync(caFile)
const id = (prefix, n) => (prefix + String(n).padStart(12, '0')).slice(0, 20)
let open = 0
let settled = 0
const sockets = []
const BATCH = 200

function connect (i) {
  return new Promise(resolve => {
    const socket = new ws.WebSocket(url, { ca, perMessageDeflate: false })
    sockets.push(socket)
    socket.on('open', () => {
      open++
      socket.send(JSON.stringify({ numwant: 0, uploaded: 0, downloaded: 0, event: 'started',
        action: 'announce', info_hash: id('swarm---', i % 100), peer_id: id('-PM0203-', i), offers: [] }))
    })
    socket.on('message', () => { settled++; resolve() })
    socket.on('error', () => { settled++; resolve() })
  })
}

for (let i = 0; i < Number(count); i += BATCH) {
  const batch = []
  for (let j = i; j < Math.min(Number(count), i + BATCH); j++) batch.push(connect(j))
  await Promise.all(batch)
}
console.log(JSON.stringify({ open, settled }))
process.on('SIGTERM', () => { for (const socket of sockets) socket.terminate(); process.exit(0) })
setInterval(() => {}, 1 << 30)
