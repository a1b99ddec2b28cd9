// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

// An OpenZeppelin ERC721 that anyone may mint from; token ids count up from 1.
contract Collectible is ERC721 {
    uint256 public minted;

    constructor() ERC721("Honeycomb Cell", "CELL") {}

    function mint(address to) external returns (uint256 tokenId) {
        tokenId = ++minted;
        _mint(to, tokenId);
    }
}
