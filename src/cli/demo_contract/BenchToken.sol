// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

// The OpenZeppelin ERC20 that `honeycomb bench --workload w2` transfers (cli/bench.cc): the whole
// supply goes to the deployer, which hands it out to the sending accounts. Its init code is
// committed in bench_token_code.h: after changing this file, run
// `node scripts/compile-demo-contract.mjs`.
contract BenchToken is ERC20 {
    constructor(uint256 supply) ERC20("Honeycomb Bench", "HCB") {
        _mint(msg.sender, supply);
    }
}
