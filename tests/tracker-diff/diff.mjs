// gst-p2p
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Differential tracker test: runs the same scripted exchanges against two
// trackers (ours and the npm bittorrent-tracker server) with clients that
// speak exactly as the bittorrent-tracker browser client does, and compares
// what each peer receives. Where browsers read the bytes (announce
// responses, relayed offers and answers, scrape responses, failure reasons
// they may show) the comparison is byte-exact; where a tracker picks at
// random (which peer gets which offer) it compares the shape. Deliberate
// differences are asserted per tracker and listed in docs/tracker.md.
//
//   node diff.mjs OUR_URLS BITTORRENT_TRACKER_URL
// OUR_URLS is one ws:// or wss:// URL, or several separated by commas: the
// nodes of one tracker cluster, which must behave as one tracker; the peers
// of a scenario then take the nodes in turn. With wss://, TRACKER_DIFF_CA
// names the PEM file of the CA (or self-signed certificate) to trust.
import { WebSocket } from 'ws'
import { readFileSync } from 'node:fs'
import { isDeepStrictEqual } from 'node:util'

const ourUrls = process.argv[2].split(',')
const btUrls = [process.argv[3]]
const tls = process.env.TRACKER_DIFF_CA ? { ca: readFileSync(process.env.TRACKER_DIFF_CA) } : {}
const QUIET_MS = 300

// Binary strings as the JS client makes them (PROTOCOLS.md §1.2).
const bin = bytes => String.fromCharCode(...bytes)
const ascii = s => { if (s.length !== 20) throw new Error(`bad id ${s}`); return s }
const hex = s => Buffer.from(s, 'latin1').toString('hex')
const nastyId = n => bin([0x00, 0x01, n, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x22, 0x5c,
  0xc8, 0x00, 0x1f, 0x08, 0x0c, 0x09, 0x20, 0x7e, 0xa0, 0x00])
const peerId = name => ascii(('-PM0203-' + name.repeat(12)).slice(0, 20))
const infoHash = n => ascii(('L2uYwMcHhsstZuLv' + String(n).padStart(4, '0')).slice(0, 20))
const binaryInfoHash = n => bin([0x00, 0xff, 0x80, n, ...Array.from({ length: 16 }, (_, i) => (i * 37 + n) & 0xff)])
const sdp = tag => `v=0\r\no=- ${tag} 2 IN IP4 127.0.0.1\r\ns=-\r\na=msid-semantic: WMS é\u00e9 😀 "q" \\\r\n`

class Peer {
  constructor (url) {
    this.inbox = []
    this.waiters = []
    this.closed = false
    this.ws = new WebSocket(url, tls)
    this.ws.on('message', data => {
      const bytes = Buffer.from(data)
      const w = this.waiters.shift()
      if (w) w(bytes); else this.inbox.push(bytes)
    })
    this.ws.on('close', () => { this.closed = true; for (const w of this.waiters.splice(0)) w(null) })
    this.ws.on('error', () => {})
  }

  open () { return new Promise((resolve, reject) => { this.ws.once('open', resolve); this.ws.once('error', reject) }) }
  send (obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)) }

  // The next message's raw bytes, or null after timeout/close.
  next (timeout = 3000) {
    if (this.inbox.length) return Promise.resolve(this.inbox.shift())
    return new Promise(resolve => {
      const timer = setTimeout(() => { this.waiters.splice(this.waiters.indexOf(done), 1); resolve(null) }, timeout)
      const done = bytes => { clearTimeout(timer); resolve(bytes) }
      this.waiters.push(done)
    })
  }

  async nextText (timeout) { const b = await this.next(timeout); return b === null ? null : b.toString('utf8') }
  async nextJson (timeout) { const t = await this.nextText(timeout); return t === null ? null : JSON.parse(t) }
  async quiet () { return (await this.next(QUIET_MS)) === null }
  close () { this.ws.close(); return new Promise(resolve => this.closed ? resolve() : this.ws.once('close', resolve)) }
}

