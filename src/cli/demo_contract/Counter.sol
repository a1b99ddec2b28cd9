// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

// The contract `honeycomb up --demo` deploys (cli/demo.cc). The build has no Solidity compiler, so
// its init code is committed in counter_code.h: after changing this file, run
// `node scripts/compile-demo-contract.mjs` (needs `npm ci --prefix tests/e2e`).
contract Counter {
    uint256 public count;

    event Added(address indexed by, uint256 amount, uint256 count);

    function add(uint256 amount) external {
        count += amount;
        emit Added(msg.sender, amount, count);
    }
}
