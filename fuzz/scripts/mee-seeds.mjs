// Writes the committed seeds of the `revert_classify`, `mee_quote` and `mee_explorer` fuzz targets
// (fuzz/seeds/<target>/<sha1 prefix>) from crates/mee/tests/vectors/mee.json and from revert
// payloads in the shapes bundlers send (Alto's simulation messages, JSON-RPC `data`).
// Usage: node fuzz/scripts/mee-seeds.mjs DIR, where DIR holds a node_modules with viem (after
// `npm ci` there, crates/mee-node/js does). Deterministic: the same files on every run.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const viemDir = process.argv[2]
const { encodeErrorResult, parseAbi, pad, toHex, concatHex } = await import(
  pathToFileURL(join(viemDir, 'node_modules/viem/_esm/index.js')).href
)
const root = new URL('../..', import.meta.url).pathname
const vectors = JSON.parse(readFileSync(join(root, 'crates/mee/tests/vectors/mee.json'), 'utf8')).vectors

function put(target, bytes) {
  const dir = join(root, 'fuzz/seeds', target)
  mkdirSync(dir, { recursive: true })
  const name = createHash('sha1').update(bytes).digest('hex').slice(0, 16)
  writeFileSync(join(dir, name), bytes)
}
const json = (v) => Buffer.from(JSON.stringify(v))

// mee_quote: the node's quotes as recorded (signedQuote vectors)
for (const v of vectors.filter((v) => v.function === 'mee.signedQuote')) put('mee_quote', json(v.inputs.quote))

// mee_explorer: explorer userOps lists (as the explorer answer's `userOps`), error payloads, info
for (const v of vectors.filter((v) => v.function === 'mee.receiptStatus')) {
  put('mee_explorer', json({ userOps: v.inputs.explorerUserOps }))
}
for (const v of vectors.filter((v) => v.function === 'mee.parseErrorMessage')) {
  put('mee_explorer', json({ error: v.inputs.error }))
}
for (const v of vectors.filter((v) => v.function === 'mee.info.response')) put('mee_explorer', json(v.output))

// revert_classify: [cut byte, flags byte, message ‖ data]
const abi = parseAbi([
  'error PolicyViolation(bytes32 permissionId, address policy)',
  'error PolicyCheckReverted(bytes32 permissionId, bytes revertReason)',
  'error InvalidSessionKeySignature(bytes32 permissionId, address sessionValidator, address account, bytes32 userOpHash)',
  'error FailedOp(uint256 opIndex, string reason)',
  'error FailedOpWithRevert(uint256 opIndex, string reason, bytes inner)',
  'error ValueLimitExceeded(bytes32 id, uint256 value, uint256 limit)',
])
const pid = pad('0x01', { size: 32 })
const policy = '0x0000000000000000000000000000000000001234'
const reverts = [
  encodeErrorResult({ abi, errorName: 'PolicyViolation', args: [pid, policy] }),
  encodeErrorResult({ abi, errorName: 'PolicyCheckReverted', args: [pid, '0x8e4a23d6'] }),
  encodeErrorResult({ abi, errorName: 'InvalidSessionKeySignature', args: [pid, policy, policy, pid] }),
  encodeErrorResult({ abi, errorName: 'FailedOp', args: [0n, 'AA24 signature error'] }),
  encodeErrorResult({ abi, errorName: 'FailedOpWithRevert', args: [0n, 'AA23 reverted', '0xdeadbeef'] }),
  concatHex(['0x0124f8d7', pad('0x01', { size: 32 }), pad('0x02', { size: 32 })]), // observed InsufficientAttestations
]
const seed = (message, data) => {
  const m = Buffer.from(message)
  const d = data ? Buffer.from(data.slice(2), 'hex') : Buffer.alloc(0)
  const all = m.length + d.length
  // cut = ceil(m * 256 / all) so that floor(cut * all / 256) = m (when representable)
  let cut = all === 0 ? 0 : Math.ceil((m.length * 256) / all)
  if (cut > 255) cut = 255
  return Buffer.concat([Buffer.from([cut, data ? 1 : 0]), m, d])
}
put('revert_classify', seed('AA24 signature error', null))
put('revert_classify', seed('AA25 invalid account nonce', null))
put('revert_classify', seed('\u001b[31mAA21 didn\'t pay prefund\u0000', null))
for (const r of reverts) {
  put('revert_classify', seed('execution reverted', r))
  put('revert_classify', seed(`UserOperation reverted during simulation with reason: ${r}`, null))
  put('revert_classify', seed(`AA23 reverted ${r}`, null))
}
console.log('seeds written')
