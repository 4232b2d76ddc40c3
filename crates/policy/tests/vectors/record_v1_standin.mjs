// Records v1_standin.json: our own check of our own stand-in (not v1.0's bytecode). Deploys
// V1SpendingLimitStandIn on anvil, initialises it with a 1000 limit, runs calls, and reads the
// TokenPolicyData words at the slot the Solidity mapping layout gives, computed here with viem.
// Usage (from a directory whose node_modules has viem, e.g. the devnet's npm cache):
//   node compile.cjs crates/devnet/contracts/V1SpendingLimitStandIn.sol out.json
//   anvil --port 28545 &
//   node record_v1_standin.mjs http://127.0.0.1:28545 out.json   # one JSON line per call, then the slots
import { createPublicClient, createWalletClient, http, keccak256, encodeAbiParameters, encodeFunctionData, pad, toHex } from 'viem'
import { readFileSync } from 'node:fs'
const out = JSON.parse(readFileSync(process.argv[3], 'utf8')).V1SpendingLimitStandIn
const url = process.argv[2]
const chain = { id: 31337, name: 'anvil', nativeCurrency: { name: 'E', symbol: 'E', decimals: 18 }, rpcUrls: { default: { http: [url] } } }
const pub = createPublicClient({ chain, transport: http(url) })
const [from] = await pub.request({ method: 'eth_accounts' })
const wal = createWalletClient({ chain, transport: http(url), account: from })
const hash = await wal.deployContract({ abi: out.abi, bytecode: out.bytecode })
const { contractAddress: policy } = await pub.waitForTransactionReceipt({ hash })
const configId = '0x' + '42'.repeat(32)
const token = '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48'
const account = '0xacc0000000000000000000000000000000000001'
const other = '0x1111111111111111111111111111111111111111'
const init = encodeAbiParameters([{ type: 'address[]' }, { type: 'uint256[]' }], [[token], [1000n]])
await pub.waitForTransactionReceipt({ hash: await wal.writeContract({ address: policy, abi: out.abi, functionName: 'initializeWithMultiplexer', args: [account, configId, init] }) })
const erc20 = [
  { type: 'function', name: 'transfer', inputs: [{ type: 'address' }, { type: 'uint256' }], outputs: [] },
  { type: 'function', name: 'approve', inputs: [{ type: 'address' }, { type: 'uint256' }], outputs: [] },
  { type: 'function', name: 'transferFrom', inputs: [{ type: 'address' }, { type: 'address' }, { type: 'uint256' }], outputs: [] },
  { type: 'function', name: 'increaseAllowance', inputs: [{ type: 'address' }, { type: 'uint256' }], outputs: [] },
]
const calls = [
  ['transfer 123', 0n, encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [other, 123n] })],
  ['increaseAllowance 1', 0n, encodeFunctionData({ abi: erc20, functionName: 'increaseAllowance', args: [other, 1n] })],
  ['value 1', 1n, encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [other, 0n] })],
  ['approve 400', 0n, encodeFunctionData({ abi: erc20, functionName: 'approve', args: [other, 400n] })],
  ['transferFrom to account 477', 0n, encodeFunctionData({ abi: erc20, functionName: 'transferFrom', args: [other, account, 477n] })],
  ['transfer 1', 0n, encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [other, 1n] })],
  ['short calldata', 0n, '0xa905'],
]
const slotOf = (key, slot) => keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'bytes32' }], [key, slot]))
const word = (a) => pad(a, { size: 32 })
const base = slotOf(word(account), slotOf(word(token), slotOf(word(from), slotOf(configId, pad(toHex(1), { size: 32 })))))
const next = pad(toHex(BigInt(base) + 1n), { size: 32 })
for (const [name, value, data] of calls) {
  let result
  try {
    const { result: r } = await pub.simulateContract({ account: from, address: policy, abi: out.abi, functionName: 'checkAction', args: [configId, account, token, value, data] })
    result = r.toString()
    await pub.waitForTransactionReceipt({ hash: await wal.writeContract({ address: policy, abi: out.abi, functionName: 'checkAction', args: [configId, account, token, value, data] }) })
  } catch (e) { result = 'revert' }
  const spent = BigInt(await pub.getStorageAt({ address: policy, slot: base }))
  const limit = BigInt(await pub.getStorageAt({ address: policy, slot: next }))
  console.log(JSON.stringify({ call: name, data, value: value.toString(), result, alreadySpent: spent.toString(), spendingLimit: limit.toString() }))
}
console.log(JSON.stringify({ multiplexer: from, configId, token, account, alreadySpentSlot: base, spendingLimitSlot: next }))
