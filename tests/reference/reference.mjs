// The TypeScript reference behind the differential tests and the benchmarks.
//
// Speaks the `smart-sessions eval` protocol: one JSON request per line on stdin,
//   {"function": NAME, "generation": "current" | "v1" | "legacy", "inputs": {...}}
// one answer per line on stdout, {"output": ...} or {"error": "..."}.
// The pinned packages (package-lock.json): module-sdk 0.4.0 (current), 0.2.3 (v1) and 0.1.32
// (legacy), permissionless 0.2.40, viem 2.26.2 and solady's JS LibZip (which module-sdk uses).
//
// Where each answer comes from (PUBLISHED = a published function computes the whole answer;
// OWN MODEL = our own JavaScript, built from viem's encoders, because no published offline function
// exists; such answers are only as good as our reading of the contracts):
//   getPermissionId, getUniversalActionPolicy, get*Policy, getSmartSessionsValidator.initData,
//   getEnableSessionsAction.callData, hashChainSessions, encodeSmartSessionSignature,
//   decodeSmartSessionSignature, getActionId                         PUBLISHED (module-sdk)
//   LibZip.flzCompress                                              PUBLISHED (solady)
//   erc7579.executeSingle, erc7579.executeBatch with >= 2 calls     PUBLISHED (permissionless
//                                                                   encode7579Calls)
//   erc7579.executeBatch with 0 or 1 calls                          OWN MODEL (permissionless
//     encodes one call of a batch as a single call and refuses none; the contract decodes mode
//     0x01 as abi.encode(Execution[]))
//   nexus.nonceKey: nonce from the key                              PUBLISHED (permissionless
//                                                                   encodeNonce)
//   nexus.nonceKey: the key (batchKey ‖ mode ‖ validator)           OWN MODEL (module-sdk's nexus
//     encodeValidatorNonce is an older layout: validator ‖ 4 zero bytes)
//   configIds                                                       OWN MODEL (no SDK function)
//   getSessionDigest                                                OWN MODEL: viem hashStruct over
//     our copy of the SignedSession / SessionEIP712 types (module-sdk's getSessionDigest reads the
//     contract); cross-checked on every request against module-sdk hashChainSessions
//   multichainDigest (from digests)                                 OWN MODEL (module-sdk hashes
//     whole sessions only); cross-checked against module-sdk hashChainSessions on every
//     getSessionDigest and hashChainSessions request
//
// `node reference.mjs --bench` instead times the operations of BENCHMARKS.md and prints JSON.

import * as current from 'module-sdk-current'
import * as v1 from 'module-sdk-v1'
import * as legacy from 'module-sdk-legacy'
import { LibZip } from 'solady'
import {
  concat,
  encodeAbiParameters,
  encodeFunctionData,
  encodePacked,
  hashStruct,
  keccak256,
  toHex,
} from 'viem'
import { encode7579Calls, encodeNonce } from 'permissionless/utils'
import { createInterface } from 'node:readline'

const SDK = { current, v1, legacy }

