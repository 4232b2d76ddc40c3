// Issue 12 item 6, for scale: the same session-key load as `cargo xtask load`, sent through the
// TypeScript SDKs' DEFAULTS on a devnet that is already running (`cargo xtask load` starts it).
//
// - The account and its N sessions are made by OUR CLI (`smart-sessions account` then one
//   `smart-sessions grant`, as crates/cli/tests/processes.rs does), so this side uses the same
//   on-chain sessions as the Rust side: each session may call `transfer(to, amount < 2)` on the
//   devnet token (UniActionPolicy, usage-limited).
// - Each key then sends OPS session USE operations one after another, all keys at once, each
//   through its own permissionless 0.2.40 `createSmartAccountClient` over
//   `toNexusSmartAccount` (validatorAddress = the SmartSession validator, so the nonce key is
//   key24 ‖ 0x00 ‖ SmartSession). LOADTS_NONCE picks key24:
//   - `default`: the SDKs' default. viem 2.26.2's `toSmartAccount` calls the Nexus account's
//     `getNonce` with `Date.now()` (plus 1 for each further call on the same account object in
//     the same millisecond, viem's `createNonceManager`), which permissionless takes modulo
//     2^24 - 1: a fresh nonce key per operation, so keys collide only when two keys' operations
//     are prepared in the same millisecond.
//   - `zero`: `nonce: await account.getNonce({ key: 0n })` on every send, so key24 = 0 for every
//     key: THE SAME nonce sequence for every key, read from the EntryPoint before each send;
//     collisions are expected and counted.
//   The
//   signature is module-sdk 0.1.32 `encodeSmartSessionSignature` in USE mode over the session
//   key's personal_sign of the user-op hash. Fees, gas estimate and receipt polling: the SDKs'
//   defaults.
// - Outcomes: `landed` = a receipt with success; `refused` = the bundler refused the send (or the
//   estimate); `reverted` = included with a failed call; `unknown` = sent, no receipt within 60 s.
//   Then checked ON CHAIN: each key's recipient (a fresh address per key) must hold exactly the
//   units of that key's landed operations (`onChain.matches`).
//
// Env: LOADTS_RPC_URL, LOADTS_BUNDLER_URL, LOADTS_DEPLOYMENTS (the devnet's addresses JSON),
// LOADTS_CLI (the smart-sessions binary), LOADTS_KEYS, LOADTS_OPS, LOADTS_DIR (a scratch dir),
// LOADTS_NONCE (`default` or `zero`, above).
// Prints one JSON line on stdout: {keys, ops, landed, refused, reverted, unknown, seconds,
// opsPerSecond, onChain, errorKinds, sdk}.

import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  http,
  parseAbi,
  parseEther,
  toHex,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { getUserOperationHash } from 'viem/account-abstraction'
import { createSmartAccountClient } from 'permissionless'
import { toNexusSmartAccount } from 'permissionless/accounts'
import { SmartSessionMode, encodeSmartSessionSignature } from '@rhinestone/module-sdk'

const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const rpcUrl = env('LOADTS_RPC_URL')
const bundlerUrl = env('LOADTS_BUNDLER_URL')
const a = JSON.parse(readFileSync(env('LOADTS_DEPLOYMENTS'), 'utf8'))
const cli = env('LOADTS_CLI')
const keys = Number(env('LOADTS_KEYS'))
const ops = Number(env('LOADTS_OPS'))
const dir = env('LOADTS_DIR')
const nonceMode = env('LOADTS_NONCE')
if (nonceMode !== 'default' && nonceMode !== 'zero') {
  throw new Error(`LOADTS_NONCE must be \`default\` or \`zero\`, not \`${nonceMode}\``)
}
const RECEIPT_TIMEOUT_MS = 60_000

const erc20 = parseAbi([
  'function transfer(address to, uint256 amount) returns (bool)',
  'function mint(address to, uint256 amount)',
  'function balanceOf(address who) view returns (uint256)',
])

function runCli(extraEnv, args) {
  const out = execFileSync(
    cli,
    ['--json', '--generation', 'legacy', ...args, '--deployments', 'devnet.json'],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        SMART_SESSIONS_RPC_URL: rpcUrl,
        SMART_SESSIONS_BUNDLER_URL: bundlerUrl,
        ...extraEnv,
      },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  return JSON.parse(out.trim()).output
}

const probe = createPublicClient({ transport: http(rpcUrl) })
const chainId = await probe.getChainId()
const chain = defineChain({
  id: chainId,
  name: 'devnet',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl] } },
})
const pub = createPublicClient({ chain, transport: http(rpcUrl) })

