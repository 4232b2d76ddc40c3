//! `smart-sessions`: ERC-7579 Smart Sessions from the command line.

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Map, Value, json};
use smart_sessions_cli::{eval::eval_stream, redact, text::printable};
use smart_sessions_codec::Generation;
use std::{
    io::{self, BufReader, BufWriter},
    path::PathBuf,
    process::ExitCode,
};

#[derive(Parser, Debug)]
#[command(
    name = "smart-sessions",
    version,
    about = "ERC-7579 Smart Sessions: encode, check and use session keys",
    after_help = "The grouped tools also take their spaced spellings: `policy encode`, `signature decode`, `digest session`, ….\nExit codes: 0 success, 1 the operation failed, 2 usage error, 3 a user operation may have executed (outcome unknown: its hash is printed; look it up with `op wait HASH` before sending again)."
)]
struct Cli {
    /// Print one JSON line instead of text: `{"output": …}` or `{"error": …}`.
    #[arg(long, global = true)]
    json: bool,
    /// Log what happens on standard error: `-v` this toolkit's steps, `-vv` debug (transports
    /// included), `-vvv` trace. `RUST_LOG=target=level,…` overrides. URLs are logged redacted.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// SmartSession generation: legacy (module-sdk 0.1.x), v1 (0.2.x) or current (0.4.0).
    #[arg(long, global = true, value_enum, default_value_t = Gen::Current)]
    generation: Gen,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Gen {
    Legacy,
    V1,
    Current,
}

impl Gen {
    const fn generation(self) -> Generation {
        match self {
            Self::Legacy => Generation::Legacy,
            Self::V1 => Generation::V1,
            Self::Current => Generation::Current,
        }
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The whole Smart Sessions story, live, on an embedded devnet: account, install, trust,
    /// grant, use, remaining budget, an off-chain and an on-chain refusal, ENABLE_AND_USE,
    /// enabled permissions, revoke.
    #[cfg(feature = "devnet")]
    #[command(
        after_help = "Examples:\n  smart-sessions demo\n  smart-sessions demo --keep\n  smart-sessions --json demo"
    )]
    Demo {
        /// Leave the devnet running and print how to reach it (with `--mee`: the stack runs
        /// until Ctrl-C or SIGTERM).
        #[arg(long)]
        keep: bool,
        /// Seed 003's Complete Flow through a local MEE node on two devnet chains instead of the
        /// ERC-4337 story.
        #[arg(long)]
        mee: bool,
    },
    /// Answer JSON requests line by line, as the shared test vectors pose them.
    ///
    /// Each input line is `{"function": NAME, "generation": "current"|"v1"|"legacy", "inputs": {...}}`;
    /// each output line is `{"output": ...}` or `{"error": "..."}`, in order. A malformed line
    /// gives an error line and processing continues.
    #[command(
        after_help = "Example:\n  echo '{\"function\":\"getActionId\",\"generation\":\"current\",\"inputs\":{\"target\":\"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48\",\"selector\":\"0xa9059cbb\"}}' | smart-sessions eval"
    )]
    Eval {
        /// Read requests from this file instead of standard input.
        file: Option<PathBuf>,
    },
    /// An MEE node: `mee info` (version, chains), `mee receipt HASH` (a supertransaction's
    /// status), and seed 003's session flows `mee prepare|grant|use|status`. `--mee-url` /
    /// `$SMART_SESSIONS_MEE_URL`, `--api-key` / `$SMART_SESSIONS_MEE_API_KEY`, `--rpc-url
    /// CHAIN_ID=URL` / `$SMART_SESSIONS_MEE_RPC_URLS` (never printed).
    Mee {
        #[command(subcommand)]
        command: smart_sessions_cli::mee::MeeCommand,
    },
    #[command(flatten)]
    Tool(smart_sessions_cli::tools::ToolCommand),
    #[command(flatten)]
    Net(smart_sessions_cli::net::NetCommand),
}

fn run_eval(file: Option<PathBuf>) -> io::Result<()> {
    let out = BufWriter::new(io::stdout().lock());
    match file {
        Some(path) => {
            let reader = smart_sessions_cli::input::open(&path, "eval FILE")
                .map_err(|e| io::Error::other(e.to_string()))?;
            eval_stream(BufReader::new(reader), out)
        }
        None => eval_stream(io::stdin().lock(), out),
    }
}

