// Runs @atproto/dev-env's TestNetwork (PLC, PDS, appview, ozone) on 127.0.0.1 and creates the test accounts.
// Started by ../atproto-devnet; reads DB_POSTGRES_URL, REDIS_HOST, DEVNET_PDS_PORT, DEVNET_READY_FILE.
import { randomBytes } from 'node:crypto'
import dns from 'node:dns'
import { renameSync, writeFileSync } from 'node:fs'
import net from 'node:net'

// dev-env's servers call listen(port) with no host, which binds every interface: keep them on loopback.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const [first] = args
  if (first === undefined || first === null || typeof first === 'function') {
    args.splice(0, first == null ? 1 : 0, { port: 0, host: '127.0.0.1' })
  } else if (typeof first === 'object' && first.host === undefined && first.path === undefined
    && first.fd === undefined && first.handle === undefined && !(first instanceof net.Server)) {
    args[0] = { ...first, host: '127.0.0.1' }
  } else if (typeof first === 'number' || /^\d+$/.test(String(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1')
  }
  return listen.apply(this, args)
}
// Its URLs say "localhost"; resolve that to the IPv4 address the servers listen on.
dns.setDefaultResultOrder('ipv4first')

const { TestNetwork } = await import('@atproto/dev-env')

const network = await TestNetwork.create({
  dbPostgresSchema: 'devnet',
  pds: { port: Number(process.env.DEVNET_PDS_PORT), hostname: 'localhost' },
})

async function xrpc(nsid, body) {
  const res = await fetch(`${network.pds.url}/xrpc/${nsid}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const data = await res.json()
  if (!res.ok) throw new Error(`${nsid}: ${res.status} ${JSON.stringify(data)}`)
  return data
}

// The brand answering, and a customer who mentions it and replies to it.
const accounts = {}
for (const [role, name] of [['brand', 'acmedesk'], ['customer', 'carol']]) {
  const password = randomBytes(12).toString('hex')
  const handle = `${name}.test`
  const { did } = await xrpc('com.atproto.server.createAccount', {
    handle, password, email: `${name}@example.com`,
  })
  accounts[role] = { handle, password, did }
}
await network.processAll()

const ready = process.env.DEVNET_READY_FILE
const state = { url: network.pds.url, appview: network.bsky.url, plc: network.plc.url, accounts }
writeFileSync(`${ready}.tmp`, JSON.stringify(state, null, 2))
renameSync(`${ready}.tmp`, ready) // atomic: the script never reads half a file
console.log(`dev network ready: PDS ${network.pds.url}`)

let closing = false
const close = async () => {
  if (closing) return
  closing = true
  setTimeout(() => process.exit(0), 10_000).unref() // never hang on shutdown
  try {
    await network.close()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', close)
process.on('SIGINT', close)
