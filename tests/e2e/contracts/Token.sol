// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

// An OpenZeppelin ERC20 whose whole supply goes to the deployer.
contract Token is ERC20 {
    constructor(uint256 supply) ERC20("Honey", "HNY") {
        _mint(msg.sender, supply);
    }
}
