// The TypeScript side of the MEE benchmarks (issue 15): the real @biconomy/abstractjs 1.2.3
// (pinned in crates/mee-node/js/package.json and its lock; `cargo xtask bench` runs `npm ci`
// there) on the inputs of benches/benches/mee.rs, timing its own functions.
//
//   node benches/mee.mjs RUST_OUTPUTS.json   (BENCH_MIN_MS: how long each operation is timed)
//
// RUST_OUTPUTS.json is what the criterion bench computed (it writes it when
// SMART_SESSIONS_MEE_BENCH_OUT is set). Before timing anything, every SDK result is compared with
// it byte for byte; a mismatch exits 1. Prints {"name": nanoseconds per operation} as JSON.
//
// The SDK builds the quote request only inside `getQuote`, which sends it with `fetch`, and reads
// the chains through viem's http transport, which also uses `fetch`. `globalThis.fetch` is
// therefore replaced by a function that answers at once: `POST …/quote` captures the body and
// answers `{}`; `GET …/info` answers the vectors' info response; JSON-RPC requests are answered
// from a table (eth_chainId, eth_getCode: deployed, EntryPoint.getNonce(sender, key): key << 64,
// eip712Domain(): name "Nexus", accountId()). `Date.now` is replaced by a clock that starts at
// the vectors' T0 and advances 1 ms per read (the Rust side's StepClock). The SDK's nonce-key
// derivation waits `setTimeout(…, 1)` per key by design; the row `…/noWaits` times getQuote
// again with `setTimeout` answering on the next turn of the event loop (setImmediate) instead.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'

const require = createRequire(new URL('../crates/mee-node/js/package.json', import.meta.url))
const sdk = require('@biconomy/abstractjs')
const viem = require('viem')
const { privateKeyToAccount } = require('viem/accounts')
const { base, optimism } = require('viem/chains')

const rustPath = process.argv[2]
if (!rustPath) {
  console.error('usage: node benches/mee.mjs RUST_OUTPUTS.json')
  process.exit(2)
}
const rust = JSON.parse(readFileSync(rustPath, 'utf8'))
const vectors = JSON.parse(
  readFileSync(new URL('../crates/mee/tests/vectors/mee.json', import.meta.url), 'utf8'),
).vectors

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 1000)
const SIGNER_KEY = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'
const ACCOUNT = '0x09Fe059AfE5aAc0a677a1587Fb234dE9683AD2D7'
const COUNTER = '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0'
const USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913'
const T0_MS = 1_767_225_600_000
const MEE_URL = 'http://mee.bench.invalid/v1'
const RPC = { 8453: 'http://rpc-8453.bench.invalid/', 10: 'http://rpc-10.bench.invalid/' }
const ENTRY_POINT = '0x0000000071727de22e5e9d8baf0edac6f37da032'

// --- the stand-ins for the network and the clock (see the header) ---
let now = T0_MS
Date.now = () => now++
let captured = null
const unknownRpc = new Set()
const info = vectors.find((v) => v.function === 'mee.info.response').output
const word = (x) => viem.pad(viem.toHex(x), { size: 32 })
function rpc(chainId, { method, params }) {
  switch (method) {
    case 'eth_chainId':
      return viem.toHex(chainId)
    case 'eth_getCode':
      return '0x6080604052'
    case 'eth_call': {
      const { to, data } = params[0]
      if (to?.toLowerCase() === ENTRY_POINT && data.startsWith('0x35567e1a')) {
        // getNonce(address sender, uint192 key) = key << 64 | sequence (sequence 0)
        return word(BigInt('0x' + data.slice(2 + 8 + 64, 2 + 8 + 128)) << 64n)
      }
      if (data.includes('84b0196e')) {
        return viem.encodeAbiParameters(
          viem.parseAbiParameters('bytes1, string, string, uint256, address, bytes32, uint256[]'),
          ['0x0f', 'Nexus', '1.2.0', BigInt(chainId), ACCOUNT, viem.zeroHash, []],
        )
      }
      if (data.startsWith('0x9cfd7cff')) {
        return viem.encodeAbiParameters([{ type: 'string' }], ['biconomy.nexus.1.2.0'])
      }
      unknownRpc.add(`${method} ${to} ${data.slice(0, 10)}`)
      return '0x'
    }
    default:
      unknownRpc.add(method)
      return null
  }
}
const jsonResponse = (v) =>
  new Response(JSON.stringify(v), { status: 200, headers: { 'content-type': 'application/json' } })
const quoteAnswer = { ok: true, status: 200, json: async () => ({}) }
globalThis.fetch = async (url, init = {}) => {
  const u = String(url)
  if (u.startsWith(MEE_URL)) {
    if (u.endsWith('/info')) return jsonResponse(info)
    if (u.endsWith('/quote')) {
      captured = init.body
      return quoteAnswer
    }
    throw new Error(`unexpected MEE call ${u}`)
  }
  const chainId = Number(Object.keys(RPC).find((c) => u.startsWith(RPC[c])))
  if (!chainId) throw new Error(`unexpected fetch ${u}`)
  const body = JSON.parse(init.body)
  const answer = (r) => ({ jsonrpc: '2.0', id: r.id, result: rpc(chainId, r) })
  return jsonResponse(Array.isArray(body) ? body.map(answer) : answer(body))
}

