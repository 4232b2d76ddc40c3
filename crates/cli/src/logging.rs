//! The CLI's tracing subscriber: `RUST_LOG` (`target=level` directives, comma separated) or
//! `-v` (info of this workspace's crates), `-vv` (debug of everything), `-vvv` (trace), on
//! standard error. Every field, span fields included, goes through [`crate::text::printable`]:
//! alloy's transport spans carry the node's and bundler's URLs (`ReqwestTransport{url=…}`) and
//! are printed redacted, a response body with control characters is escaped and bounded.
//! Without `RUST_LOG` or `-v` nothing is logged.

use std::str::FromStr;
use tracing_subscriber::{
    field::MakeExt,
    filter::{LevelFilter, Targets},
    fmt::format::debug_fn,
    prelude::*,
};

/// The crates of this workspace (what `-v` shows at info level).
const OWN: [&str; 5] = [
    "smart_sessions_cli",
    "smart_sessions_client",
    "smart_sessions_policy",
    "smart_sessions_codec",
    "smart_sessions_mee",
];

/// The filter for `verbose` (the number of `-v`) and `rust_log` (`$RUST_LOG`); `None` logs
/// nothing. An unparsable `RUST_LOG` is reported and ignored.
///
/// ```
/// use smart_sessions_cli::logging::filter;
/// use tracing_subscriber::filter::LevelFilter;
///
/// assert!(filter(0, None).is_none()); // no `-v`, no `RUST_LOG`: no logs
/// assert_eq!(filter(2, None).unwrap().default_level(), Some(LevelFilter::DEBUG));
/// // `RUST_LOG` wins over `-v`: only its targets are logged
/// let t = filter(2, Some("smart_sessions_mee=trace")).unwrap();
/// assert_eq!(t.default_level(), None);
/// ```
pub fn filter(verbose: u8, rust_log: Option<&str>) -> Option<Targets> {
    if let Some(spec) = rust_log.filter(|s| !s.trim().is_empty()) {
        match Targets::from_str(spec) {
            Ok(t) => return Some(t),
            Err(e) => eprintln!("warning: RUST_LOG ignored: {e}"),
        }
    }
    match verbose {
        0 => None,
        1 => Some(OWN.iter().fold(Targets::new().with_default(LevelFilter::WARN), |t, c| {
            t.with_target(*c, LevelFilter::INFO)
        })),
        2 => Some(Targets::new().with_default(LevelFilter::DEBUG)),
        _ => Some(Targets::new().with_default(LevelFilter::TRACE)),
    }
}

/// Installs the subscriber (see the module documentation); does nothing when nothing is to be
/// logged or a subscriber is already installed.
pub fn init(verbose: u8) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let Some(targets) = filter(verbose, rust_log.as_deref()) else { return };
    let fields = debug_fn(|w, field, value| {
        let v = crate::text::printable(&format!("{value:?}"));
        if field.name() == "message" { write!(w, "{v}") } else { write!(w, "{}={v}", field.name()) }
    })
    .delimited(" ");
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .fmt_fields(fields)
        .with_filter(targets);
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
