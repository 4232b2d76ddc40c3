//! The MEE node's REST API as `@biconomy/abstractjs` 1.2.3 speaks it.
