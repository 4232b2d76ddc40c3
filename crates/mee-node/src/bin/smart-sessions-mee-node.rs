//! Runs the local MEE stack (two devnet chains, the node's contracts, the node) until SIGINT or
//! SIGTERM, after printing its summary (MEE URL, API key, RPC URLs, addresses, MEE version table)
//! as one JSON line on standard output. Everything it started stops when it exits, so a caller
//! (e.g. `cargo xtask devnet up --mee`) starts it as a child process and stops it by PID.

use smart_sessions_mee_node::MeeDevnet;

fn main() -> std::process::ExitCode {
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
            Ok(r) => r,
            Err(e) => {
                eprintln!("smart-sessions-mee-node: cannot start the runtime: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
    runtime.block_on(async {
        let mee = match MeeDevnet::start().await {
            Ok(m) => m,
            Err(e) => {
                let mut msg = e.to_string();
                let mut cur = std::error::Error::source(&e);
                while let Some(c) = cur {
                    msg.push_str(": ");
                    msg.push_str(&c.to_string());
                    cur = c.source();
                }
                eprintln!("smart-sessions-mee-node: {msg}");
                return std::process::ExitCode::FAILURE;
            }
        };
        println!("{}", mee.summary());
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("smart-sessions-mee-node: cannot listen for SIGTERM: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        drop(mee);
        std::process::ExitCode::SUCCESS
    })
}
