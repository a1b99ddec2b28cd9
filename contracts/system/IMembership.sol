// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.0;

/// @title Honeycomb consortium membership (system contract)
/// @notice Native code at the fixed address 0x0000000000000000000000000000000000001001, built
///         into every Honeycomb node: there is nothing to deploy, and eth_getCode returns 0xfe.
///         Records which accounts are members of which organisation, and in which role
///         ("admin", "client" or "node").
/// @dev Every failure reverts with a standard Error(string) reason that ethers and Solidity
///      decode ("enrol: not a certificate: ..."). Sending value to any function reverts.
///      enrol, enrolMember and revoke change state and revert inside a STATICCALL.
///      Keep this file in step with src/governance/system_contracts.cc; the JSON ABI in
///      abi/Membership.json is generated from it by scripts/compile-system-abis.mjs.
interface IMembership {
    /// @notice An account became a member (or its organisation or role changed).
    /// @param member The account.
    /// @param org Its organisation's id.
    /// @param role "admin", "client" or "node".
    event MemberEnrolled(address indexed member, string org, string role);

    /// @notice An account stopped being a member.
    /// @param member The account.
    /// @param org The organisation it belonged to.
    event MemberRevoked(address indexed member, string org);

    /// @notice Enrols the sender with a member certificate issued by its organisation's CA.
    /// @dev The certificate (PEM text or DER bytes) must chain to a CA of an organisation in the
    ///      consortium, be valid at the block's time, not be revoked, and name the sender's
    ///      address; its O field gives the organisation and its role the member's role. The one
    ///      call a non-member may make in permissioned mode. Reverts with a reason starting
    ///      "enrol:".
    /// @param certificate The member certificate, PEM or DER.
    function enrol(bytes calldata certificate) external;

    /// @notice Enrols `member` in `org` with `role` directly, without a certificate.
    /// @dev The sender must satisfy the manage_members policy for `org` on its own (by default
    ///      an admin of `org`); otherwise it reverts and suggests proposing an enrol action.
    /// @param member The account to enrol.
    /// @param org The organisation's id.
    /// @param role "admin", "client" or "node" (case-insensitive).
    function enrolMember(address member, string calldata org, string calldata role) external;

    /// @notice Revokes `member`'s membership.
    /// @dev The sender must satisfy the manage_members policy for the member's organisation on
    ///      its own. Reverts if `member` is not a member.
    function revoke(address member) external;

    /// @notice Whether `account` is an enrolled member.
    function isMember(address account) external view returns (bool);

    /// @notice `account`'s membership.
    /// @return enrolled Whether it is a member; when false, org and role are empty.
    /// @return org Its organisation's id.
    /// @return role "admin", "client" or "node".
    function memberOf(address account)
        external
        view
        returns (bool enrolled, string memory org, string memory role);

    /// @notice All enrolled members, in ascending address order.
    function members() external view returns (address[] memory);
}
