//! Runs every `mee.` vector of `tests/vectors/mee.json` (recorded from @biconomy/abstractjs
//! 1.2.3, copied from the shared vector file) that this crate answers through
//! `smart_sessions_mee::eval`, and compares the result with the recorded output.
//!
//! Comparison: `serde_json::Value` equality, except that `0x` hex strings compare
//! case-insensitively (the SDK echoes addresses in whatever case it was given, EIP-55 case
//! carries no data). A recorded output starting with `revert` passes iff `eval` returns an error.
//!
//! Two inputs the vector file does not carry are supplied here, each labelled:
//! - `mee.quoteRequest` of `usePermission` names its `sessionDetails` as "G<n> (grant vector
//!   n)": they are replaced by **our own** `eval` output of that grant vector (so the grant →
//!   use chain is tested). G1 = grantPermissionTypedDataSign[0], G2 =
//!   grantPermissionPersonalSign[0], G4 = grantPermissionPersonalSign[1] (matched by salt).
//! - The nonce lanes are `Date.now()` readings of a running recorded process; the vector does not
//!   say which reading each quote's first nonce took. `nonceClockStartMs` gives it: T0+1 for the
//!   prepare runs (the default), T0+5, T0+15 and T0+21 for the three usePermission quotes
//!   (their position in the recorded run). Every other nonce of a quote (payment first, then
//!   userOps in the account's deployment order, +1 ms each) is then checked.

use serde_json::Value;
use smart_sessions_mee::{EVAL_FUNCTIONS, eval};

const T0: u64 = 1_767_225_600_000;

/// Addresses the vector's inputs write in lower case: the SDK echoes the caller's text there
/// (e.g. an `actionTarget`), while we write every address checksummed.
fn lowercase_input_addresses(v: &Value, out: &mut std::collections::HashSet<String>) {
    match v {
        Value::String(s) if s.len() == 42 && s.starts_with("0x") && *s == s.to_lowercase() => {
            out.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|v| lowercase_input_addresses(v, out)),
        Value::Object(o) => o.values().for_each(|v| lowercase_input_addresses(v, out)),
        _ => {}
    }
}

/// What the comparison ignores: the letter case of hex DATA (bytes, hashes, signatures: the
/// same bytes whatever the case), and of an address only where the SDK echoed the caller's
/// lower-case text. Every other address must match the SDK's letters exactly (EIP-55).
fn norm(v: &Value, echoed: &std::collections::HashSet<String>) -> Value {
    match v {
        Value::String(s) if s.starts_with("0x") => {
            let address = s.len() == 42 && !echoed.contains(&s.to_lowercase());
            Value::String(if address { s.clone() } else { s.to_lowercase() })
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| norm(v, echoed)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), norm(v, echoed))).collect())
        }
        other => other.clone(),
    }
}

fn first_diff(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => {
                        if let Some(d) = first_diff(p, q, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                    (p, q) => {
                        return Some(format!(
                            "{path}.{k}: present here {}, in the vector {}",
                            p.is_some(),
                            q.is_some()
                        ));
                    }
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: length {} vs {}", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| first_diff(p, q, &format!("{path}[{i}]")))
        }
        (p, q) if p == q => None,
        (p, q) => {
            let cut = |v: &Value| v.to_string().chars().take(200).collect::<String>();
            Some(format!("{path}: got {}, want {}", cut(p), cut(q)))
        }
    }
}

fn load() -> Vec<Value> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/mee.json"))
            .unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    file["vectors"].as_array().unwrap().clone()
}

fn prepare_inputs(vectors: &[Value], v: &Value) -> Value {
    let mut inputs = v["inputs"].clone();
    if v["function"] != "mee.quoteRequest" {
        return inputs;
    }
    if let Some(r) = inputs["params"]["sessionDetails"].as_str().map(str::to_owned) {
        let (f, k) = match &r[..2] {
            "G1" => ("mee.grantPermissionTypedDataSign", 0),
            "G2" => ("mee.grantPermissionPersonalSign", 0),
            "G4" => ("mee.grantPermissionPersonalSign", 1),
            other => panic!("unknown grant reference {other}"),
        };
        let grant = vectors.iter().filter(|x| x["function"] == f).nth(k).unwrap();
        let ours = eval(f, &grant["inputs"]).expect("our grant of the referenced vector");
        inputs["params"]["sessionDetails"] = ours;
        let start = match &r[..2] {
            "G1" => T0 + 5,
            "G2" => T0 + 15,
            _ => T0 + 21,
        };
        inputs["nonceClockStartMs"] = Value::from(start);
    }
    inputs
}