// --- timing ---
async function time(fn, minMs = MIN_MS) {
  for (let i = 0; i < 50; i++) await fn() // warm up the JIT
  let n = 0
  const start = process.hrtime.bigint()
  let t = start
  const deadline = start + BigInt(minMs) * 1_000_000n
  while (t < deadline) {
    for (let i = 0; i < 10; i++) await fn()
    n += 10
    t = process.hrtime.bigint()
  }
  return Number(t - start) / n
}

// --- the SDK objects ---
const signer = privateKeyToAccount(SIGNER_KEY)
const chains = { 8453: base, 10: optimism }
async function multichainAccount(version) {
  return sdk.toMultichainNexusAccount({
    signer,
    chainConfigurations: [10, 8453].map((id) => ({
      chain: chains[id],
      transport: viem.http(RPC[id]),
      version: sdk.getMEEVersion(version),
      accountAddress: ACCOUNT,
      versionCheck: false,
    })),
  })
}
const account200 = await multichainAccount(sdk.MEEVersion.V2_0_0)
const account221 = await multichainAccount(sdk.MEEVersion.V2_2_1)
const mee = await sdk.createMeeClient({ account: account200, url: MEE_URL, apiKey: 'mee_local_test_key' })
const increment = '0xd09de08a'
async function quoteRequest() {
  const instructions = await Promise.all(
    [8453, 10].map((chainId) =>
      account200.build({ type: 'default', data: { chainId, calls: [{ to: COUNTER, data: increment }] } }),
    ),
  )
  await mee.getQuote({
    instructions,
    feeToken: { address: USDC, chainId: 8453 },
    lowerBoundTimestamp: Math.floor(T0_MS / 1000),
  })
  return captured
}

const entries = (n) =>
  Array.from({ length: n }, (_, i) => ({
    userOpHash: viem.keccak256(word(BigInt(i))),
    meeUserOpHash: viem.keccak256(word(BigInt(1000 + i))),
    shortEncoding: i % 3 === 0,
  }))
// the SDK's supertransaction hash (sponsorSupertransaction): leaf selection, then the tree's root
const stxHash = (ops) => sdk.createMerkleTree(ops.map((o) => (o.shortEncoding ? o.userOpHash : o.meeUserOpHash))).root
const e1 = entries(1)
const e8 = entries(8)
const leaves8 = e8.map((o) => (o.shortEncoding ? o.userOpHash : o.meeUserOpHash))
const recordedQuote = (version) =>
  vectors.find(
    (v) => v.function === 'mee.signedQuote' && v.inputs.meeVersion === version && v.inputs.call.startsWith('prepareForPermissions'),
  ).inputs.quote
const q200 = recordedQuote('2.0.0')
const q221 = recordedQuote('2.2.1')
const signPersonal = async () => (await sdk.signQuote(mee, { account: account200, quote: q200 })).signature
const signTyped = async () => (await sdk.signQuote(mee, { account: account221, quote: q221 })).signature

// --- the same bytes on both sides, before any timing ---
// Byte for byte: the body (addresses EIP-55 on both sides), hashes and signatures.
const mismatches = []
const same = (name, ours, theirs, normalise = (s) => String(s)) => {
  if (normalise(ours) !== normalise(theirs)) mismatches.push({ name, sdk: ours, rust: theirs })
}
now = T0_MS
same('quoteRequestBody', await quoteRequest(), rust.quoteRequestBody)
same('stxHash1', stxHash(e1), rust.stxHash1)
same('stxHash8', stxHash(e8), rust.stxHash8)
same('merkleRoot8', sdk.createMerkleTree(leaves8).root, rust.merkleRoot8)
same('signQuotePersonal', await signPersonal(), rust.signQuotePersonal)
same('signQuoteEip712', await signTyped(), rust.signQuoteEip712)
if (unknownRpc.size > 0) console.error('mee.mjs: JSON-RPC calls answered with nothing:', [...unknownRpc])
if (mismatches.length > 0) {
  console.error('mee.mjs: the SDK and the Rust bench disagree on the bench inputs:')
  for (const m of mismatches) console.error(JSON.stringify(m, null, 1))
  process.exit(1)
}
console.error('mee.mjs: the SDK and the Rust bench agree byte for byte (body, hashes, signatures)')

// --- timing ---
const out = {}
out['mee/quoteRequest/2chains'] = await time(quoteRequest)
const realSetTimeout = globalThis.setTimeout
globalThis.setTimeout = (fn, _ms, ...args) => setImmediate(fn, ...args)
out['mee/quoteRequest/2chains/noWaits'] = await time(quoteRequest)
globalThis.setTimeout = realSetTimeout
out['mee/stxHash/1'] = await time(() => stxHash(e1))
out['mee/stxHash/8'] = await time(() => stxHash(e8))
out['mee/merkleTree/8'] = await time(() => sdk.createMerkleTree(leaves8))
out['mee/signQuote/personal'] = await time(signPersonal)
out['mee/signQuote/eip712'] = await time(signTyped)
process.stdout.write(JSON.stringify(out) + '\n')
