//! An injectable clock: nonce-key lanes and default timestamps read it, so a quote request can
//! be replayed byte for byte.

use std::sync::atomic::{AtomicU64, Ordering};

/// Milliseconds since the Unix epoch (`Date.now()`).
pub trait Clock: Send + Sync {
    /// The current time in milliseconds since the Unix epoch; each call is one read (nonce
    /// lanes advance with it).
    fn now_ms(&self) -> u64;
}

/// The operating system's wall clock (`SystemTime::now`), for live use; [`MonotonicClock`] is
/// the flows' default, [`StepClock`] the one for replays.
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

/// The system clock, strictly increasing across reads (`max(now, last + 1)`), shared by every
/// clone of what holds it: every nonce key derived through it gets its own millisecond lane, so
/// concurrent supertransactions of one account (two redeemers, two tasks) never share a nonce
/// lane in this process (the SDK's process-wide `NonceManager` spaces derivations ≥ 1 ms apart
/// for the same reason). Lanes repeat after 16 777 215 reads-worth of milliseconds (≈ 4.7 h);
/// their sequence is read from the chain then. Other processes are not coordinated.
#[derive(Debug, Default)]
pub struct MonotonicClock {
    last: AtomicU64,
}

impl MonotonicClock {
    /// A clock starting at the system time.
    pub const fn new() -> Self {
        Self { last: AtomicU64::new(0) }
    }
}

impl Clock for MonotonicClock {
    fn now_ms(&self) -> u64 {
        let now = SystemClock.now_ms();
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            let next = now.max(prev.saturating_add(1));
            match self.last.compare_exchange_weak(prev, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return next,
                Err(p) => prev = p,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_reads_strictly_increase_across_threads() {
        let clock = std::sync::Arc::new(MonotonicClock::new());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let c = std::sync::Arc::clone(&clock);
                std::thread::spawn(move || (0..1000).map(|_| c.now_ms()).collect::<Vec<_>>())
            })
            .collect();
        let mut all: Vec<u64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "no two reads equal");
        assert!(all[0] + 1000 >= SystemClock.now_ms() - 60_000, "near the system time");
    }
}
