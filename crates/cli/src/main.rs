//! `smart-sessions`: ERC-7579 Smart Sessions from the command line.

use clap::{Parser, Subcommand};
use std::{
    fs::File,
    io::{self, BufRead, BufReader, BufWriter, Write},
    path::PathBuf,
    process::ExitCode,
};

#[derive(Parser, Debug)]
#[command(
    name = "smart-sessions",
    version,
    about = "ERC-7579 Smart Sessions: encode, check and use session keys"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
}

fn run_eval(file: Option<PathBuf>) -> io::Result<()> {
    let input: Box<dyn BufRead> = match file {
        Some(path) => Box::new(BufReader::new(File::open(&path).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display()))
        })?)),
        None => Box::new(io::stdin().lock()),
    };
    let mut out = BufWriter::new(io::stdout().lock());
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(out, "{}", smart_sessions_cli::eval::eval_line(&line))?;
    }
    out.flush()
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Eval { file } => run_eval(file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
