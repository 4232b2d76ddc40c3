//! The node client's answers to the vector functions `mee.http.request`, `mee.http.bodyJson`,
//! `mee.parseErrorMessage`, `mee.receiptStatus` and `mee.info.response` (the `smart-sessions
//! eval` interface: `inputs` in, `output` out).

use serde_json::{Map, Value, json};

use super::{
    ApiKey, ConfigError, HttpMethod, NodeInfo, NodeUrl, PreparedRequest, ReceiptMode, ShapeError,
    body_text, parse_error_message, parse_transaction_status,
};

/// Why an eval input could not be answered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A required input is missing or has the wrong type.
    #[error("{function}: input `{field}` is missing or not {expected}")]
    Input {
        /// The vector function asked for (e.g. `mee.http.request`).
        function: &'static str,
        /// The key in `inputs` that is missing or mistyped (e.g. `baseUrl`).
        field: &'static str,
        /// The JSON type the input must have (e.g. "a string").
        expected: &'static str,
    },
    /// The URL or key inputs are not usable.
    #[error("{function}: invalid client configuration")]
    Config {
        /// The vector function asked for (e.g. `mee.http.request`).
        function: &'static str,
        /// Why the `baseUrl` / `apiKey` inputs were refused.
        #[source]
        source: ConfigError,
    },
    /// The response input has the wrong shape.
    #[error("{function}: unexpected response shape")]
    Shape {
        /// The vector function asked for (e.g. `mee.http.request`).
        function: &'static str,
        /// Where the response input departs from the node's answer shape.
        #[source]
        source: ShapeError,
    },
}

/// Answers a node-client vector function; `None` for any other function.
///
/// | function | inputs | output |
/// |---|---|---|
/// | `mee.http.request` | `baseUrl`, `apiKey`? (empty: none), `path`, `method`? (`GET`/`POST`, default `POST`), `body`? (JS-tagged, see below) | `{url, method, headers: {"content-type", "x-api-key"?}, body: text \| null}` |
/// | `mee.http.bodyJson` | `value` (JS-tagged) | the body text viem's `stringify` gives |
/// | `mee.parseErrorMessage` | `error` (any JSON) | the message string |
/// | `mee.receiptStatus` | `explorerUserOps` (payment op first), `mode`? (`default`/`fast-block`) | `{transactionStatus, isFinalised, message, throws: string \| null, keepPolling}` |
/// | `mee.info.response` | `response` (an `info` answer) | the answer as accepted (error if the SDK's fields do not read) |
///
/// JS-tagged values write JavaScript values JSON cannot: `{"bigint": "<decimal>"}` is a bigint,
/// `{"undefined": true}` is `undefined`.
///
/// ```
/// use serde_json::json;
/// use smart_sessions_mee::node::eval;
///
/// let out = eval("mee.parseErrorMessage", &json!({"error": "Error: boom"})).unwrap().unwrap();
/// assert_eq!(out, json!("boom"));
/// assert!(eval("mee.userOpHash", &json!({})).is_none());
/// ```
pub fn eval(function: &str, inputs: &Value) -> Option<Result<Value, EvalError>> {
    Some(match function {
        "mee.http.request" => http_request(inputs),
        "mee.http.bodyJson" => body_json(inputs),
        "mee.parseErrorMessage" => match inputs.get("error") {
            Some(error) => Ok(Value::String(parse_error_message(error))),
            None => Err(input("mee.parseErrorMessage", "error", "present")),
        },
        "mee.receiptStatus" => receipt_status(inputs),
        "mee.info.response" => info_response(inputs),
        _ => return None,
    })
}

const fn input(function: &'static str, field: &'static str, expected: &'static str) -> EvalError {
    EvalError::Input { function, field, expected }
}

fn str_input<'a>(
    inputs: &'a Value,
    function: &'static str,
    field: &'static str,
) -> Result<&'a str, EvalError> {
    inputs.get(field).and_then(Value::as_str).ok_or_else(|| input(function, field, "a string"))
}