const POLICY = [
  { name: 'policy', type: 'address' },
  { name: 'initData', type: 'bytes' },
]
const ACTION = [
  { name: 'actionTargetSelector', type: 'bytes4' },
  { name: 'actionTarget', type: 'address' },
  { name: 'actionPolicies', type: 'PolicyData[]' },
]
const CURRENT_TYPES = {
  PolicyData: POLICY,
  ActionData: ACTION,
  ERC7739Context: [
    { name: 'appDomainSeparator', type: 'bytes32' },
    { name: 'contentName', type: 'string[]' },
  ],
  ERC7739Data: [
    { name: 'allowedERC7739Content', type: 'ERC7739Context[]' },
    { name: 'erc1271Policies', type: 'PolicyData[]' },
  ],
  SignedPermissions: [
    { name: 'permitGenericPolicy', type: 'bool' },
    { name: 'permitAdminAccess', type: 'bool' },
    { name: 'ignoreSecurityAttestations', type: 'bool' },
    { name: 'permitERC4337Paymaster', type: 'bool' },
    { name: 'userOpPolicies', type: 'PolicyData[]' },
    { name: 'erc7739Policies', type: 'ERC7739Data' },
    { name: 'actions', type: 'ActionData[]' },
  ],
  SignedSession: [
    { name: 'account', type: 'address' },
    { name: 'permissions', type: 'SignedPermissions' },
    { name: 'sessionValidator', type: 'address' },
    { name: 'sessionValidatorInitData', type: 'bytes' },
    { name: 'salt', type: 'bytes32' },
    { name: 'smartSession', type: 'address' },
    { name: 'nonce', type: 'uint256' },
  ],
}
const LEGACY_TYPES = {
  PolicyData: POLICY,
  ActionData: ACTION,
  ERC7739Data: [
    { name: 'allowedERC7739Content', type: 'string[]' },
    { name: 'erc1271Policies', type: 'PolicyData[]' },
  ],
  SessionEIP712: [
    { name: 'account', type: 'address' },
    { name: 'smartSession', type: 'address' },
    { name: 'mode', type: 'uint8' },
    { name: 'sessionValidator', type: 'address' },
    { name: 'salt', type: 'bytes32' },
    { name: 'sessionValidatorInitData', type: 'bytes' },
    { name: 'userOpPolicies', type: 'PolicyData[]' },
    { name: 'erc7739Policies', type: 'ERC7739Data' },
    { name: 'actions', type: 'ActionData[]' },
    { name: 'nonce', type: 'uint256' },
  ],
}
const TYPEHASH = {
  legacy: {
    chain: keccak256(toHex('ChainSessionEIP712(uint64 chainId,SessionEIP712 session)ActionData(bytes4 actionTargetSelector,address actionTarget,PolicyData[] actionPolicies)ERC7739Data(string[] allowedERC7739Content,PolicyData[] erc1271Policies)PolicyData(address policy,bytes initData)SessionEIP712(address account,address smartSession,uint8 mode,address sessionValidator,bytes32 salt,bytes sessionValidatorInitData,PolicyData[] userOpPolicies,ERC7739Data erc7739Policies,ActionData[] actions,uint256 nonce)')),
  },
}

const big = (x) => BigInt(x)
const policyIn = (p) => ({ policy: p.policy, address: p.policy, initData: p.initData })
const actionIn = (a) => ({
  actionTarget: a.actionTarget,
  actionTargetSelector: a.actionTargetSelector,
  actionPolicies: (a.actionPolicies ?? []).map(policyIn),
})
function sessionIn(s, generation) {
  const out = {
    sessionValidator: s.sessionValidator,
    sessionValidatorInitData: s.sessionValidatorInitData,
    salt: s.salt,
    userOpPolicies: (s.userOpPolicies ?? []).map(policyIn),
    erc7739Policies: {
      allowedERC7739Content: s.erc7739Policies?.allowedERC7739Content ?? [],
      erc1271Policies: (s.erc7739Policies?.erc1271Policies ?? []).map(policyIn),
    },
    actions: (s.actions ?? []).map(actionIn),
    chainId: 1n,
  }
  if (generation !== 'legacy') out.permitERC4337Paymaster = !!s.permitERC4337Paymaster
  return out
}
const digestsIn = (list) => list.map((c) => ({ chainId: big(c.chainId), sessionDigest: c.sessionDigest }))

