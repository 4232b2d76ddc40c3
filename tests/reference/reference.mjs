// The TypeScript reference behind the differential tests and the benchmarks.
//
// Speaks the `smart-sessions eval` protocol: one JSON request per line on stdin,
//   {"function": NAME, "generation": "current" | "v1" | "legacy", "inputs": {...}}
// one answer per line on stdout, {"output": ...} or {"error": "..."}.
// Every answer is computed by the pinned TypeScript packages (package-lock.json): module-sdk 0.4.0
// (current), 0.2.3 (v1) and 0.1.32 (legacy) where they have the function, otherwise viem and
// solady's JS LibZip (which module-sdk itself uses).
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

function sessionDigest(generation, i) {
  const s = sessionIn(i.session, generation)
  const mode = Number(BigInt(i.mode))
  if (generation === 'legacy') {
    return hashStruct({
      types: LEGACY_TYPES,
      primaryType: 'SessionEIP712',
      data: { ...s, account: i.account, smartSession: i.smartSession, mode, nonce: big(i.nonce) },
    })
  }
  const has = (sel) => s.actions.some((a) =>
    a.actionTarget.toLowerCase() === '0x0000000000000000000000000000000000000001' && a.actionTargetSelector === sel)
  return hashStruct({
    types: CURRENT_TYPES,
    primaryType: 'SignedSession',
    data: {
      account: i.account,
      permissions: {
        permitGenericPolicy: has('0x00000001'),
        permitAdminAccess: has('0x00000002'),
        ignoreSecurityAttestations: mode === 2,
        permitERC4337Paymaster: s.permitERC4337Paymaster,
        userOpPolicies: s.userOpPolicies,
        erc7739Policies: s.erc7739Policies,
        actions: s.actions,
      },
      sessionValidator: s.sessionValidator,
      sessionValidatorInitData: s.sessionValidatorInitData,
      salt: s.salt,
      smartSession: i.smartSession,
      nonce: big(i.nonce),
    },
  })
}

const EXECUTE_ABI = [{
  type: 'function', name: 'execute', stateMutability: 'payable', outputs: [],
  inputs: [{ name: 'mode', type: 'bytes32' }, { name: 'executionCalldata', type: 'bytes' }],
}]

export function answer(fn, generation, i) {
  const m = SDK[generation]
  if (!m) throw new Error(`unknown generation ${generation}`)
  switch (fn) {
    case 'getPermissionId':
      return m.getPermissionId({ session: sessionIn({ ...i, userOpPolicies: [], actions: [] }, generation) })
    case 'getActionId':
      return keccak256(encodePacked(['address', 'bytes4'], [i.target, i.selector]))
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
    case 'getSessionDigest':
      return sessionDigest(generation, i)
    case 'multichainDigest':
      return multichainDigest(generation, i.hashesAndChainIds)
    case 'hashChainSessions':
      return m.hashChainSessions(i.chainSessions.map((c) => {
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
      }))
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
    case 'erc7579.executeSingle': {
      const e = i.executions[0]
      return encodeFunctionData({
        abi: EXECUTE_ABI, functionName: 'execute',
        args: [i.mode, encodePacked(['address', 'uint256', 'bytes'], [e.target, big(e.value), e.callData])],
      })
    }
    case 'erc7579.executeBatch':
      return encodeFunctionData({
        abi: EXECUTE_ABI, functionName: 'execute',
        args: [i.mode, encodeAbiParameters(
          [{ type: 'tuple[]', components: [{ name: 'target', type: 'address' }, { name: 'value', type: 'uint256' }, { name: 'callData', type: 'bytes' }] }],
          [i.executions.map((e) => ({ target: e.target, value: big(e.value), callData: e.callData }))],
        )],
      })
    case 'nexus.nonceKey': {
      const key = encodePacked(['uint24', 'bytes1', 'address'], [Number(i.batchKey), i.validationMode, i.validator])
      return {
        key,
        keyDecimal: BigInt(key).toString(),
        nonce: encodePacked(['uint192', 'uint64'], [BigInt(key), big(i.sequence)]),
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
      reply = { output: answer(req.function, req.generation ?? 'current', req.inputs ?? {}) }
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
  await bench(answer)
} else {
  await serve()
}