// the account and its sessions, through our CLI (the same sessions as the Rust side)
writeFileSync(join(dir, 'devnet.json'), JSON.stringify(a))
const ownerKey = generatePrivateKey()
const sessionKeys = Array.from({ length: keys }, () => generatePrivateKey())
const sessionAccounts = sessionKeys.map((k) => privateKeyToAccount(k))
const recipients = Array.from({ length: keys }, () => privateKeyToAccount(generatePrivateKey()).address)
const ownerEnv = { SMART_SESSIONS_OWNER_KEY: ownerKey }
const account = runCli(ownerEnv, ['account']).address
await createTestClient({ chain, mode: 'anvil', transport: http(rpcUrl) }).setBalance({
  address: account,
  value: parseEther('1000'),
})
writeFileSync(
  join(dir, 'request.json'),
  JSON.stringify({
    sessionRequestedInfo: sessionAccounts.map((s) => ({
      sessionPublicKey: s.address,
      actionPoliciesInfo: [
        {
          contractAddress: a.token,
          functionSelector: '0xa9059cbb',
          rules: [
            {
              condition: 'LESS_THAN',
              offsetIndex: 1,
              isLimited: true,
              ref: 2,
              usage: { limit: ops * 10, used: 0 },
            },
          ],
        },
      ],
    })),
  }),
)
const granted = runCli(ownerEnv, ['grant', '--request', 'request.json', '--out', 'sessions.json'])
const permissionIds = granted.permissionIds
if (permissionIds?.length !== keys) throw new Error(`grant returned ${JSON.stringify(granted)}`)
// anvil's public development key #0 mints the account's tokens (the test token's mint is open)
const minter = createWalletClient({
  chain,
  transport: http(rpcUrl),
  account: privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'),
})
await pub.waitForTransactionReceipt({
  hash: await minter.writeContract({
    address: a.token,
    abi: erc20,
    functionName: 'mint',
    args: [account, BigInt(keys * ops * 10)],
  }),
})

// one SDK client per key, the SDKs' defaults everywhere but the session signature
const DUMMY_ECDSA =
  '0x81d4b4981670cb18f99f0b4a66446df1bf5b204d24cfcb659bf38ba27a4359b5711649ec2423c5e1247245eba2964679b6a1dbb85c992ae40b9b00c6935b02ff1b'
async function clientFor(i) {
  const base = await toNexusSmartAccount({
    client: pub,
    owners: [sessionAccounts[i]],
    version: '1.0.0',
    address: account,
    validatorAddress: a.smartSession,
    factoryAddress: a.k1ValidatorFactory,
    entryPoint: { address: a.entryPoint, version: '0.7' },
  })
  const permissionId = permissionIds[i]
  const smartAccount = {
    ...base,
    async getStubSignature() {
      return encodeSmartSessionSignature({
        mode: SmartSessionMode.USE,
        permissionId,
        signature: DUMMY_ECDSA,
      })
    },
    async signUserOperation(op) {
      const hash = getUserOperationHash({
        userOperation: { ...op, sender: account, signature: '0x' },
        entryPointAddress: a.entryPoint,
        entryPointVersion: '0.7',
        chainId,
      })
      const signature = await sessionAccounts[i].signMessage({ message: { raw: hash } })
      return encodeSmartSessionSignature({ mode: SmartSessionMode.USE, permissionId, signature })
    },
  }
  const client = createSmartAccountClient({
    account: smartAccount,
    chain,
    client: pub,
    bundlerTransport: http(bundlerUrl),
  })
  return { client, smartAccount }
}
const clients = await Promise.all(sessionAccounts.map((_, i) => clientFor(i)))

const counts = { landed: 0, refused: 0, reverted: 0, unknown: 0 }
const landedPerKey = new Array(keys).fill(0)
const errorKinds = {}
const kind = (e) => {
  const text = String(e?.details ?? e?.shortMessage ?? e?.message ?? e)
  const k = text
    .replace(/0x[0-9a-fA-F]+/g, '0x…')
    .replace(/\b[0-9]+\b/g, 'N')
    .slice(0, 200)
  errorKinds[k] = (errorKinds[k] ?? 0) + 1
}
const started = performance.now()
await Promise.all(
  clients.map(async ({ client, smartAccount }, i) => {
    const data = encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [recipients[i], 1n] })
    for (let n = 0; n < ops; n++) {
      let hash
      try {
        const calls = [{ to: a.token, value: 0n, data }]
        hash =
          nonceMode === 'zero'
            ? await client.sendUserOperation({ calls, nonce: await smartAccount.getNonce({ key: 0n }) })
            : await client.sendUserOperation({ calls })
      } catch (e) {
        counts.refused++
        kind(e)
        continue
      }
      try {
        const r = await client.waitForUserOperationReceipt({ hash, timeout: RECEIPT_TIMEOUT_MS })
        if (r.success) {
          counts.landed++
          landedPerKey[i]++
        } else {
          counts.reverted++
        }
      } catch (e) {
        counts.unknown++
        kind(e)
      }
    }
  }),
)
const seconds = (performance.now() - started) / 1000

// on chain: each recipient holds exactly its key's landed units
const balances = await Promise.all(
  recipients.map((who) =>
    pub.readContract({ address: a.token, abi: erc20, functionName: 'balanceOf', args: [who] }),
  ),
)
const mismatchedKeys = balances
  .map((b, i) => (b === BigInt(landedPerKey[i]) ? null : { key: i, balance: b.toString(), landed: landedPerKey[i] }))
  .filter(Boolean)
const onChainTotal = balances.reduce((s, b) => s + b, 0n)
console.log(
  JSON.stringify({
    keys,
    ops: keys * ops,
    landed: counts.landed,
    refused: counts.refused,
    reverted: counts.reverted,
    unknown: counts.unknown,
    seconds: Number(seconds.toFixed(2)),
    opsPerSecond: Number((counts.landed / seconds).toFixed(2)),
    onChain: {
      recipientsTotal: onChainTotal.toString(),
      matches: mismatchedKeys.length === 0,
      mismatchedKeys,
    },
    errorKinds,
    sdk: 'permissionless 0.2.40 + module-sdk 0.1.32 + viem 2.26.2',
    nonce: nonceMode,
    nonceKey:
      nonceMode === 'zero'
        ? toHex(0n, { size: 3 }) + '00' + a.smartSession.slice(2)
        : 'Date.now() mod (2^24 - 1) ‖ 0x00 ‖ SmartSession, per operation',
  }),
)
