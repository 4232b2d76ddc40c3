//! The `mee.` functions: answered by `smart-sessions-mee`'s evaluators.

use super::{EvalError, Res};
use serde_json::{Map, Value};

/// Whether `function` is one of the MEE vectors' (`mee.…`, crates/mee/tests/vectors/mee.json).
pub fn is_mee(function: &str) -> bool {
    function.starts_with("mee.")
}

/// A `mee.` function, answered by the MEE crate's evaluator ([`smart_sessions_mee::eval`]).
/// A function it does not know is [`EvalError::UnknownMeeFunction`]; its other errors are
/// [`EvalError::Mee`], with the MEE error as `source()`.
pub(super) fn eval_mee(function: &str, inputs: &Map<String, Value>) -> Res<Value> {
    let inputs = Value::Object(inputs.clone());
    // the crate's evaluator answers all 84 `mee.` vector functions (the node-transport ones
    // through `node::eval`)
    match smart_sessions_mee::eval(function, &inputs) {
        Err(smart_sessions_mee::EvalError::UnknownFunction { .. }) => {
            Err(EvalError::UnknownMeeFunction { function: function.into() })
        }
        other => other.map_err(|source| EvalError::Mee { function: function.into(), source }),
    }
}
