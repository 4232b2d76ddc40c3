//! [`DemoError`]: why `smart-sessions demo` stopped, naming the step and keeping the cause.

use alloy_primitives::U256;
use std::error::Error as StdError;

/// Why the demo stopped: the devnet did not start, or a step of the story failed (the step's
/// name, the library error as `source()`), or a step answered otherwise than the story promises.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The embedded devnet (anvil, Alto, the contracts) did not start.
    #[error("devnet: {0}")]
    Devnet(#[source] smart_sessions_devnet::DevnetError),
    /// A step's library or node call failed.
    #[error("{step}: {source}")]
    Step {
        /// The story's step (as the summary names it).
        step: &'static str,
        /// The client's, devnet's or node's error.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// A step answered otherwise than the story promises.
    #[error("{step}: {seen}")]
    Unexpected {
        /// The story's step.
        step: &'static str,
        /// What it answered instead.
        seen: Unexpected,
    },
    /// The story failed with `--keep`: the devnet it leaves running, to stop by hand.
    #[error("{source} (devnet left running: kill {})", pids_list(pids))]
    Kept {
        /// Why the story stopped.
        #[source]
        source: Box<Self>,
        /// The processes left running (anvil, Alto).
        pids: Vec<u32>,
    },
}

/// What a step answered instead of what the story promises.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Unexpected {
    /// The devnet has no bundler URL.
    #[error("no bundler")]
    NoBundler,
    /// `prepare` found Smart Sessions installed on a fresh account.
    #[error("already prepared")]
    AlreadyPrepared,
    /// The granted details carry no session.
    #[error("no session in the details")]
    NoSession,
    /// The session's budget list is empty, or its first budget is not the rule's.
    #[error("no rule budget among {count} budgets")]
    NoRuleBudget {
        /// How many budgets the client read.
        count: usize,
    },
    /// A call the story expects refused went through.
    #[error("{expected}")]
    NotRefused {
        /// Who should have refused it (`the off-chain check should refuse 700`, …).
        expected: &'static str,
    },
    /// The off-chain check refused, but not with a policy refusal.
    #[error("expected an off-chain refusal, got: {0}")]
    OtherRefusal(#[source] smart_sessions_client::FlowError),
    /// The recipient's balance after the story is not what the one accepted transfer leaves.
    #[error("the recipient holds {held} instead of {expected}")]
    Balance {
        /// What the token's `balanceOf` answered.
        held: U256,
        /// What the story sent (400).
        expected: U256,
    },
}

fn pids_list(pids: &[u32]) -> String {
    pids.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
}

/// `map_err` for a step: the error boxed as the step's `source()`.
pub(super) fn at<E: StdError + Send + Sync + 'static>(
    step: &'static str,
) -> impl FnOnce(E) -> DemoError {
    move |e| DemoError::Step { step, source: Box::new(e) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_devnet_names_its_processes_and_keeps_the_cause() {
        let inner = DemoError::Unexpected {
            step: "remaining budget",
            seen: Unexpected::NoRuleBudget { count: 0 },
        };
        let e = DemoError::Kept { source: Box::new(inner), pids: vec![10, 11] };
        assert_eq!(
            e.to_string(),
            "remaining budget: no rule budget among 0 budgets (devnet left running: kill 10 11)"
        );
        // thiserror hands out the boxed error itself as the source
        let source = e.source().unwrap().downcast_ref::<Box<DemoError>>().unwrap();
        assert!(matches!(**source, DemoError::Unexpected { step: "remaining budget", .. }));
    }

    #[test]
    fn a_step_error_keeps_the_library_error() {
        let parse = "x".parse::<u64>().unwrap_err();
        let e = at("install Smart Sessions")(parse.clone());
        assert_eq!(e.to_string(), format!("install Smart Sessions: {parse}"));
        assert!(e.source().unwrap().is::<std::num::ParseIntError>());
    }
}
