// The independent client of the local MEE node: the real @biconomy/abstractjs 1.2.3 runs an owner
// supertransaction with a fee token on chains 8453 and 10 (counter.increment() on both) against
// the node, with the stack's custom MEE version; with FLOW=sponsored the same supertransaction is
// sponsored (abstractjs `sponsorship: true`: the trusted gas tank) instead of paid in the fee token.
// Input: the stack's summary JSON in $MEE_SUMMARY.
// Output: one JSON line {account, hash, quote, receipt} (bigints as decimal strings).
// Written by smart-sessions-rs for tests/abstractjs.rs.
import { createMeeClient, toMultichainNexusAccount } from '@biconomy/abstractjs'
import { createWalletClient, encodeFunctionData, http, parseAbi } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { base, optimism } from 'viem/chains'

const summary = JSON.parse(process.env.MEE_SUMMARY)
const chainOf = (id) => summary.chains.find((c) => c.chainId === id)
const rpc = { 8453: chainOf(8453).rpcUrl, 10: chainOf(10).rpcUrl }
const { counter, feeToken } = chainOf(8453).mee
const version = summary.meeVersion
const chains = { 8453: { ...base, rpcUrls: { default: { http: [rpc[8453]] } } }, 10: { ...optimism, rpcUrls: { default: { http: [rpc[10]] } } } }

const signer = privateKeyToAccount(generatePrivateKey())
const account = await toMultichainNexusAccount({
  signer,
  chainConfigurations: [8453, 10].map((id) => ({ chain: chains[id], transport: http(rpc[id]), version })),
})
const address = account.addressOn(8453, true)

// Fee tokens for the account: anvil's public development key #0 mints them (mint is open).
const minter = createWalletClient({
  account: privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'),
  chain: chains[8453],
  transport: http(rpc[8453]),
})
await minter.writeContract({
  address: feeToken,
  abi: parseAbi(['function mint(address to, uint256 amount)']),
  functionName: 'mint',
  args: [address, 100_000_000n],
})

const mee = await createMeeClient({ account, url: summary.meeUrl, apiKey: summary.apiKey, pollingInterval: 100 })
const increment = encodeFunctionData({ abi: parseAbi(['function increment()']), functionName: 'increment' })
const instructions = await Promise.all(
  [8453, 10].map((chainId) =>
    account.build({ type: 'default', data: { chainId, calls: [{ to: counter, data: increment, gasLimit: 200_000n }] } }),
  ),
)
const sponsored = process.env.FLOW === 'sponsored'
const quote = sponsored
  ? await mee.getQuote({ instructions, sponsorship: true })
  : await mee.getQuote({ instructions, feeToken: { address: feeToken, chainId: 8453 } })
const { hash } = await mee.executeQuote({ quote })
const receipt = await mee.waitForSupertransactionReceipt({ hash })
const json = (v) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x))
process.stdout.write(json({ account: address, hash, quote, receipt }) + '\n')