function multichainDigest(generation, list) {
  // The EIP-712 encoding of MultiChainSession from (chainId, sessionDigest) pairs, through viem.
  const chainTh = generation === 'legacy'
    ? TYPEHASH.legacy.chain
    : keccak256(toHex('ChainSession(uint64 chainId,SignedSession session)ActionData(bytes4 actionTargetSelector,address actionTarget,PolicyData[] actionPolicies)ERC7739Context(bytes32 appDomainSeparator,string[] contentName)ERC7739Data(ERC7739Context[] allowedERC7739Content,PolicyData[] erc1271Policies)PolicyData(address policy,bytes initData)SignedPermissions(bool permitGenericPolicy,bool permitAdminAccess,bool ignoreSecurityAttestations,bool permitERC4337Paymaster,PolicyData[] userOpPolicies,ERC7739Data erc7739Policies,ActionData[] actions)SignedSession(address account,SignedPermissions permissions,address sessionValidator,bytes sessionValidatorInitData,bytes32 salt,address smartSession,uint256 nonce)'))
  const mcType = generation === 'legacy'
    ? 'MultiChainSessionEIP712(ChainSessionEIP712[] sessionsAndChainIds)ActionData(bytes4 actionTargetSelector,address actionTarget,PolicyData[] actionPolicies)ChainSessionEIP712(uint64 chainId,SessionEIP712 session)ERC7739Data(string[] allowedERC7739Content,PolicyData[] erc1271Policies)PolicyData(address policy,bytes initData)SessionEIP712(address account,address smartSession,uint8 mode,address sessionValidator,bytes32 salt,bytes sessionValidatorInitData,PolicyData[] userOpPolicies,ERC7739Data erc7739Policies,ActionData[] actions,uint256 nonce)'
    : 'MultiChainSession(ChainSession[] sessionsAndChainIds)ActionData(bytes4 actionTargetSelector,address actionTarget,PolicyData[] actionPolicies)ChainSession(uint64 chainId,SignedSession session)ERC7739Context(bytes32 appDomainSeparator,string[] contentName)ERC7739Data(ERC7739Context[] allowedERC7739Content,PolicyData[] erc1271Policies)PolicyData(address policy,bytes initData)SignedPermissions(bool permitGenericPolicy,bool permitAdminAccess,bool ignoreSecurityAttestations,bool permitERC4337Paymaster,PolicyData[] userOpPolicies,ERC7739Data erc7739Policies,ActionData[] actions)SignedSession(address account,SignedPermissions permissions,address sessionValidator,bytes sessionValidatorInitData,bytes32 salt,address smartSession,uint256 nonce)'
  const hashes = list.map((c) =>
    keccak256(encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'uint64' }, { type: 'bytes32' }],
      [chainTh, big(c.chainId), c.sessionDigest],
    )))
  const structHash = keccak256(encodeAbiParameters(
    [{ type: 'bytes32' }, { type: 'bytes32' }],
    [keccak256(toHex(mcType)), keccak256(hashes.length ? concat(hashes) : '0x')],
  ))
  const domain = keccak256(encodeAbiParameters(
    [{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }],
    [keccak256(toHex('EIP712Domain(string name,string version)')), keccak256(toHex('SmartSession')), keccak256(toHex('1'))],
  ))
  return keccak256(concat(['0x1901', domain, structHash]))
}

// OWN MODEL: the SignedSession (legacy: SessionEIP712) the contract hashes for a session, in the
// JSON shape of a hashChainSessions request, the flags derived as the contract derives them.
function signedSessionOf(generation, i) {
  const s = i.session
  const mode = Number(BigInt(i.mode))
  const base = {
    account: i.account,
    smartSession: i.smartSession,
    nonce: i.nonce,
    sessionValidator: s.sessionValidator,
    sessionValidatorInitData: s.sessionValidatorInitData,
    salt: s.salt,
  }
  const lists = { userOpPolicies: s.userOpPolicies ?? [], erc7739Policies: s.erc7739Policies, actions: s.actions ?? [] }
  if (generation === 'legacy') return { ...base, mode, ...lists }
  const has = (sel) => lists.actions.some((a) =>
    a.actionTarget.toLowerCase() === '0x0000000000000000000000000000000000000001' && a.actionTargetSelector === sel)
  return {
    ...base,
    permissions: {
      permitGenericPolicy: has('0x00000001'),
      permitAdminAccess: has('0x00000002'),
      ignoreSecurityAttestations: mode === 2,
      permitERC4337Paymaster: !!s.permitERC4337Paymaster,
      ...lists,
    },
  }
}

