// Times the TypeScript reference on the inputs of benches/fixtures.json (the same inputs the Rust
// criterion benches use) and prints {"name": nanoseconds per operation} as JSON.
// Run through `cargo xtask bench`, which puts these figures next to criterion's.

import * as sdk from 'module-sdk-current'
import { LibZip } from 'solady'
import { encodeAbiParameters, encodePacked, keccak256 } from 'viem'
import { readFileSync } from 'node:fs'

const fx = JSON.parse(readFileSync(new URL('../../benches/fixtures.json', import.meta.url), 'utf8'))
const big = (x) => BigInt(x)

// BENCH_MIN_MS (default 1000): how long each operation is timed (`cargo xtask bench --quick`: 200).
const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 1000)

function time(fn, minMs = MIN_MS) {
  for (let i = 0; i < 200; i++) fn() // warm up the JIT
  let n = 0
  const start = process.hrtime.bigint()
  let now = start
  const deadline = start + BigInt(minMs) * 1_000_000n
  while (now < deadline) {
    for (let i = 0; i < 50; i++) fn()
    n += 50
    now = process.hrtime.bigint()
  }
  return Number(now - start) / n
}

const ruleIn = (r) => ({
  condition: r.condition,
  offset: big(r.offset),
  isLimited: r.isLimited,
  ref: r.ref,
  usage: { limit: big(r.usage.limit), used: big(r.usage.used) },
})
const actionConfig = (c) => ({
  valueLimitPerUse: big(c.valueLimitPerUse),
  paramRules: { length: big(c.length), rules: c.rules.map(ruleIn) },
})

export async function bench(answer) {
  const uni4 = actionConfig(fx.uni4)
  const uni16 = actionConfig(fx.uni16)
  const uniInit = sdk.getUniversalActionPolicy(uni16).initData
  const s = structuredClone(fx.session)
  s.actions[0].actionPolicies[0].initData = uniInit
  const session = {
    ...s,
    userOpPolicies: s.userOpPolicies.map((p) => ({ ...p, address: p.policy })),
    actions: s.actions.map((a) => ({ ...a, actionPolicies: a.actionPolicies.map((p) => ({ ...p, address: p.policy })) })),
    chainId: 1n,
  }
  const account = fx.account
  const ss = '0x00000000008bDABA73cD9815d79069c247Eb4bDA'
  const digestReq = { session: s, account, mode: '0x01', nonce: fx.nonce, smartSession: ss }
  const digest = answer('getSessionDigest', 'current', digestReq)
  const enableSessionData = {
    enableSession: {
      chainDigestIndex: 0,
      hashesAndChainIds: [{ chainId: 1n, sessionDigest: digest }],
      sessionToEnable: session,
      permissionEnableSig: fx.permissionEnableSig,
    },
    validator: '0x0000000000000000000000000000000000000000',
    accountType: 'nexus',
  }
  const enablePayload = encodeAbiParameters(
    [
      { type: 'tuple', components: [
        { name: 'chainDigestIndex', type: 'uint8' },
        { name: 'hashesAndChainIds', type: 'tuple[]', components: [{ name: 'chainId', type: 'uint64' }, { name: 'sessionDigest', type: 'bytes32' }] },
        { name: 'sessionToEnable', type: 'tuple', components: [
          { name: 'sessionValidator', type: 'address' },
          { name: 'sessionValidatorInitData', type: 'bytes' },
          { name: 'salt', type: 'bytes32' },
          { name: 'userOpPolicies', type: 'tuple[]', components: [{ name: 'policy', type: 'address' }, { name: 'initData', type: 'bytes' }] },
          { name: 'erc7739Policies', type: 'tuple', components: [
            { name: 'allowedERC7739Content', type: 'tuple[]', components: [{ name: 'appDomainSeparator', type: 'bytes32' }, { name: 'contentName', type: 'string[]' }] },
            { name: 'erc1271Policies', type: 'tuple[]', components: [{ name: 'policy', type: 'address' }, { name: 'initData', type: 'bytes' }] },
          ] },
          { name: 'actions', type: 'tuple[]', components: [
            { name: 'actionTargetSelector', type: 'bytes4' },
            { name: 'actionTarget', type: 'address' },
            { name: 'actionPolicies', type: 'tuple[]', components: [{ name: 'policy', type: 'address' }, { name: 'initData', type: 'bytes' }] },
          ] },
          { name: 'permitERC4337Paymaster', type: 'bool' },
        ] },
        { name: 'permissionEnableSig', type: 'bytes' },
      ] },
      { type: 'bytes' },
    ],
    [{ chainDigestIndex: 0, hashesAndChainIds: [{ chainId: 1n, sessionDigest: '0x' + '42'.repeat(32) }], sessionToEnable: session, permissionEnableSig: fx.permissionEnableSig }, fx.sessionKeySignature],
  )
  const packed = LibZip.flzCompress(enablePayload)
  const chainSessions = (n) => fx.chainIds.slice(0, n).map((c) => ({
    chainId: big(c),
    session: {
      account, smartSession: ss, nonce: big(fx.nonce),
      sessionValidator: session.sessionValidator,
      sessionValidatorInitData: session.sessionValidatorInitData,
      salt: session.salt,
      permissions: {
        permitGenericPolicy: false, permitAdminAccess: false, ignoreSecurityAttestations: true,
        permitERC4337Paymaster: session.permitERC4337Paymaster,
        userOpPolicies: session.userOpPolicies, erc7739Policies: session.erc7739Policies, actions: session.actions,
      },
    },
  }))
  const pairs = (n) => fx.chainIds.slice(0, n).map((c) => ({ chainId: c, sessionDigest: '0x' + n.toString(16).padStart(2, '0').repeat(32) }))
  const cs1 = chainSessions(1)
  const cs8 = chainSessions(8)
  const p1 = pairs(1)
  const p8 = pairs(8)
  const pid = fx.permissionId
  const results = {
    'ids/permissionId': time(() => sdk.getPermissionId({ session: pid })),
    'ids/actionId': time(() => keccak256(encodePacked(['address', 'bytes4'], [fx.actionId.target, fx.actionId.selector]))),
    'encode/uniAction/4': time(() => sdk.getUniversalActionPolicy(uni4)),
    'encode/uniAction/16': time(() => sdk.getUniversalActionPolicy(uni16)),
    'encode/useSignature/current': time(() => sdk.encodeSmartSessionSignature({ mode: '0x00', permissionId: fx.useSignature.permissionId, signature: fx.useSignature.signature })),
    'encode/enableSignature/current': time(() => sdk.encodeSmartSessionSignature({ mode: '0x01', permissionId: fx.useSignature.permissionId, signature: fx.sessionKeySignature, enableSessionData })),
    'digest/session': time(() => answer('getSessionDigest', 'current', digestReq)),
    'digest/multichain/1': time(() => answer('multichainDigest', 'current', { hashesAndChainIds: p1 })),
    'digest/multichain/8': time(() => answer('multichainDigest', 'current', { hashesAndChainIds: p8 })),
    'digest/owner/1': time(() => sdk.hashChainSessions(cs1)),
    'digest/owner/8': time(() => sdk.hashChainSessions(cs8), 2 * MIN_MS),
    'flz/compress/enablePayload': time(() => LibZip.flzCompress(enablePayload)),
    'flz/decompress/enablePayload': time(() => LibZip.flzDecompress(packed)),
  }
  results['flz/bytes'] = (enablePayload.length - 2) / 2
  process.stdout.write(JSON.stringify(results) + '\n')
}
