// Starts Bluesky's reference servers (@atproto/dev-env: PLC, PDS, AppView,
// Ozone) on loopback for IdeaBoard's end-to-end tests, creates a brand and a
// customer account with app passwords, prints ONE JSON line on stdout and
// keeps running until stdin closes or SIGTERM/SIGINT arrives. On the way out
// it stops the servers and drops its PostgreSQL schemas and temporary files.
//
// Environment:
//   ATPROTO_DEVENV_DIR  folder whose node_modules holds @atproto/dev-env
//                       (default: build/atproto-devenv, made by `make`)
//   DB_POSTGRES_URL     default postgresql://postgres@127.0.0.1:5432/postgres
//   REDIS_HOST          default 127.0.0.1:6379 (dev-env insists that it is set;
//                       this version's AppView never connects to it)
//
// Everything except the JSON line goes to stderr.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const started = Date.now()
const here = path.dirname(fileURLToPath(import.meta.url))
const devenvDir = path.resolve(
  process.env.ATPROTO_DEVENV_DIR ||
    path.join(here, '..', '..', 'build', 'atproto-devenv'),
)
const dbUrl =
  process.env.DB_POSTGRES_URL || 'postgresql://postgres@127.0.0.1:5432/postgres'
process.env.REDIS_HOST ||= '127.0.0.1:6379'

// The servers would otherwise listen on every interface; this test rig only
// ever talks to itself, so every listen() without a host gets 127.0.0.1.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || args[0] === undefined) {
    const [port, maybeHost, ...rest] = args
    if (typeof maybeHost !== 'string') {
      return listen.call(this, port ?? 0, '127.0.0.1', maybeHost, ...rest)
    }
  } else if (typeof args[0] === 'object' && args[0] && !args[0].host && !args[0].path) {
    args[0] = { ...args[0], host: '127.0.0.1' }
  }
  return listen.apply(this, args)
}

// Library chatter must not mix with the JSON line on stdout.
console.log = console.info = (...a) => console.error(...a)

const require = createRequire(path.join(devenvDir, 'package.json'))
const { TestNetwork } = require('@atproto/dev-env')
const pg = require('pg')

// dev-env makes schemas appview_<name> and ozone_<name>. The pid in the name
// (spelt with letters a-j: schema names may hold only [A-Za-z_]) lets a later
// run drop what a killed run left behind, and never touch a live run's.
const pidToName = (pid) => String(pid).replace(/[0-9]/g, (d) => 'abcdefghij'[d])
const nameToPid = (name) => Number(name.replace(/[a-j]/g, (c) => c.charCodeAt(0) - 97))
const schema = `ibdev_${pidToName(process.pid)}`

async function sql(query, params = []) {
  const client = new pg.Client({ connectionString: dbUrl })
  await client.connect()
  try {
    return await client.query(query, params)
  } finally {
    await client.end()
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return err.code === 'EPERM'
  }
}

async function dropSchemas(onlyPid) {
  const { rows } = await sql(
    "SELECT nspname FROM pg_namespace WHERE nspname ~ '^(appview|ozone)_ibdev_[a-j]+$'",
  )
  for (const { nspname } of rows) {
    const pid = nameToPid(nspname.split('_').pop())
    if (onlyPid ? pid === onlyPid : !alive(pid)) {
      await sql(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`)
    }
  }
}

// The PDS keeps its data and blobs under os.tmpdir(); give it our own, named
// after our pid like the schemas, and remove those of runs that were killed.
const tmpRoot = os.tmpdir()
for (const name of readdirSync(tmpRoot)) {
  const match = /^ideaboard-atproto-([0-9]+)-/.exec(name)
  if (match && !alive(Number(match[1]))) {
    rmSync(path.join(tmpRoot, name), { recursive: true, force: true })
  }
}
const tmp = mkdtempSync(path.join(tmpRoot, `ideaboard-atproto-${process.pid}-`))
process.env.TMPDIR = tmp

let network
let stopping = false
async function stop(code) {
  if (stopping) return
  stopping = true
  try {
    if (network) await network.close()
  } catch (err) {
    console.error('closing the network:', err)
  }
  try {
    await dropSchemas(process.pid)
  } catch (err) {
    console.error('dropping schemas:', err)
  }
  rmSync(tmp, { recursive: true, force: true })
  process.exit(code)
}
process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))
process.stdin.on('end', () => stop(0))
process.stdin.on('error', () => stop(0))
process.stdin.resume()

async function account(handle) {
  const agent = network.pds.getClient()
  const password = `pw-${handle}-${Math.random().toString(36).slice(2)}`
  await agent.createAccount({ handle, email: `${handle}@example.com`, password })
  const app = await agent.com.atproto.server.createAppPassword({ name: 'ideaboard' })
  // The account password too (test accounts only): making or revoking more app
  // passwords needs a session opened with it.
  return { handle, did: agent.session.did, password, app_password: app.data.password }
}

try {
  await dropSchemas(null)
  network = await TestNetwork.create({
    dbPostgresUrl: dbUrl,
    dbPostgresSchema: schema,
    pds: { hostname: 'localhost', rateLimitsEnabled: true },
  })
  const brand = await account('hanbit.test')
  const customer = await account('minji.test')
  await network.processAll()
  process.stdout.write(
    JSON.stringify({
      pds: `http://127.0.0.1:${network.pds.port}`,
      appview: `http://127.0.0.1:${network.bsky.port}`,
      plc: `http://127.0.0.1:${network.plc.port}`,
      brand,
      customer,
      startup_seconds: (Date.now() - started) / 1000,
    }) + '\n',
  )
} catch (err) {
  console.error('starting the atproto dev network failed:', err)
  await stop(1)
}
