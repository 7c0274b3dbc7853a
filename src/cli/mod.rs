//! The command line: arguments, environment, terminal and exit codes. Each
//! subcommand turns its raw arguments into a checked configuration once,
//! hands the work to the library, and maps the outcome to the documented
//! exit codes:
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | every gating scenario that ran passed |
//! | 1 | a gating scenario failed: the target breaks the contract |
//! | 2 | usage error, or a scenario or config file is invalid; nothing was sent |
//! | 3 | fixtures could not be seeded or read back (fixture API unreachable or refusing) |
//!
//! A claim request that gets no whole answer is a contract failure (1),
//! not 3: the target is expected to answer.

mod mutants;
mod run;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::catalogue::Catalogue;
use crate::coverage::Coverage;
use crate::loader::{self, LoadError};
use crate::scenario::Scenario;
use crate::schema::SchemaSet;
use crate::stub::faults::{self, Rules, Variant};

pub use run::exit_code;

/// Exit code: every gating scenario passed.
pub const EXIT_PASSED: u8 = 0;
/// Exit code: a gating scenario failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: usage, scenario-file or configuration error; nothing was sent.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: fixtures could not be seeded or read back.
pub const EXIT_UNREACHABLE: u8 = 3;

const ABOUT: &str = "Contract conformance harness for the Wingfield Partner API claim endpoint";

const LONG_ABOUT: &str = "\
Certifies POST /api/v1/external-services/{externalServiceId}/organization-relations/claim
against its documented contract. Each scenario seeds its preconditions through the
fixture API, sends the claim request, and checks status, error type, content type,
body schema, and that a failed claim changed nothing.

With no target, `run` starts an embedded stub on a loopback port and certifies it.";

const EXIT_CODES: &str = "\
Exit status:
  0  every gating scenario that ran passed
  1  a gating scenario failed: the target breaks the contract
  2  usage error, or an invalid scenario or config file (no request was sent)
  3  fixtures could not be seeded or read back: the fixture API was unreachable
     or refused (a claim request without an answer is a failure, status 1)";

/// clap's layout, with the subcommand's description first.
const HELP_TEMPLATE: &str =
    "{about-with-newline}\n{usage-heading} {usage}\n\n{all-args}{after-help}";

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "wingfield-conformance",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the conformance suite, against the embedded stub unless --base-url is given.
    #[command(after_help = run::RUN_HELP, help_template = HELP_TEMPLATE)]
    Run(Box<run::RunArgs>),
    /// Serve the stub (the contract and the fixture API) until interrupted. Without an admin
    /// token, one is generated and written to a private file the banner names.
    #[command(help_template = HELP_TEMPLATE)]
    Stub(serve::StubArgs),
    /// Print the documented responses and the scenarios covering each.
    #[command(help_template = HELP_TEMPLATE)]
    List(ScenarioArgs),
    /// Run the suite against the stub once per named fault and per harmless variant,
    /// and print which scenarios caught what.
    #[command(after_help = mutants::MUTANTS_HELP, help_template = HELP_TEMPLATE)]
    Mutants(mutants::MutantsArgs),
}

/// The fixture API's admin token, for `run` (to seed) and `stub` (to require).
#[derive(Debug, Clone, Args)]
pub struct AdminTokenArg {
    /// Admin token of the fixture API. Prefer the environment variable: a flag shows in `ps`.
    #[arg(
        long = "admin-token",
        env = "WINGFIELD_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub value: Option<String>,
}

impl AdminTokenArg {
    /// The token, unless unset or empty.
    pub fn get(&self) -> Option<String> {
        self.value.clone().filter(|token| !token.is_empty())
    }
}

/// Where scenarios come from.
#[derive(Debug, Clone, Args)]
pub struct ScenarioArgs {
    /// Load scenarios from this folder (every *.json) instead of the shipped ones; repeatable.
    #[arg(long = "scenarios", value_name = "DIR")]
    pub scenarios: Vec<PathBuf>,
    /// With --scenarios: run the shipped scenarios as well.
    #[arg(long, requires = "scenarios")]
    pub with_shipped: bool,
}

/// Runs the command line and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Stub(args) => serve::serve(args),
        Command::List(args) => list(args),
        Command::Mutants(args) => mutants::mutants(args),
    };
    ExitCode::from(code)
}

/// Loads the scenarios, printing every problem; `Err` is the exit code.
fn load(
    source: &ScenarioArgs,
    catalogue: &Catalogue,
    schemas: &SchemaSet,
) -> Result<Vec<Scenario>, u8> {
    loader::load_set(&source.scenarios, source.with_shipped, catalogue, schemas).map_err(|error| {
        match &error {
            LoadError::Invalid(problems) => {
                for problem in problems {
                    eprintln!("{problem}");
                }
                eprintln!(
                    "{} problem(s) in scenario files; no request was sent.",
                    problems.len()
                );
            }
            other => eprintln!("error: {other}\nno request was sent."),
        }
        EXIT_USAGE
    })
}

fn list(args: ScenarioArgs) -> u8 {
    let catalogue = Catalogue::shipped();
    let schemas = SchemaSet::shipped();
    let scenarios = match load(&args, &catalogue, &schemas) {
        Ok(scenarios) => scenarios,
        Err(code) => return code,
    };
    say(&Coverage::of(&catalogue, &scenarios).render());
    say(&format!("{} scenario(s).\n", scenarios.len()));
    EXIT_PASSED
}

/// Prints an error with a hint and returns the usage exit code.
fn usage_error(message: &str, hint: &str) -> u8 {
    eprintln!("error: {message}\n  help: {hint}");
    EXIT_USAGE
}

/// Prints to stdout, ignoring a closed pipe: `stub | head -3` must not
/// stop a server, nor `run | head` skip the teardown.
fn say(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Waits for Ctrl-C or SIGTERM and returns the exit code a shell expects
/// for it (128 + the signal number).
async fn interrupted() -> i32 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return 130,
                _ = terminate.recv() => return 143,
            }
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    130
}

/// A multi-threaded tokio runtime, or the exit code if none can start.
fn runtime() -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprintln!("error: cannot start the async runtime: {error}");
            EXIT_UNREACHABLE
        })
}

/// Parses a number of seconds for `--timeout`: at least a millisecond, at
/// most a day.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(0.001..=86_400.0).contains(&seconds) {
        return Err(format!(
            "{text} is out of range: give 0.001 to 86400 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The faults and variants named on the command line, checked.
fn rules_from(fault_names: &[String], variant_names: &[String]) -> Result<Rules, u8> {
    let mut rules = Rules::default();
    for name in fault_names {
        match faults::fault_named(name) {
            Some(fault) => rules.faults.push(fault),
            None => {
                return Err(usage_error(
                    &format!("there is no fault {name:?}"),
                    "`wingfield-conformance mutants --list` lists them",
                ));
            }
        }
    }
    for name in variant_names {
        match Variant::named(name) {
            Some(variant) => rules.variants.push(variant),
            None => {
                return Err(usage_error(
                    &format!("there is no variant {name:?}"),
                    "`wingfield-conformance mutants --list` lists them",
                ));
            }
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_bounded() {
        assert_eq!(parse_seconds("2.5"), Ok(Duration::from_millis(2500)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("1e30").is_err());
        assert!(parse_seconds("nan").is_err());
        assert!(parse_seconds("abc").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