fn print(value: &Value, json: bool) {
    if json {
        println!("{}", json!({ "output": value }));
        return;
    }
    match value {
        Value::String(s) => println!("{s}"),
        Value::Object(m) => print_object(m, ""),
        other => println!("{}", serde_json::to_string_pretty(other).unwrap_or_default()),
    }
}

fn print_object(m: &Map<String, Value>, indent: &str) {
    for (k, v) in m {
        match v {
            Value::Object(inner) => {
                println!("{indent}{k}:");
                print_object(inner, &format!("{indent}  "));
            }
            Value::String(s) => println!("{indent}{k}: {s}"),
            other => println!("{indent}{k}: {other}"),
        }
    }
}

/// Prints an error as one line (JSON on standard output with `--json`, else on standard error)
/// through [`printable`]: URLs redacted, control characters escaped, length bounded.
fn report(message: &str, json: bool, code: u8) -> ExitCode {
    let m = printable(message);
    if json {
        println!("{}", json!({ "error": m }));
    } else {
        eprintln!("error: {m}");
    }
    ExitCode::from(code)
}

/// Accepts the spaced spellings of the grouped tools (`policy encode`, `policy check`,
/// `signature use|encode|decode`, `digest session|multichain`) as their hyphenated subcommands.
fn normalize(args: Vec<String>) -> Vec<String> {
    const GROUPS: [(&str, &[&str]); 3] = [
        ("policy", &["encode", "check"]),
        ("signature", &["use", "encode", "decode"]),
        ("digest", &["session", "multichain"]),
    ];
    let mut i = 1;
    // skip the global options before the subcommand
    while i < args.len() && args[i].starts_with('-') {
        i += if args[i] == "--generation" { 2 } else { 1 };
    }
    if let (Some(group), Some(sub)) = (args.get(i), args.get(i + 1))
        && GROUPS.iter().any(|(g, subs)| g == group && subs.contains(&sub.as_str()))
    {
        let mut out = args[..i].to_vec();
        out.push(format!("{group}-{sub}"));
        out.extend_from_slice(&args[i + 2..]);
        return out;
    }
    args
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| report(&e.to_string(), false, 1))
}

#[cfg(feature = "devnet")]
fn demo(keep: bool, json: bool) -> ExitCode {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(smart_sessions_cli::demo::run(keep, json)) {
        Ok(demo) => {
            if json {
                println!("{}", json!({ "output": demo }));
            } else {
                println!("{}", smart_sessions_cli::demo::table(&demo));
            }
            ExitCode::SUCCESS
        }
        Err(e) => report(&e.to_string(), json, 1),
    }
}

