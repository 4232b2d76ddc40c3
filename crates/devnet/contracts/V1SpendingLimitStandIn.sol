// SPDX-License-Identifier: MIT OR Apache-2.0
//
// OUR OWN STAND-IN, NOT THE DEPLOYED CONTRACT. smart-sessions-rs wrote this file from the facts in
// shared/spec/v1.md about SmartSession v1.0's ERC20SpendingLimitPolicy
// (0x00000088D48cF102A8Cdb0137A9b173f957c6343, erc7579/smartsessions at f24dddf): no registry
// ships that bytecode, so the devnet runs this model of it. It keeps the same storage layout
// (slot 0: the token set keyed by account; slot 1: TokenPolicyData{alreadySpent, spendingLimit}
// per (configId, multiplexer, token, account)), emits the same TokenSpent event and applies the
// same rules:
//   - checkAction fails (returns 1) for a non-zero value and for any selector other than approve,
//     transfer and transferFrom (increaseAllowance included); the amounts of all three count
//     alike into alreadySpent, against alreadySpent + amount <= spendingLimit; a transferFrom to
//     the account itself counts in full; calldata shorter than 4 bytes or arguments that do not
//     ABI-decode revert, and so does an alreadySpent + amount overflow;
//   - initializeWithMultiplexer(account, configId, abi.encode(address[] tokens, uint256[] limits))
//     clears the previous tokens of that (configId, multiplexer, account) and sets the new limits;
//     a zero token reverts InvalidTokenAddress, a zero limit InvalidLimit.
// Choices of ours where spec/v1.md says nothing (not claimed to match v1.0): token and limit
// lists of different lengths revert InvalidInitDataLength; supportsInterface answers true for
// every id but 0xffffffff (as the devnet's other stand-in policies, so that any SmartSession
// generation accepts it); no PolicySet event; no getter (v1.0 has none: read the state with
// eth_getStorageAt, see smart_sessions_policy::eval::v1_storage).
// Self-contained (compiles alone with solc 0.8.27) and its names do not clash with Devnet.sol.
pragma solidity 0.8.27;

/// The ERC-4337-friendly address set of v1.0's `$tokens`: every value keyed by the account, so
/// a validation-phase read touches only account-associated storage.
struct V1AccountAddressSet {
    mapping(address account => bytes32[]) values;
    mapping(bytes32 value => mapping(address account => uint256)) positions;
}

library V1AccountAddressSetLib {
    function add(V1AccountAddressSet storage set, address account, address value) internal {
        bytes32 v = bytes32(uint256(uint160(value)));
        if (set.positions[v][account] != 0) return;
        set.values[account].push(v);
        set.positions[v][account] = set.values[account].length;
    }

    function length(V1AccountAddressSet storage set, address account) internal view returns (uint256) {
        return set.values[account].length;
    }

    function at(V1AccountAddressSet storage set, address account, uint256 i) internal view returns (address) {
        return address(uint160(uint256(set.values[account][i])));
    }

    function removeAll(V1AccountAddressSet storage set, address account) internal {
        bytes32[] storage values = set.values[account];
        for (uint256 i = values.length; i > 0; i--) {
            delete set.positions[values[i - 1]][account];
            values.pop();
        }
    }
}

/// Stand-in of SmartSession v1.0's ERC20SpendingLimitPolicy (see the header).
contract V1SpendingLimitStandIn {
    using V1AccountAddressSetLib for V1AccountAddressSet;

    struct TokenPolicyData {
        uint256 alreadySpent;
        uint256 spendingLimit;
    }

    uint256 internal constant VALIDATION_SUCCESS = 0;
    uint256 internal constant VALIDATION_FAILED = 1;

    // slot 0
    mapping(bytes32 configId => mapping(address multiplexer => V1AccountAddressSet)) internal $tokens;
    // slot 1: keccak(account . keccak(token . keccak(multiplexer . keccak(configId . 1))))
    mapping(
        bytes32 configId
            => mapping(address multiplexer => mapping(address token => mapping(address account => TokenPolicyData)))
    ) internal $policyData;

    event TokenSpent(
        bytes32 id, address multiplexer, address token, address account, uint256 amount, uint256 remaining
    );

    error InvalidTokenAddress(address token);
    error InvalidLimit(uint256 limit);
    error InvalidInitDataLength();

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId != 0xffffffff;
    }

    function initializeWithMultiplexer(address account, bytes32 configId, bytes calldata initData) external {
        (address[] memory tokens, uint256[] memory limits) = abi.decode(initData, (address[], uint256[]));
        if (tokens.length != limits.length) revert InvalidInitDataLength();
        V1AccountAddressSet storage set = $tokens[configId][msg.sender];
        uint256 previous = set.length(account);
        for (uint256 i; i < previous; i++) {
            delete $policyData[configId][msg.sender][set.at(account, i)][account];
        }
        set.removeAll(account);
        for (uint256 i; i < tokens.length; i++) {
            address token = tokens[i];
            uint256 limit = limits[i];
            if (token == address(0)) revert InvalidTokenAddress(token);
            if (limit == 0) revert InvalidLimit(limit);
            TokenPolicyData storage data = $policyData[configId][msg.sender][token][account];
            data.spendingLimit = limit;
            data.alreadySpent = 0;
            set.add(account, token);
        }
    }

    function checkAction(bytes32 id, address account, address target, uint256 value, bytes calldata callData)
        external
        returns (uint256)
    {
        if (value != 0) return VALIDATION_FAILED;
        (bool isTokenTransfer, uint256 amount) = _amount(callData);
        if (!isTokenTransfer) return VALIDATION_FAILED;
        TokenPolicyData storage data = $policyData[id][msg.sender][target][account];
        uint256 spendingLimit = data.spendingLimit;
        uint256 newAmount = data.alreadySpent + amount;
        if (newAmount > spendingLimit) return VALIDATION_FAILED;
        data.alreadySpent = newAmount;
        emit TokenSpent(id, msg.sender, target, account, amount, spendingLimit - newAmount);
        return VALIDATION_SUCCESS;
    }

    /// approve(address,uint256), transfer(address,uint256), transferFrom(address,address,uint256):
    /// their amount; anything else: not a token transfer.
    function _amount(bytes calldata callData) internal pure returns (bool, uint256) {
        bytes4 selector = bytes4(callData[0:4]);
        uint256 amount;
        if (selector == 0x095ea7b3 || selector == 0xa9059cbb) {
            (, amount) = abi.decode(callData[4:], (address, uint256));
            return (true, amount);
        }
        if (selector == 0x23b872dd) {
            (,, amount) = abi.decode(callData[4:], (address, address, uint256));
            return (true, amount);
        }
        return (false, 0);
    }
}