#[test]
fn every_mee_vector_passes_through_eval() {
    let vectors = load();
    assert_eq!(vectors.len(), 84, "the vector file holds 84 vectors");
    let (mut pass, mut fail) = (0, Vec::new());
    for (n, v) in vectors.iter().enumerate() {
        let f = v["function"].as_str().unwrap();
        assert!(EVAL_FUNCTIONS.contains(&f), "vector {n}: {f} is not answered by eval");
        // `mee.info.response` records only the answer's shape (its inputs hold a note): the
        // recorded answer goes in and must come out as accepted (as in node_vectors.rs).
        // The second `mee.http.request` vector points at the first quote request for its body and
        // records only the body text's prefix (as in node_vectors.rs).
        let inputs = if f == "mee.info.response" {
            serde_json::json!({ "response": v["output"] })
        } else if f == "mee.http.request" && v["inputs"]["body"].get("note").is_some() {
            let mut inputs = v["inputs"].clone();
            inputs["body"] = vectors
                .iter()
                .find(|q| q["function"] == "mee.quoteRequest")
                .map(|q| q["output"].clone())
                .unwrap();
            let got = eval(f, &inputs).expect("the quote request is sent");
            let prefix = v["output"]["bodyTextPrefix"].as_str().unwrap();
            let same_head =
                got["url"] == v["output"]["url"] && got["headers"] == v["output"]["headers"];
            if same_head && got["body"].as_str().is_some_and(|b| b.starts_with(prefix)) {
                pass += 1;
            } else {
                fail.push(format!("#{n} {f}: {got} does not start with the SDK's {prefix}"));
            }
            continue;
        } else {
            prepare_inputs(&vectors, v)
        };
        let want = &v["output"];
        let mut echoed = std::collections::HashSet::new();
        lowercase_input_addresses(&v["inputs"], &mut echoed);
        let got = eval(f, &inputs);
        let ok = match (&got, want.as_str()) {
            (Err(_), Some(w)) if w.starts_with("revert") => true,
            (Ok(g), _) => match first_diff(&norm(g, &echoed), &norm(want, &echoed), "output") {
                None => true,
                Some(d) => {
                    fail.push(format!("#{n} {f}: {d}"));
                    false
                }
            },
            (Err(e), _) => {
                fail.push(format!("#{n} {f}: error {e}"));
                false
            }
        };
        if ok {
            pass += 1;
        }
    }
    eprintln!("mee vectors: {pass} pass, {} fail", fail.len());
    assert!(fail.is_empty(), "failures:\n{}", fail.join("\n"));
    assert_eq!(pass, 84);
}

#[test]
fn grant_digests_match_the_recorded_permission_enable_hash() {
    // the grant vectors record the digest the owner signed and the signer's address; our
    // signature must recover to that signer over that digest
    use alloy_primitives::{Address, B256, Signature};
    for v in load()
        .iter()
        .filter(|v| v["function"].as_str().unwrap_or("").starts_with("mee.grantPermission"))
    {
        let out = eval(v["function"].as_str().unwrap(), &v["inputs"]).unwrap();
        let sig: Signature = out[0]["enableSessionData"]["enableSession"]["permissionEnableSig"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let hash: B256 = v["permissionEnableHash"].as_str().unwrap().parse().unwrap();
        let signer: Address = v["permissionEnableSigner"].as_str().unwrap().parse().unwrap();
        let recovered = if v["function"] == "mee.grantPermissionTypedDataSign" {
            sig.recover_address_from_prehash(&hash).unwrap()
        } else {
            sig.recover_address_from_msg(hash.as_slice()).unwrap()
        };
        assert_eq!(recovered, signer);
    }
}
