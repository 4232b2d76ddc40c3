//! An injectable clock: nonce-key lanes and default timestamps read it, so a quote request can
//! be replayed byte for byte.

use std::sync::atomic::{AtomicU64, Ordering};

/// Milliseconds since the Unix epoch (`Date.now()`).
pub trait Clock: Send + Sync {
    /// The current time in ms.
    fn now_ms(&self) -> u64;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// A clock that returns `start`, `start + step`, `start + 2·step`, … on successive reads (the
/// recorded SDK runs used `T0 + 1 ms per call`).
#[derive(Debug)]
pub struct StepClock {
    next: AtomicU64,
    step: u64,
}

impl StepClock {
    /// Starts at `start_ms`, advancing `step_ms` per read.
    pub const fn new(start_ms: u64, step_ms: u64) -> Self {
        Self { next: AtomicU64::new(start_ms), step: step_ms }
    }
}

impl Clock for StepClock {
    fn now_ms(&self) -> u64 {
        self.next.fetch_add(self.step, Ordering::Relaxed)
    }
}

/// The 24-bit nonce lane of a time: `ms % 16_777_215` (the SDK's modulus, not `2^24`).
pub const fn nonce_lane(ms: u64) -> u32 {
    (ms % 16_777_215) as u32
}
