// solc (npm, pinned) standard-JSON compile: node compile.cjs <file.sol> <out.json>
// Writes {ContractName: {abi, bytecode, deployedBytecode}}; exits 1 on any compiler error.
const solc = require('solc')
const fs = require('node:fs')
const path = require('node:path')
const [file, out] = process.argv.slice(2)
const name = path.basename(file)
const input = {
  language: 'Solidity',
  sources: { [name]: { content: fs.readFileSync(file, 'utf8') } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'cancun',
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  },
}
const result = JSON.parse(solc.compile(JSON.stringify(input)))
const errors = (result.errors || []).filter((e) => e.severity === 'error')
for (const e of result.errors || []) process.stderr.write(e.formattedMessage + '\n')
if (errors.length) process.exit(1)
const contracts = {}
for (const [n, c] of Object.entries(result.contracts[name])) {
  contracts[n] = { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object, deployedBytecode: '0x' + c.evm.deployedBytecode.object }
}
fs.writeFileSync(out, JSON.stringify(contracts))
process.stdout.write(`solc ${solc.version()}: ${Object.keys(contracts).join(', ')}\n`)
