// Hardhat's defaults for `npx hardhat node` (automine, chain id 31337, 20 funded accounts);
// the benchmark compiles its own contract, so nothing else is configured.
module.exports = {};