// Messages as the bittorrent-tracker client builds them (websocket-tracker.js).
const announce = (hash, peer, event, offers = [], extra = {}) => {
  const m = { numwant: offers.length, uploaded: 0, downloaded: 0, ...extra }
  if (event) m.event = event
  Object.assign(m, { action: 'announce', info_hash: hash, peer_id: peer })
  if (event !== 'stopped' && event !== 'completed') {
    m.offers = offers.map(([id, tag]) => ({ offer: { type: 'offer', sdp: sdp(tag) }, offer_id: id }))
  }
  return m
}
const answer = (hash, peer, to, offerId, tag) => ({
  action: 'announce', info_hash: hash, peer_id: peer, to_peer_id: to,
  answer: { type: 'answer', sdp: sdp(tag) }, offer_id: offerId
})

// n peers, on the tracker's nodes in turn
async function peers (urls, n) {
  const list = Array.from({ length: n }, (_, i) => new Peer(urls[i % urls.length]))
  await Promise.all(list.map(p => p.open()))
  return list
}

const raw = b => b === null ? null : b.toString('hex')

// Each scenario returns what its peers saw; `same` parts must match between
// trackers, `ours`/`theirs` parts are checked against `expect`.
const scenarios = {
  async 'announce response' (urls) {
    const [a] = await peers(urls, 1)
    a.send(announce(infoHash(1), peerId('A'), 'started'))
    const started = raw(await a.next())
    a.send(announce(infoHash(1), peerId('A'), undefined))
    const reannounce = raw(await a.next())
    a.send(announce(infoHash(1), peerId('A'), 'update'))
    const update = raw(await a.next())
    await a.close()
    return { same: { started, reannounce, update } }
  },

  async 'offer relay keeps binary ids' (urls) {
    const [a, b] = await peers(urls, 2)
    const hash = binaryInfoHash(2)
    a.send(announce(hash, peerId('A'), 'started'))
    const aResponse = raw(await a.next())
    b.send(announce(hash, peerId('B'), 'started', [[nastyId(7), 'offer-7']]))
    const bResponse = raw(await b.next())
    const relayed = raw(await a.next())
    const bQuiet = await b.quiet()
    await Promise.all([a.close(), b.close()])
    return { same: { aResponse, bResponse, relayed, bQuiet } }
  },

  async 'answer relay' (urls) {
    const [a, b] = await peers(urls, 2)
    const hash = infoHash(3)
    a.send(announce(hash, peerId('A'), 'started'))
    await a.next()
    b.send(announce(hash, peerId('B'), 'started', [[nastyId(9), 'offer-9']]))
    await b.next()
    const offer = await a.nextJson()
    a.send(answer(hash, peerId('A'), offer.peer_id, offer.offer_id, 'answer-9'))
    const relayedAnswer = raw(await b.next())
    const answererQuiet = await a.quiet()
    await Promise.all([a.close(), b.close()])
    return { same: { relayedAnswer, answererQuiet, offerIdHex: hex(offer.offer_id) } }
  },

  async 'five offers to random peers' (urls) {
    const list = await peers(urls, 4)
    const hash = infoHash(4)
    for (const [i, p] of list.slice(0, 3).entries()) {
      p.send(announce(hash, peerId('ABC'[i]), 'started'))
      await p.next()
    }
    const offers = [1, 2, 3, 4, 5].map(i => [nastyId(i), `offer-${i}`])
    list[3].send(announce(hash, peerId('D'), 'started', offers))
    const response = raw(await list[3].next())
    const received = []
    const offerIds = new Set()
    for (const p of list.slice(0, 3)) {
      const m = await p.nextJson()
      const sent = offers.find(([id]) => id === m.offer_id)
      offerIds.add(m.offer_id)
      received.push({ from: hex(m.peer_id), infoHash: hex(m.info_hash), offerSent: sent !== undefined, sdpIntact: sent !== undefined && m.offer.sdp === sdp(sent[1]), keys: Object.keys(m).join(), quietAfter: await p.quiet() })
    }
    await Promise.all(list.map(p => p.close()))
    return { same: { response, received, distinctOffers: offerIds.size } }
  },

  async 'stopped, completed, left=0 and counts' (urls) {
    const [a, b, c] = await peers(urls, 3)
    const hash = infoHash(5)
    a.send(announce(hash, peerId('A'), 'started'))
    const aStarted = raw(await a.next())
    b.send(announce(hash, peerId('B'), 'started', [], { left: 0 }))
    const bSeeder = raw(await b.next())
    c.send(announce(hash, peerId('C'), 'started'))
    const cStarted = raw(await c.next())
    c.send(announce(hash, peerId('C'), 'completed'))
    const cCompleted = raw(await c.next())
    a.send(announce(hash, peerId('A'), 'stopped'))
    const aStopped = raw(await a.next())
    a.send(announce(hash, peerId('A'), 'stopped'))
    const aStoppedAgain = raw(await a.next())
    b.send({ action: 'scrape', info_hash: hash })
    const scrape = raw(await b.next())
    await Promise.all([a.close(), b.close(), c.close()])
    return { same: { aStarted, bSeeder, cStarted, cCompleted, aStopped, aStoppedAgain, scrape } }
  },

  async 'scrape forms' (urls) {
    const [a, b] = await peers(urls, 2)
    const hash = binaryInfoHash(6)
    a.send(announce(hash, peerId('A'), 'started'))
    await a.next()
    b.send({ action: 'scrape', info_hash: [hash, infoHash(6006), binaryInfoHash(99)] })
    const list = raw(await b.next())
    b.send({ action: 'scrape', info_hash: hash })
    const single = raw(await b.next())
    await Promise.all([a.close(), b.close()])
    return { same: { list, single } }
  },

  async 'closing the socket leaves the swarm' (urls) {
    const [a, b] = await peers(urls, 2)
    const hash = infoHash(7)
    a.send(announce(hash, peerId('A'), 'started'))
    await a.next()
    b.send(announce(hash, peerId('B'), 'started'))
    await b.next()
    await a.close()
    let scrape = null
    for (let i = 0; i < 20; i++) {
      b.send({ action: 'scrape', info_hash: hash })
      scrape = await b.nextJson()
      if (scrape.files[hash].incomplete === 1) break
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    await b.close()
    return { same: { incompleteAfterClose: scrape.files[hash].incomplete } }
  },

  async 'bad messages get the same failure reasons' (urls) {
    const [a] = await peers(urls, 1)
    const hash = infoHash(8)
    const bad = [
      { action: 'announce', info_hash: 'short', peer_id: peerId('A') },
      { action: 'announce', info_hash: 7, peer_id: peerId('A') },
      { action: 'announce', info_hash: hash, peer_id: 'short' },
      { action: 'announce', info_hash: hash, peer_id: peerId('A'), answer: { type: 'answer', sdp: 'x' } },
      { action: 'announce', info_hash: hash, peer_id: peerId('A'), answer: { type: 'answer', sdp: 'x' }, to_peer_id: 'x' },
      { action: 'announce', info_hash: hash, peer_id: peerId('A'), event: 'dance' },
      { action: 'dance' },
      { info_hash: hash },
      { action: 'scrape', info_hash: ['short'] }
    ]
    const replies = []
    for (const m of bad) {
      a.send(m)
      replies.push(raw(await a.next()))
    }
    // still a working connection afterwards
    a.send(announce(hash, peerId('A'), 'started'))
    const after = raw(await a.next())
    await a.close()
    return { same: { replies, after } }
  },

  // Our tracker skips decoding long nested strings (SDPs); where
  // bittorrent-tracker reads one as text, String() or Number(), so do we.
  async 'long strings nested in action and left' (urls) {
    const [a, b] = await peers(urls, 2)
    const hash = infoHash(10)
    a.send({ action: ['dance'.padEnd(150, '!')] })
    const unknownAction = raw(await a.next())
    a.send(announce(hash, peerId('A'), 'started', [], { left: ['7'.repeat(150)] }))
    const leecher = raw(await a.next())
    b.send(announce(hash, peerId('B'), 'started', [], { left: [' '.repeat(149) + '0'] }))
    const seeder = raw(await b.next())
    await Promise.all([a.close(), b.close()])
    return { same: { unknownAction, leecher, seeder } }
  },

  async 'invalid JSON gets a failure reason' (urls) {
    const [a] = await peers(urls, 1)
    const replies = []
    for (const text of ['not json', '{"action":"announce"', '']) {
      a.send(text)
      const reply = await a.nextJson()
      replies.push(reply !== null && typeof reply['failure reason'] === 'string' && Object.keys(reply).length === 1)
    }
    await a.close()
    return { same: { replies } }
  },

  // Deliberate difference: an answer nobody asked for. bittorrent-tracker
  // relays any answer to to_peer_id if that peer is in the swarm; we relay
  // only answers to offers we relayed to this peer (so peers cannot push
  // SDP at anyone), and say so with a failure reason instead of silence.
  async 'answer to an unknown offer' (urls) {
    const [a, b] = await peers(urls, 2)
    const hash = infoHash(9)
    a.send(announce(hash, peerId('A'), 'started'))
    await a.next()
    b.send(announce(hash, peerId('B'), 'started'))
    await b.next()
    a.send(answer(hash, peerId('A'), peerId('B'), nastyId(1), 'unsolicited'))
    const toB = await b.nextJson(QUIET_MS * 2)
    const toA = await a.nextJson(QUIET_MS * 2)
    await Promise.all([a.close(), b.close()])
    return {
      differs: {
        bRelayed: toB !== null && toB.answer !== undefined,
        aFailure: toA !== null && typeof toA['failure reason'] === 'string'
      }
    }
  },

  // Deliberate difference: a scrape without info_hash lists every swarm in
  // bittorrent-tracker; we refuse it (unbounded work), as aquatic_ws does.
  async 'full scrape' (urls) {
    const [a] = await peers(urls, 1)
    a.send({ action: 'scrape' })
    const reply = await a.nextJson()
    await a.close()
    return { differs: { refused: typeof reply['failure reason'] === 'string', listed: reply.files !== undefined } }
  }
}

const expectedDifferences = {
  'answer to an unknown offer': {
    ours: { bRelayed: false, aFailure: true },
    theirs: { bRelayed: true, aFailure: false }
  },
  'full scrape': {
    ours: { refused: true, listed: false },
    theirs: { refused: false, listed: true }
  }
}

let failures = 0
for (const [name, run] of Object.entries(scenarios)) {
  let ours, theirs
  try {
    ours = await run(ourUrls)
    theirs = await run(btUrls)
  } catch (err) {
    failures++
    console.log(`not ok - ${name}: ${err.stack}`)
    continue
  }
  let ok
  if (ours.same) {
    ok = isDeepStrictEqual(ours.same, theirs.same)
  } else {
    const want = expectedDifferences[name]
    ok = isDeepStrictEqual(ours.differs, want.ours) && isDeepStrictEqual(theirs.differs, want.theirs)
  }
  if (ok) {
    console.log(`ok - ${name}`)
    if (process.env.TRACKER_DIFF_VERBOSE) console.log(`  ${JSON.stringify(ours)}`)
  } else {
    failures++
    console.log(`not ok - ${name}`)
    console.log(`  ours:   ${JSON.stringify(ours)}`)
    console.log(`  theirs: ${JSON.stringify(theirs)}`)
  }
}
console.log(failures ? `${failures} scenario(s) differ` : 'all scenarios agree')
process.exit(failures ? 1 : 0)