fn http_request(inputs: &Value) -> Result<Value, EvalError> {
    const F: &str = "mee.http.request";
    let base = NodeUrl::parse(str_input(inputs, F, "baseUrl")?)
        .map_err(|source| EvalError::Config { function: F, source })?;
    let key = match inputs.get("apiKey") {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) if k.is_empty() => None,
        Some(Value::String(k)) => Some(
            ApiKey::new(k.as_str()).map_err(|source| EvalError::Config { function: F, source })?,
        ),
        Some(_) => return Err(input(F, "apiKey", "a string")),
    };
    let path = str_input(inputs, F, "path")?;
    let method = match inputs.get("method").map(Value::as_str) {
        None | Some(Some("POST")) => HttpMethod::Post,
        Some(Some("GET")) => HttpMethod::Get,
        Some(_) => return Err(input(F, "method", "\"GET\" or \"POST\"")),
    };
    // `...(body ? {body: stringify(body)} : {})`
    let body = inputs.get("body").and_then(untag).filter(super::parse_error::js_truthy);
    let request = PreparedRequest::new(&base, key.as_ref(), method, path, body.as_ref());
    let mut headers = Map::new();
    for (name, value) in &request.headers() {
        let value = value.to_str().unwrap_or_default();
        headers.insert(name.as_str().to_owned(), Value::String(value.to_owned()));
    }
    Ok(json!({
        "url": request.url().as_str(),
        "method": method.as_str(),
        "headers": headers,
        "body": request.body(),
    }))
}

fn body_json(inputs: &Value) -> Result<Value, EvalError> {
    let value =
        inputs.get("value").ok_or_else(|| input("mee.http.bodyJson", "value", "present"))?;
    // `JSON.stringify(undefined)` is undefined: answered as null.
    Ok(untag(value).map_or(Value::Null, |v| Value::String(body_text(&v))))
}

/// A JS-tagged value as the body the SDK would build: bigints become decimal strings,
/// `undefined` members vanish, `undefined` array entries become `null` (as `JSON.stringify`).
/// `None` is `undefined` itself.
fn untag(value: &Value) -> Option<Value> {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(Value::String(n)) = map.get("bigint") {
                    return Some(Value::String(n.clone()));
                }
                if map.get("undefined") == Some(&Value::Bool(true)) {
                    return None;
                }
            }
            Some(Value::Object(
                map.iter().filter_map(|(k, v)| untag(v).map(|v| (k.clone(), v))).collect(),
            ))
        }
        Value::Array(items) => {
            Some(Value::Array(items.iter().map(|v| untag(v).unwrap_or(Value::Null)).collect()))
        }
        other => Some(other.clone()),
    }
}

fn receipt_status(inputs: &Value) -> Result<Value, EvalError> {
    const F: &str = "mee.receiptStatus";
    let ops = inputs
        .get("explorerUserOps")
        .and_then(Value::as_array)
        .ok_or_else(|| input(F, "explorerUserOps", "an array"))?;
    let mode = match inputs.get("mode") {
        None => ReceiptMode::Default,
        Some(m) => m
            .as_str()
            .and_then(ReceiptMode::from_name)
            .ok_or_else(|| input(F, "mode", "\"default\" or \"fast-block\""))?,
    };
    // getSupertransactionReceipt: `userOps.slice(1)`, then parseTransactionStatus.
    let fold = parse_transaction_status(ops.get(1..).unwrap_or_default(), mode);
    let throws =
        fold.status.is_failure().then(|| parse_error_message(&Value::String(fold.message.clone())));
    let keep_polling = throws.is_none() && !fold.is_finalised;
    Ok(json!({
        "transactionStatus": fold.status.as_str(),
        "isFinalised": fold.is_finalised,
        "message": fold.message,
        "throws": throws,
        "keepPolling": keep_polling,
    }))
}

fn info_response(inputs: &Value) -> Result<Value, EvalError> {
    const F: &str = "mee.info.response";
    let response = inputs.get("response").ok_or_else(|| input(F, "response", "an info answer"))?;
    let info = NodeInfo::from_json(response.clone())
        .map_err(|source| EvalError::Shape { function: F, source })?;
    Ok(Value::Object(info.as_json().clone()))
}