#[cfg(feature = "devnet")]
/// `demo --mee`: starts the local MEE stack (two anvil chains, the node), runs seed 003's
/// Complete Flow through it and prints each step (name, supertransaction, fee, node calls and
/// chain reads next to what abstractjs sends, latency); exit 1 on the first failed step.
fn demo_mee(keep: bool, json: bool) -> ExitCode {
    use smart_sessions_cli::mee_flow::{MeeDemoStep, run_demo};
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    rt.block_on(async {
        if !json {
            eprintln!("starting the local MEE stack (two anvil chains, contracts, node) ...");
        }
        let mee = match smart_sessions_mee_node::MeeDevnet::start().await {
            Ok(m) => m,
            Err(e) => {
                return report(&printable(&smart_sessions_cli::text::with_causes(&e)), json, 1);
            }
        };
        let summary = mee.summary();
        let steps: Result<Vec<MeeDemoStep>, _> = run_demo(&summary).await;
        let code = match steps {
            Ok(steps) => {
                if json {
                    let steps: Vec<Value> = steps.iter().map(MeeDemoStep::to_json).collect();
                    let kept = if keep { summary.clone() } else { Value::Null };
                    println!("{}", json!({ "output": { "steps": steps, "kept": kept } }));
                } else {
                    println!(
                        "{:<34} {:>6} {:>6} {:>8}  {:<28} detail",
                        "step", "node", "chain", "ms", "abstractjs node calls"
                    );
                    for s in &steps {
                        println!(
                            "{:<34} {:>6} {:>6} {:>8}  {:<28} {}",
                            s.name,
                            s.round_trips.node,
                            s.round_trips.chain,
                            s.latency.as_millis(),
                            s.sdk_node_calls,
                            printable(&s.detail)
                        );
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => report(&printable(&smart_sessions_cli::text::with_causes(&e)), json, 1),
        };
        if keep && code == ExitCode::SUCCESS {
            if !json {
                println!("\n{summary}\nrunning until Ctrl-C or SIGTERM");
            }
            let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
            match term {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        drop(mee);
        code
    })
}

fn net(net: &smart_sessions_cli::net::NetCommand, g: Generation, json: bool) -> ExitCode {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(smart_sessions_cli::net::run(net, g)) {
        Ok(v) => {
            print(&v, json);
            ExitCode::SUCCESS
        }
        // the operation may have run: its hash, and never a retry
        Err(e) if let Some(u) = e.unknown_outcome() => {
            let m = match &u.cause {
                Some(c) => printable(&format!("{e}: {c}")),
                None => printable(&e.to_string()),
            };
            if json {
                let mut line = json!({ "error": m });
                if let (Some(line), Value::Object(extra)) = (line.as_object_mut(), u.to_json()) {
                    line.extend(extra);
                }
                println!("{line}");
            } else {
                eprintln!("error: {m}");
                eprintln!("{}", u.hint());
            }
            ExitCode::from(smart_sessions_cli::net::EXIT_OUTCOME_UNKNOWN)
        }
        Err(e) => report(&e.to_string(), json, if e.is_usage() { 2 } else { 1 }),
    }
}

fn mee(command: &smart_sessions_cli::mee::MeeCommand, g: Generation, json: bool) -> ExitCode {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(smart_sessions_cli::mee::run(command, g)) {
        Ok(answer) => match &answer.error {
            None => {
                print(&answer.output, json);
                ExitCode::from(answer.code)
            }
            // the output names the hash and the failure; its strings are printable already
            Some(_) if json => {
                println!("{}", answer.output);
                ExitCode::from(answer.code)
            }
            Some(e) => report(e, false, answer.code),
        },
        Err(e) => report(
            &smart_sessions_cli::text::with_causes(&e),
            json,
            if e.is_usage() { 2 } else { 1 },
        ),
    }
}

fn tool(tool: &smart_sessions_cli::tools::ToolCommand, g: Generation, json: bool) -> ExitCode {
    match smart_sessions_cli::tools::run(tool, g) {
        Ok(v) => {
            print(&v, json);
            ExitCode::SUCCESS
        }
        // the message already holds its causes' words: printed alone, with the class's exit code
        Err(e) => report(&e.to_string(), json, e.exit_code()),
    }
}

/// Whether `--json` is among the arguments (before a `--`), for errors clap reports before the
/// arguments are parsed.
fn wants_json(args: &[String]) -> bool {
    args.iter().skip(1).take_while(|a| *a != "--").any(|a| a == "--json")
}

/// A clap usage error as one line: its first line without the `error: ` prefix.
fn usage_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or_default();
    first.strip_prefix("error: ").unwrap_or(first).to_string()
}

/// A negative number clap took for an unknown flag (`digest-multichain -1:0x…`), named as the
/// field it was meant for.
fn negative_pair(e: &clap::Error, args: &[String]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument || !args.iter().any(|a| a == "digest-multichain") {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else { return None };
    arg.strip_prefix('-').filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))?;
    // clap names the argument up to its first `:`; the pair is the whole argument
    let pair = args.iter().find(|a| a.starts_with(arg.as_str())).unwrap_or(arg);
    Some(format!("pair {pair:?}: chain id {arg:?} is not an unsigned 64-bit integer"))
}

fn main() -> ExitCode {
    smart_sessions_cli::tls::install_crypto_provider();
    let args = normalize(std::env::args().collect());
    let json = wants_json(&args);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        // help and version: printed as clap formats them, exit 0
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if let Some(m) = negative_pair(&e, &args) => return report(&m, json, 2),
        Err(e) if json => return report(&usage_line(&e), true, 2),
        Err(e) => {
            // clap quotes the arguments it refuses: a mistyped URL is shown redacted
            let text = e.render().to_string();
            eprint!("{}", redact::scrub(&redact::redact_urls(&text)));
            return ExitCode::from(2);
        }
    };
    smart_sessions_cli::logging::init(cli.verbose);
    let g = cli.generation.generation();
    match &cli.command {
        #[cfg(feature = "devnet")]
        Command::Demo { keep, mee: false } => demo(*keep, cli.json),
        #[cfg(feature = "devnet")]
        Command::Demo { keep, mee: true } => demo_mee(*keep, cli.json),
        Command::Net(n) => net(n, g, cli.json),
        Command::Eval { file } => match run_eval(file.clone()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => report(&e.to_string(), cli.json, 1),
        },
        Command::Mee { command } => mee(command, g, cli.json),
        Command::Tool(t) => tool(t, g, cli.json),
    }
}
