//! The node's `GET info` answer: which chains and fee-token chains it serves.

use serde_json::{Map, Value};

use super::ShapeError;

/// What `GET info` returned, with the two lists the SDK reads.
///
/// `createMeeClient` refuses an account with a chain outside `supportedChains[].chainId`
/// (compared as `Number`), and `getQuote` refuses a fee token whose chain is outside
/// `supportedGasTokens[].chainId` (the token address itself is not checked there). The whole
/// answer is kept as the node sent it ([`NodeInfo::as_json`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    raw: Map<String, Value>,
    supported_chains: Vec<u64>,
    gas_token_chains: Vec<u64>,
}

impl NodeInfo {
    /// Reads an `info` answer. `supportedChains` must be an array of objects whose `chainId` is a
    /// chain id as a number or a decimal or `0x` string; `supportedGasTokens` likewise, and may be
    /// absent (no fee tokens: sponsorship only).
    ///
    /// ```
    /// use serde_json::json;
    /// use smart_sessions_mee::node::NodeInfo;
    ///
    /// let info = NodeInfo::from_json(json!({
    ///     "supportedChains": [{"chainId": "10"}, {"chainId": "8453"}],
    ///     "supportedGasTokens": [{"chainId": "8453", "paymentTokens": []}],
    /// }))?;
    /// assert_eq!(info.unsupported_chains(&[8453, 1]), vec![1]);
    /// assert!(info.supports_fee_chain(8453));
    /// # Ok::<(), smart_sessions_mee::node::ShapeError>(())
    /// ```
    pub fn from_json(value: Value) -> Result<Self, ShapeError> {
        let Value::Object(raw) = value else {
            return Err(ShapeError::new("", "a JSON object"));
        };
        let supported_chains = chain_ids(&raw, "supportedChains", true)?;
        let gas_token_chains = chain_ids(&raw, "supportedGasTokens", false)?;
        Ok(Self { raw, supported_chains, gas_token_chains })
    }

    /// `supportedChains[].chainId`, in the node's order.
    pub fn supported_chains(&self) -> &[u64] {
        &self.supported_chains
    }

    /// `supportedGasTokens[].chainId`, in the node's order.
    pub fn gas_token_chains(&self) -> &[u64] {
        &self.gas_token_chains
    }

    /// The chains of `chains` the node does not serve (empty: all served), in the given order.
    /// The SDK throws "Some account chains are not supported by the MEE node" unless it is empty.
    pub fn unsupported_chains(&self, chains: &[u64]) -> Vec<u64> {
        chains.iter().copied().filter(|c| !self.supported_chains.contains(c)).collect()
    }

    /// Whether fee tokens on `chain_id` are accepted (the SDK's check before quoting).
    pub fn supports_fee_chain(&self, chain_id: u64) -> bool {
        self.gas_token_chains.contains(&chain_id)
    }

    /// The node's `version` string, if any.
    pub fn version(&self) -> Option<&str> {
        self.raw.get("version").and_then(Value::as_str)
    }

    /// The answer as the node sent it.
    pub const fn as_json(&self) -> &Map<String, Value> {
        &self.raw
    }
}

fn chain_ids(raw: &Map<String, Value>, list: &str, required: bool) -> Result<Vec<u64>, ShapeError> {
    let items = match raw.get(list) {
        Some(Value::Array(items)) => items,
        None if !required => return Ok(Vec::new()),
        _ => return Err(ShapeError::new(list, "an array")),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.get("chainId")
                .and_then(js_chain_id)
                .ok_or_else(|| ShapeError::new(format!("{list}[{i}].chainId"), "a chain id"))
        })
        .collect()
}

/// `Number(chainId)` for the forms a chain id takes: a JSON integer, a decimal string, a `0x`
/// string (surrounding white space allowed, as `Number` allows it).
pub(crate) fn js_chain_id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
                None => None,
            }
        }
        _ => None,
    }
}