// OWN MODEL: hashStruct of a signed session (viem hashStruct, our copy of the EIP-712 types).
function signedSessionDigest(generation, signed) {
  const [{ session }] = chainSessionsIn(generation, [{ chainId: '1', session: signed }])
  return generation === 'legacy'
    ? hashStruct({ types: LEGACY_TYPES, primaryType: 'SessionEIP712', data: session })
    : hashStruct({ types: CURRENT_TYPES, primaryType: 'SignedSession', data: session })
}

function sessionDigest(generation, i) {
  return signedSessionDigest(generation, signedSessionOf(generation, i))
}

// The own models of the session digest and the multichain digest against module-sdk's
// hashChainSessions over the same session on chain 1: a reference that disagrees with itself
// answers an error (so the differential test fails) instead of a number.
function crossCheckDigest(generation, i, digest) {
  const published = SDK[generation].hashChainSessions(
    chainSessionsIn(generation, [{ chainId: '1', session: signedSessionOf(generation, i) }]))
  const own = multichainDigest(generation, [{ chainId: '1', sessionDigest: digest }])
  if (own !== published) {
    throw new Error(`reference self-check: own session-digest model gives ${own}, module-sdk hashChainSessions ${published}`)
  }
}

// module-sdk's decodeSmartSessionSignature (as a Nexus account: the validator is the first 20
// bytes of permissionEnableSig), in the JSON shape of `smart-sessions eval`.
function decodeSignature(m, i) {
  const d = m.decodeSmartSessionSignature({
    signature: i.signature,
    account: { type: 'nexus', address: '0x0000000000000000000000000000000000000000' },
  })
  const out = { mode: d.mode, permissionId: d.permissionId, signature: d.signature }
  if (!d.enableSessionData) return out
  const e = d.enableSessionData.enableSession
  const policies = (ps) => ps.map((p) => ({ policy: p.policy, initData: p.initData }))
  const s = e.sessionToEnable
  const session = {
    sessionValidator: s.sessionValidator,
    sessionValidatorInitData: s.sessionValidatorInitData,
    salt: s.salt,
    userOpPolicies: policies(s.userOpPolicies),
    erc7739Policies: {
      allowedERC7739Content: s.erc7739Policies.allowedERC7739Content.map((c) =>
        typeof c === 'string' ? c : { appDomainSeparator: c.appDomainSeparator, contentName: [...c.contentName] }),
      erc1271Policies: policies(s.erc7739Policies.erc1271Policies),
    },
    actions: s.actions.map((a) => ({
      actionTarget: a.actionTarget,
      actionTargetSelector: a.actionTargetSelector,
      actionPolicies: policies(a.actionPolicies),
    })),
  }
  if (s.permitERC4337Paymaster !== undefined) session.permitERC4337Paymaster = s.permitERC4337Paymaster
  out.enableSession = {
    chainDigestIndex: Number(e.chainDigestIndex),
    hashesAndChainIds: e.hashesAndChainIds.map((c) => ({ chainId: c.chainId.toString(), sessionDigest: c.sessionDigest })),
    sessionToEnable: session,
    permissionEnableSig: concat([d.enableSessionData.validator, e.permissionEnableSig]),
  }
  return out
}

// PUBLISHED: permissionless encode7579Calls, for a mode it can express (else an error).
function execute7579(mode, i) {
  const data = encode7579Calls({
    mode,
    callData: i.executions.map((e) => ({ to: e.target, value: big(e.value), data: e.callData })),
  })
  if (data.slice(10, 74) !== i.mode.slice(2).toLowerCase()) {
    throw new Error(`the reference cannot express execution mode ${i.mode} through permissionless`)
  }
  return data
}

const EXECUTE_ABI = [{
  type: 'function', name: 'execute', stateMutability: 'payable', outputs: [],
  inputs: [{ name: 'mode', type: 'bytes32' }, { name: 'executionCalldata', type: 'bytes' }],
}]

