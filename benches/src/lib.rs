//! Benchmarks only: see `benches/codec.rs` and BENCHMARKS.md.
