// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

// Deployed by Hive with CREATE2; remembers who made it and with what.
contract Cell {
    address public immutable hive;
    uint256 public immutable honey;

    constructor(uint256 honey_) {
        hive = msg.sender;
        honey = honey_;
    }
}

// Exercises what the end-to-end test checks beyond the token standards: events, `require`
// with a reason string, custom errors with arguments, a CREATE2 factory with an address
// prediction, payable deposits held by the contract, withdrawals, storage writes (and a storage
// clear, which earns a gas refund) and view functions.
contract Hive {
    error InsufficientDeposit(address account, uint256 requested, uint256 available);
    error NotKeeper(address caller, address keeper);

    event Deposited(address indexed account, uint256 amount, uint256 balance);
    event Withdrawn(address indexed account, uint256 amount);
    event Stored(address indexed by, uint256 indexed key, uint256 value);
    event CellDeployed(bytes32 indexed salt, address cell, uint256 honey);

    address public immutable keeper;
    mapping(address => uint256) public deposits;
    mapping(uint256 => uint256) public stored;
    uint256 public totalDeposits;
    uint256 public cells;

    constructor() {
        keeper = msg.sender;
    }

    function deposit() external payable {
        require(msg.value > 0, "Hive: nothing deposited");
        uint256 balance = deposits[msg.sender] + msg.value;
        deposits[msg.sender] = balance;
        totalDeposits += msg.value;
        emit Deposited(msg.sender, msg.value, balance);
    }

    function withdraw(uint256 amount) external {
        uint256 available = deposits[msg.sender];
        if (amount > available) revert InsufficientDeposit(msg.sender, amount, available);
        deposits[msg.sender] = available - amount;
        totalDeposits -= amount;
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "Hive: payout failed");
        emit Withdrawn(msg.sender, amount);
    }

    function store(uint256 key, uint256 value) external {
        require(value != 0, "Hive: zero value");
        stored[key] = value;
        emit Stored(msg.sender, key, value);
    }

    function clear(uint256 key) external {
        if (msg.sender != keeper) revert NotKeeper(msg.sender, keeper);
        delete stored[key];
        emit Stored(msg.sender, key, 0);
    }

    function deployCell(bytes32 salt, uint256 honey) external returns (address cell) {
        cell = address(new Cell{salt: salt}(honey));
        ++cells;
        emit CellDeployed(salt, cell, honey);
    }

    // keccak256(0xff ++ this ++ salt ++ keccak256(initcode))[12:], initcode = creation code ++ args.
    function predictCell(bytes32 salt, uint256 honey) external view returns (address) {
        bytes32 hash = keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, cellInitCodeHash(honey)));
        return address(uint160(uint256(hash)));
    }

    function cellInitCodeHash(uint256 honey) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(type(Cell).creationCode, abi.encode(honey)));
    }

    function held() external view returns (uint256) {
        return address(this).balance;
    }
}
