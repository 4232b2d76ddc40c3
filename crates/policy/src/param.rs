//! The Solidity type of a one-word calldata parameter, to print rule values in their natural
//! form (addresses checksummed, signed integers with their sign).

use crate::builder::FunctionLayout;
use alloc::{format, string::String};
use alloy_primitives::{Address, B256, I256, U256};
use core::fmt;

/// The type of a parameter that occupies exactly one ABI word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamType {
    /// `address`.
    Address,
    /// `uintN` (bits).
    Uint(u16),
    /// `intN` (bits).
    Int(u16),
    /// `bool`.
    Bool,
    /// `bytesN` (`N` ≤ 32, left-aligned in the word).
    FixedBytes(u8),
}

impl ParamType {
    /// Parses a canonical one-word Solidity type (`address`, `uint256`, `int8`, `bool`,
    /// `bytes4`, …); `None` for anything else (dynamic types, tuples, arrays).
    pub fn parse(ty: &str) -> Option<Self> {
        let bits = |rest: &str| -> Option<u16> {
            let b: u16 = if rest.is_empty() { 256 } else { rest.parse().ok()? };
            (b > 0 && b <= 256 && b.is_multiple_of(8) && rest.bytes().all(|c| c.is_ascii_digit()))
                .then_some(b)
        };
        match ty {
            "address" => Some(Self::Address),
            "bool" => Some(Self::Bool),
            _ => {
                if let Some(rest) = ty.strip_prefix("uint") {
                    bits(rest).map(Self::Uint)
                } else if let Some(rest) = ty.strip_prefix("int") {
                    bits(rest).map(Self::Int)
                } else if let Some(rest) = ty.strip_prefix("bytes") {
                    let n: u8 = rest.parse().ok()?;
                    ((1..=32).contains(&n) && rest.bytes().all(|c| c.is_ascii_digit()))
                        .then_some(Self::FixedBytes(n))
                } else {
                    None
                }
            }
        }
    }

    /// The word in the type's natural form: a checksummed address, a decimal (signed for
    /// `intN`), `true`/`false`, the `N` bytes of `bytesN`. A word that is not a valid encoding of
    /// the type (dirty high bytes of an address, a bool other than 0/1) is printed as its raw
    /// hex word with a note.
    pub fn format_word(self, word: B256) -> String {
        let raw = || format!("{word} (not a valid {self})");
        match self {
            Self::Address => {
                if word.0[..12].iter().all(|b| *b == 0) {
                    Address::from_word(word).to_checksum(None)
                } else {
                    raw()
                }
            }
            Self::Uint(_) => format!("{}", U256::from_be_bytes(word.0)),
            Self::Int(_) => format!("{}", I256::from_raw(U256::from_be_bytes(word.0))),
            Self::Bool => match U256::from_be_bytes(word.0) {
                v if v.is_zero() => String::from("false"),
                v if v == U256::from(1) => String::from("true"),
                _ => raw(),
            },
            Self::FixedBytes(n) => {
                let (head, rest) = word.0.split_at(usize::from(n).min(32));
                if rest.iter().all(|b| *b == 0) {
                    format!("0x{}", alloy_primitives::hex::encode(head))
                } else {
                    raw()
                }
            }
        }
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Address => f.write_str("address"),
            Self::Uint(b) => write!(f, "uint{b}"),
            Self::Int(b) => write!(f, "int{b}"),
            Self::Bool => f.write_str("bool"),
            Self::FixedBytes(n) => write!(f, "bytes{n}"),
        }
    }
}

/// Signatures of well-known functions, so that refusals on their calls print parameters by
/// type without being told the function (ERC-20 and ERC-721 transfers and approvals).
const KNOWN: &[&str] = &[
    "transfer(address to,uint256 amount)",
    "transferFrom(address from,address to,uint256 amount)",
    "approve(address spender,uint256 amount)",
    "increaseAllowance(address spender,uint256 addedValue)",
    "decreaseAllowance(address spender,uint256 subtractedValue)",
    "safeTransferFrom(address from,address to,uint256 tokenId)",
    "setApprovalForAll(address operator,bool approved)",
];

impl FunctionLayout {
    /// The layout of a well-known function (ERC-20 `transfer`, `transferFrom`, `approve`,
    /// `increaseAllowance`, `decreaseAllowance`; ERC-721 `safeTransferFrom(address,address,
    /// uint256)`, `setApprovalForAll`) by its selector.
    pub fn known(selector: [u8; 4]) -> Option<Self> {
        KNOWN.iter().filter_map(|s| Self::parse(s).ok()).find(|f| f.selector.0 == selector)
    }

    /// The type of the one-word parameter whose head starts exactly at byte `offset` (after
    /// the selector), if there is one.
    pub fn word_type(&self, offset: u64) -> Option<ParamType> {
        self.params
            .iter()
            .find(|p| p.offset == offset && p.size == 32 && !p.dynamic)
            .and_then(|p| ParamType::parse(&p.ty))
    }
}
