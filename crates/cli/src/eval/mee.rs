//! The `mee.` functions: answered by `smart-sessions-mee`'s evaluators.

use super::{Res, err};
use serde_json::{Map, Value};

/// Whether `function` is one of the MEE vectors' (`mee.…`, crates/mee/tests/vectors/mee.json).
pub fn is_mee(function: &str) -> bool {
    function.starts_with("mee.")
}

/// A `mee.` function, answered by the MEE crate's evaluators in turn (each answers `None` for a
/// function that is not its own); the first that answers wins. Errors keep their `source()`
/// chain in the message.
pub(super) fn eval_mee(function: &str, inputs: &Map<String, Value>) -> Res<Value> {
    let inputs = Value::Object(inputs.clone());
    // the crate's evaluator answers all 84 `mee.` vector functions (the node-transport ones
    // through `node::eval`)
    match smart_sessions_mee::eval(function, &inputs) {
        Err(smart_sessions_mee::EvalError::UnknownFunction(_)) => {
            Err(err(format!("unknown function {function:?}: no MEE evaluator answers it")))
        }
        other => mee_answer(other),
    }
}

fn mee_answer<E: std::error::Error>(r: Result<Value, E>) -> Res<Value> {
    r.map_err(|e| err(crate::text::with_causes(&e)))
}