// The answers that need no `await` (the benchmark calls these directly).
export function answerSync(fn, generation, i) {
  const m = SDK[generation]
  if (!m) throw new Error(`unknown generation ${generation}`)
  switch (fn) {
    case 'getPermissionId':
      return m.getPermissionId({ session: sessionIn({ ...i, userOpPolicies: [], actions: [] }, generation) })
    case 'configIds': {
      const cfg = (id) => keccak256(encodePacked(['address', 'bytes32'], [i.account, id]))
      return {
        userOp: cfg(i.permissionId),
        erc1271: cfg(keccak256(encodePacked(['string', 'bytes32'], ['ERC1271: ', i.permissionId]))),
        actions: i.actionIds.map((a) => cfg(keccak256(encodePacked(['bytes32', 'bytes32'], [i.permissionId, a])))),
      }
    }
    case 'getUniversalActionPolicy': {
      const rules = i.rules.map((r) => ({
        condition: r.condition,
        offset: big(r.offset),
        isLimited: r.isLimited,
        ref: r.ref,
        usage: { limit: big(r.usage.limit), used: big(r.usage.used) },
      }))
      const p = m.getUniversalActionPolicy({
        valueLimitPerUse: big(i.valueLimitPerUse),
        paramRules: { length: big(i.length), rules },
      })
      return { policy: p.policy, initData: p.initData }
    }
    case 'getTimeFramePolicy': {
      const p = m.getTimeFramePolicy({ validUntil: Number(i.validUntil), validAfter: Number(i.validAfter) })
      return { policy: p.policy, address: p.address, initData: p.initData }
    }
    case 'getUsageLimitPolicy': {
      const p = m.getUsageLimitPolicy({ limit: big(i.limit) })
      return { policy: p.policy, address: p.address, initData: p.initData }
    }
    case 'getValueLimitPolicy': {
      const p = m.getValueLimitPolicy({ limit: big(i.limit) })
      return { policy: p.policy, address: p.address, initData: p.initData }
    }
    case 'getSpendingLimitsPolicy': {
      const p = m.getSpendingLimitsPolicy(i.params.map((x) => ({ token: x.token, limit: big(x.limit) })))
      return { policy: p.policy, address: p.address, initData: p.initData }
    }
    case 'getSmartSessionsValidator.initData':
      return m.getSmartSessionsValidator({
        sessions: i.sessions.map((s) => sessionIn(s, generation)),
        useRegistry: i.useRegistry ?? true,
      }).initData
    case 'getEnableSessionsAction.callData':
      return m.getEnableSessionsAction({ sessions: i.sessions.map((s) => sessionIn(s, generation)) }).callData
    case 'getSessionDigest': {
      const d = sessionDigest(generation, i)
      crossCheckDigest(generation, i, d)
      return d
    }
    case 'multichainDigest':
      return multichainDigest(generation, i.hashesAndChainIds)
    case 'hashChainSessions': {
      const published = m.hashChainSessions(chainSessionsIn(generation, i.chainSessions))
      // the own models of the session digest and the multichain digest, against module-sdk
      const own = multichainDigest(generation, i.chainSessions.map((c) => ({
        chainId: c.chainId,
        sessionDigest: signedSessionDigest(generation, c.session),
      })))
      if (own !== published) throw new Error(`reference self-check: own multichain model ${own} != module-sdk hashChainSessions ${published}`)
      return published
    }
    case 'decodeSmartSessionSignature':
      return decodeSignature(m, i)
    default:
      return rest(fn, generation, i)
  }
}

