// Hand-written, NOT generated: the EIP-20 token interface (https://eips.ethereum.org/EIPS/eip-20),
// the functions and events every fungible token in these flows answers (the fee tokens of the MEE
// flows, the tokens a spending policy limits). Not taken from a package: the standard defines it.
crate::bindings! {
    /// An EIP-20 token.
    interface ERC20 {
        event Transfer(address indexed from, address indexed to, uint256 value);
        event Approval(address indexed owner, address indexed spender, uint256 value);
        function name() external view returns (string memory);
        function symbol() external view returns (string memory);
        function decimals() external view returns (uint8);
        function totalSupply() external view returns (uint256);
        function balanceOf(address owner) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function transfer(address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
        function transferFrom(address from, address to, uint256 amount) external returns (bool);
    }
}
pub use self::ERC20::*;
