// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.0;

/// @title Honeycomb consortium governance (system contract)
/// @notice Native code at the fixed address 0x0000000000000000000000000000000000001000, built
///         into every Honeycomb node: there is nothing to deploy, and eth_getCode returns 0xfe.
///         Organisation admins propose actions and vote on them; an action applies as soon as
///         the votes satisfy its policy.
/// @dev Every failure reverts with a standard Error(string) reason that ethers and Solidity
///      decode ("only organisation admins can propose: 0x... is not a member"). Sending value
///      to any function reverts. propose and vote change state and revert inside a STATICCALL.
///      Keep this file in step with src/governance/system_contracts.cc; the JSON ABI in
///      abi/Governance.json is generated from it by scripts/compile-system-abis.mjs.
interface IGovernance {
    /// @notice A proposal was created; the proposer's vote is counted with it.
    /// @param id The proposal's id (1, 2, ...).
    /// @param proposer The admin who proposed it.
    /// @param action The action as canonical JSON (keys sorted, no spaces).
    event Proposed(uint256 indexed id, address indexed proposer, string action);

    /// @notice An admin voted for a proposal.
    event Voted(uint256 indexed id, address indexed voter);

    /// @notice A proposal's votes satisfied its policy and its action was applied.
    event Executed(uint256 indexed id);

    /// @notice A proposal's votes satisfied its policy but its action could not be applied to
    ///         the state at that time (for example the organisation it adds already exists).
    /// @param reason Why, as the proposal's outcome also records.
    event ProposalFailed(uint256 indexed id, string reason);

    /// @notice Proposes a governance action and votes for it.
    /// @dev Only an organisation admin may propose. `action` is JSON text, one of:
    ///      {"type":"add_org","id":"org5","name":"Org Five","ca_certs":["-----BEGIN CERT..."]}
    ///      {"type":"remove_org","id":"org5"}
    ///      {"type":"add_node","name":"org5-node1","org":"org5","consensus_key":"0x04...",
    ///       "p2p_address":"127.0.0.1:30304"}
    ///      {"type":"remove_node","name":"org4-node1"}
    ///      {"type":"set_block_params","gas_limit":30000000,"proposal_lifetime_s":86400,
    ///       "epoch_blocks":20}   (each field optional)
    ///      {"type":"set_policy","resource":"deploy_contract","rule":"ANY roles=admin"}
    ///      {"type":"set_policy","resource":"call_contract:0xAbC...","rule":"ANY orgs=org1"}
    ///      {"type":"freeze","contract":"0x..."}   {"type":"unfreeze","contract":"0x..."}
    ///      {"type":"enrol","member":"0x...","org":"org1","role":"client"}
    ///      {"type":"revoke","member":"0x..."}
    ///      {"type":"set_permission_mode","mode":"open"}
    ///      Parsing is strict: an unknown field, a wrong type or a bad value reverts naming the
    ///      field, and so does an action that cannot apply to the current state. When the
    ///      proposer's vote alone satisfies the policy the action applies in the same call.
    /// @param action The action as JSON text.
    /// @return id The new proposal's id.
    function propose(string calldata action) external returns (uint256 id);

    /// @notice Votes for an open proposal; applies its action once the votes satisfy its policy.
    /// @dev Only an organisation admin may vote, once per proposal. Reverts for an unknown id,
    ///      an expired proposal, or one already executed or failed.
    /// @param id The proposal's id.
    function vote(uint256 id) external;

    /// @notice The number of proposals made so far; ids run from 1 to this number.
    function proposalCount() external view returns (uint256);

    /// @notice One proposal. Reverts with "no proposal <id>" for an unknown id.
    /// @return action The action as canonical JSON.
    /// @return proposer Who proposed it.
    /// @return expiresAt Unix time (seconds) after which votes are refused.
    /// @return status 0 open, 1 executed, 2 expired, 3 failed.
    /// @return voters Who voted for it, the proposer first.
    /// @return outcome Why it failed (status 3), else empty.
    function proposal(uint256 id)
        external
        view
        returns (
            string memory action,
            address proposer,
            uint256 expiresAt,
            uint256 status,
            address[] memory voters,
            string memory outcome
        );

    /// @notice The consortium's organisations.
    /// @return ids Their short ids, as in member certificates' O field ("org1").
    /// @return names Their display names, in the same order.
    function organisations() external view returns (string[] memory ids, string[] memory names);

    /// @notice The consensus nodes of the current epoch.
    /// @return names The nodes' names.
    /// @return orgs The organisation each node belongs to, in the same order.
    /// @return epoch The current epoch number.
    function consensusNodes()
        external
        view
        returns (string[] memory names, string[] memory orgs, uint256 epoch);

    /// @notice The rule of a policy, e.g. "ANY roles=admin,client" or "MAJORITY roles=admin".
    /// @dev `resource` is deploy_contract, call_contract, change_config, manage_members,
    ///      manage_nodes, or "call_contract:0x<address>" for the rule that governs calls to one
    ///      contract (its own rule if it has one, else the call_contract policy). Reverts for
    ///      an unknown resource.
    /// @param resource The policy's resource.
    /// @return rule The rule as text.
    function policy(string calldata resource) external view returns (string memory rule);

    /// @notice Whether governance has frozen the contract at `target`; calls to it revert.
    function isFrozen(address target) external view returns (bool);

    /// @notice "permissioned" (only enrolled members transact, policies apply) or "open"
    ///         (anyone transacts, as on the development chain).
    function permissionMode() external view returns (string memory);
}