function chainSessionsIn(generation, chainSessions) {
  return chainSessions.map((c) => {
        const s = c.session
        const base = {
          account: s.account,
          smartSession: s.smartSession,
          nonce: big(s.nonce),
          sessionValidator: s.sessionValidator,
          sessionValidatorInitData: s.sessionValidatorInitData,
          salt: s.salt,
        }
        if (generation === 'legacy') {
          const inner = sessionIn(s, 'legacy')
          return { chainId: big(c.chainId), session: { ...base, mode: Number(s.mode), userOpPolicies: inner.userOpPolicies, erc7739Policies: inner.erc7739Policies, actions: inner.actions } }
        }
        const p = s.permissions
        const inner = sessionIn(p, generation)
        return {
          chainId: big(c.chainId),
          session: {
            ...base,
            permissions: {
              permitGenericPolicy: p.permitGenericPolicy,
              permitAdminAccess: p.permitAdminAccess,
              ignoreSecurityAttestations: p.ignoreSecurityAttestations,
              permitERC4337Paymaster: p.permitERC4337Paymaster,
              userOpPolicies: inner.userOpPolicies,
              erc7739Policies: inner.erc7739Policies,
              actions: inner.actions,
            },
          },
        }
  })
}

export async function answer(fn, generation, i) {
  const m = SDK[generation]
  if (!m) throw new Error(`unknown generation ${generation}`)
  switch (fn) {
    case 'getActionId':
      return await m.getActionId({ target: i.target, selector: i.selector })
    default:
      return answerSync(fn, generation, i)
  }
}

function rest(fn, generation, i) {
  const m = SDK[generation]
  switch (fn) {
    case 'encodeSmartSessionSignature': {
      const args = { mode: i.mode, permissionId: i.permissionId, signature: i.signature }
      if (i.enableSessionData) {
        const d = i.enableSessionData
        const e = d.enableSession
        args.enableSessionData = {
          enableSession: {
            chainDigestIndex: Number(e.chainDigestIndex),
            hashesAndChainIds: digestsIn(e.hashesAndChainIds),
            sessionToEnable: sessionIn(e.sessionToEnable, generation),
            permissionEnableSig: e.permissionEnableSig,
          },
          validator: d.validator,
          accountType: d.accountType,
        }
      }
      return m.encodeSmartSessionSignature(args)
    }
    case 'LibZip.flzCompress':
      return LibZip.flzCompress(i.data)
    case 'erc7579.executeSingle':
      return execute7579({ type: 'call' }, i)
    case 'erc7579.executeBatch':
      if (i.executions.length >= 2) return execute7579({ type: 'batchcall' }, i)
      // own model: see the header
      return encodeFunctionData({
        abi: EXECUTE_ABI, functionName: 'execute',
        args: [i.mode, encodeAbiParameters(
          [{ type: 'tuple[]', components: [{ name: 'target', type: 'address' }, { name: 'value', type: 'uint256' }, { name: 'callData', type: 'bytes' }] }],
          [i.executions.map((e) => ({ target: e.target, value: big(e.value), callData: e.callData }))],
        )],
      })
    case 'nexus.nonceKey': {
      // own model of the key (see the header); the nonce from it: permissionless encodeNonce
      const key = encodePacked(['uint24', 'bytes1', 'address'], [Number(i.batchKey), i.validationMode, i.validator])
      return {
        key,
        keyDecimal: BigInt(key).toString(),
        nonce: toHex(encodeNonce({ key: BigInt(key), sequence: big(i.sequence) }), { size: 32 }),
      }
    }
    default:
      throw new Error(`the reference has no function ${fn}`)
  }
}

async function serve() {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
  const out = []
  for await (const line of rl) {
    if (!line.trim()) continue
    let reply
    try {
      const req = JSON.parse(line)
      reply = { output: await answer(req.function, req.generation ?? 'current', req.inputs ?? {}) }
    } catch (e) {
      reply = { error: String(e?.message ?? e).split('\n')[0] }
    }
    out.push(JSON.stringify(reply))
    if (out.length >= 256) {
      process.stdout.write(out.join('\n') + '\n')
      out.length = 0
    }
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n')
}

if (process.argv.includes('--bench')) {
  const { bench } = await import('./bench.mjs')
  await bench(answerSync)
} else {
  await serve()
}
