//! The command line: arguments, environment, terminal and exit codes. It
//! turns raw arguments into a checked configuration once, hands the work to
//! the library, and maps outcomes to the documented exit codes:
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

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use libtest_mimic::{Failed, Trial};

use crate::catalogue::Catalogue;
use crate::coverage::Coverage;
use crate::http::ClientOptions;
use crate::loader::{self, LoadError};
use crate::mutation;
use crate::report;
use crate::result::{Outcome, ScenarioResult};
use crate::runner;
use crate::scenario::Scenario;
use crate::schema::SchemaSet;
use crate::session::{Session, SessionError, TargetChoice};
use crate::stub::faults::{self, Fault, Variant};
use crate::stub::{self, Rules, StubConfig};

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

/// The command line.
#[derive(Debug, Parser)]
#[command(name = "wingfield-conformance", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the conformance suite, against the embedded stub unless --base-url is given.
    #[command(after_help = RUN_HELP)]
    Run(Box<RunArgs>),
    /// Serve the stub (the contract and the fixture API) until interrupted.
    Stub(StubArgs),
    /// Print the documented responses and the scenarios covering each.
    List(ScenarioArgs),
    /// Run the suite against the stub once per named fault and per harmless variant,
    /// and print which scenarios caught what.
    #[command(after_help = MUTANTS_HELP)]
    Mutants(MutantsArgs),
}

const MUTANTS_HELP: &str = "\
The score is faults caught / faults. Below 100% means some way of breaking the
contract passes the whole suite: a server with that bug would be certified.
A fault marked * was caught, but not by the scenarios or the kind of check the
fault table names. Exit status: 0 when every fault is caught as expected and
every variant passes, 1 otherwise, 2 for a usage or scenario-file error.";

/// `mutants`.
#[derive(Debug, Args)]
pub struct MutantsArgs {
    /// Run only this fault (repeatable); all of them when left out.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Run only this harmless variant (repeatable); all of them when left out.
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Skip the faults and run only the variants.
    #[arg(long, conflicts_with = "faults")]
    pub only_variants: bool,
    /// Skip the variants and run only the faults.
    #[arg(long, conflicts_with = "variants")]
    pub only_faults: bool,
    /// List the faults and variants, and run nothing.
    #[arg(long)]
    pub list: bool,
    /// Seconds one request may take; short, since one fault stalls a body on purpose.
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Where scenarios come from.
    #[command(flatten)]
    pub source: ScenarioArgs,
}

const RUN_HELP: &str = "\
Examples:
  wingfield-conformance run                        the whole suite, embedded stub
  wingfield-conformance run invalid_api_token      only scenarios whose name contains it
  wingfield-conformance run --list                 list the scenarios, send nothing
  WINGFIELD_ADMIN_TOKEN=... wingfield-conformance run \\
      --base-url https://dev.wingfield.systems --admin-url https://dev.wingfield.systems/_fixtures/v1

Tokens are read from the environment and never printed. Exit status: 0 passed,
1 a gating scenario failed, 2 usage or scenario-file error, 3 fixtures could not
be seeded or read back.";

/// Where scenarios come from.
#[derive(Debug, Clone, Args)]
pub struct ScenarioArgs {
    /// Load scenarios from this folder (every *.json) instead of the shipped ones; repeatable.
    #[arg(long = "scenarios", value_name = "DIR")]
    pub scenarios: Vec<PathBuf>,
    /// With --scenarios: run the shipped scenarios as well.
    #[arg(long)]
    pub with_shipped: bool,
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Base URL of the server to certify; the embedded stub when left out.
    #[arg(long, env = "WINGFIELD_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Base URL of the target's fixture API (see docs/fixture-api.md); needed with --base-url.
    #[arg(long, env = "WINGFIELD_ADMIN_URL", value_name = "URL")]
    pub admin_url: Option<String>,
    /// Admin token of the fixture API. Prefer the environment variable: a flag shows in `ps`.
    #[arg(
        long,
        env = "WINGFIELD_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub admin_token: Option<String>,
    /// Seconds one request may take, body included.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Largest response body read, in bytes; a longer one fails its scenario.
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES")]
    pub max_body: usize,
    /// Extra CA certificates (PEM) to trust, for a target behind a private CA.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Log every claim request and response to stderr, curl-style (tokens masked).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Where scenarios come from.
    #[command(flatten)]
    pub source: ScenarioArgs,
    /// Test-runner options, as `cargo test` takes them.
    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

/// `stub`.
#[derive(Debug, Args)]
pub struct StubArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Admin token the fixture API requires; generated and written to a file when not set.
    #[arg(
        long,
        env = "WINGFIELD_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub admin_token: Option<String>,
    /// Break the contract this way (repeatable; see `mutants --list`).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Differ from the stub's own choices this harmless way (repeatable).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
}

/// Runs the command line and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => run(*args),
        Command::Stub(args) => serve_stub(args),
        Command::List(args) => list(args),
        Command::Mutants(args) => mutants(args),
    };
    ExitCode::from(code)
}

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
    print!("{}", Coverage::of(&catalogue, &scenarios).render());
    println!("{} scenario(s).", scenarios.len());
    EXIT_PASSED
}

/// The faults and variants named on the command line, checked.
fn rules_from(faults: &[String], variants: &[String]) -> Result<Rules, u8> {
    let mut rules = Rules::default();
    for name in faults {
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
    for name in variants {
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

fn mutants(args: MutantsArgs) -> u8 {
    if args.list {
        println!("faults (each breaks the contract one way):");
        for fault in faults::FAULTS {
            println!("  {:32} {}", fault.name, fault.description);
            println!(
                "  {:32} caught by {} ({})",
                "",
                fault.caught_by.join(", "),
                fault.reason
            );
        }
        println!("\nharmless variants (each must pass the whole suite):");
        for variant in Variant::ALL {
            println!("  {:32} {}", variant.name(), variant.description());
        }
        return EXIT_PASSED;
    }
    let catalogue = Catalogue::shipped();
    let schemas = SchemaSet::shipped();
    let scenarios = match load(&args.source, &catalogue, &schemas) {
        Ok(scenarios) => scenarios,
        Err(code) => return code,
    };
    let chosen = match rules_from(&args.faults, &args.variants) {
        Ok(rules) => rules,
        Err(code) => return code,
    };
    let fault_list: Vec<Fault> = match (args.only_variants, chosen.faults.is_empty()) {
        (true, _) => Vec::new(),
        (false, true) => faults::FAULTS.to_vec(),
        (false, false) => chosen.faults,
    };
    let variant_list: Vec<Variant> = match (args.only_faults, chosen.variants.is_empty()) {
        (true, _) => Vec::new(),
        (false, true) => Variant::ALL.to_vec(),
        (false, false) => chosen.variants,
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return usage_error(
            "--timeout must be a positive number of seconds",
            "for example --timeout 2",
        );
    }
    let client = ClientOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        ..ClientOptions::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return EXIT_UNREACHABLE;
        }
    };
    eprintln!(
        "running {} scenario(s) against {} fault(s) and {} variant(s)...",
        scenarios.len(),
        fault_list.len(),
        variant_list.len()
    );
    match runtime.block_on(mutation::run(
        &scenarios,
        &fault_list,
        &variant_list,
        &client,
    )) {
        Ok(report) => {
            print!("{}", mutation::render(&report));
            if report.perfect() {
                EXIT_PASSED
            } else {
                EXIT_FAILED
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_UNREACHABLE
        }
    }
}

fn usage_error(message: &str, hint: &str) -> u8 {
    eprintln!("error: {message}\n  help: {hint}");
    EXIT_USAGE
}

/// Checks a URL given on the command line.
fn check_url(flag: &str, value: &str) -> Result<String, u8> {
    match reqwest::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(value.trim_end_matches('/').to_string())
        }
        Ok(_) => Err(usage_error(
            &format!("{flag} {value:?} is not an http(s) URL"),
            "write it as https://host[:port][/prefix]",
        )),
        Err(error) => Err(usage_error(
            &format!("{flag} {value:?} is not a URL: {error}"),
            "write it as https://host[:port][/prefix]",
        )),
    }
}

fn target_choice(args: &RunArgs) -> Result<TargetChoice, u8> {
    let Some(base_url) = &args.base_url else {
        return Ok(TargetChoice::Embedded(Rules::default()));
    };
    let base_url = check_url("--base-url", base_url)?;
    let Some(admin_url) = &args.admin_url else {
        return Err(usage_error(
            "--base-url needs --admin-url: the harness seeds each scenario through the target's fixture API",
            "pass --admin-url URL or set WINGFIELD_ADMIN_URL (docs/fixture-api.md)",
        ));
    };
    let admin_url = check_url("--admin-url", admin_url)?;
    let Some(admin_token) = args.admin_token.clone().filter(|t| !t.is_empty()) else {
        return Err(usage_error(
            "no admin token for the fixture API",
            "set WINGFIELD_ADMIN_TOKEN (or pass --admin-token)",
        ));
    };
    Ok(TargetChoice::Remote {
        base_url,
        admin_url,
        admin_token,
    })
}

fn client_options(args: &RunArgs) -> Result<ClientOptions, u8> {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err(usage_error(
            "--timeout must be a positive number of seconds",
            "for example --timeout 10",
        ));
    }
    Ok(ClientOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        body_limit: args.max_body,
        ca_cert: args.ca_cert.clone(),
        use_env_proxy: true,
    })
}

/// Sends log lines to stderr: warnings only, or every claim request and
/// response with `-v`. Colour only on a terminal, and never with `NO_COLOR`.
fn init_logging(verbose: u8) {
    use std::io::IsTerminal as _;
    let level = match verbose {
        0 => "warn",
        _ => "wingfield_conformance::runner=info,warn",
    };
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false)
        .with_level(false)
        .without_time()
        .try_init();
}

fn run(args: RunArgs) -> u8 {
    init_logging(args.verbose);
    let catalogue = Catalogue::shipped();
    let schemas = SchemaSet::shipped();
    let scenarios = match load(&args.source, &catalogue, &schemas) {
        Ok(scenarios) => scenarios,
        Err(code) => return code,
    };
    if args.libtest.list {
        // Listing sends nothing, so it needs no target.
        let trials = scenarios.iter().map(trial_stub).collect();
        let _listed = libtest_mimic::run(&args.libtest, trials);
        return EXIT_PASSED;
    }

    let uncovered = Coverage::of(&catalogue, &scenarios).uncovered();
    if !uncovered.is_empty() {
        let rows: Vec<String> = uncovered.iter().map(|row| row.key()).collect();
        return usage_error(
            &format!("no gating scenario covers: {}", rows.join(", ")),
            "a run certifies every documented response; add scenarios or use --with-shipped",
        );
    }
    let choice = match target_choice(&args) {
        Ok(choice) => choice,
        Err(code) => return code,
    };
    let options = match client_options(&args) {
        Ok(options) => options,
        Err(code) => return code,
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return EXIT_UNREACHABLE;
        }
    };
    let session = match runtime.block_on(Session::open(choice, options)) {
        Ok(session) => session,
        Err(error @ SessionError::Client(_)) => {
            return usage_error(
                &error.to_string(),
                "install the system CA certificates (ca-certificates) or pass --ca-cert FILE",
            );
        }
        Err(error @ SessionError::Stub(_)) => {
            eprintln!("error: {error}");
            return EXIT_UNREACHABLE;
        }
    };
    let runtime = Arc::new(runtime);
    let target = Arc::new(session.target.clone());
    let results: Arc<Mutex<Vec<ScenarioResult>>> = Arc::default();

    // Ctrl-C mid-run still removes what the run seeded on the target.
    let interrupted = target.clone();
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: tearing down this run's fixtures...");
            if let Err(error) = runner::teardown(&interrupted).await {
                eprintln!("warning: teardown failed: {error}");
            }
            std::process::exit(130);
        }
    });

    let trials = scenarios
        .into_iter()
        .map(|scenario| {
            let (runtime, target, results) = (runtime.clone(), target.clone(), results.clone());
            let kind = if scenario.is_gating() { "" } else { "advisory" };
            Trial::test(scenario.id.clone(), move || {
                let result = runtime.block_on(runner::run_scenario(&target, &scenario));
                let message = report::human::failure_message(&result, &target.redactor);
                let outcome = result.outcome;
                results
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(result);
                match outcome {
                    Outcome::Passed => Ok(()),
                    _ => Err(Failed::from(message)),
                }
            })
            .with_kind(kind)
        })
        .collect();

    // libtest-mimic's own verdict counts advisory failures too; the exit
    // code comes from the recorded results, which tell them apart.
    let _conclusion = libtest_mimic::run(&args.libtest, trials);

    let teardown = runtime.block_on(session.close());
    let results = std::mem::take(&mut *results.lock().unwrap_or_else(|p| p.into_inner()));
    let mut code = exit_code(&results);
    if let Err(error) = teardown {
        eprintln!("warning: tearing down this run's fixtures failed: {error}");
    }
    if let Some(path) = &args.junit
        && let Err(error) = write_junit(path, &results, &target)
    {
        eprintln!(
            "error: cannot write the JUnit report to {}: {error}",
            path.display()
        );
        code = code.max(EXIT_USAGE);
    }
    print_summary(&results);
    code
}

/// A trial that is only listed, never run.
fn trial_stub(scenario: &Scenario) -> Trial {
    let kind = if scenario.is_gating() { "" } else { "advisory" };
    Trial::test(scenario.id.clone(), || Ok(())).with_kind(kind)
}

fn write_junit(
    path: &PathBuf,
    results: &[ScenarioResult],
    target: &runner::Target,
) -> Result<(), String> {
    let mut sorted = results.to_vec();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let xml = report::junit::render(&sorted, &target.redactor)?;
    std::fs::write(path, xml).map_err(|e| e.to_string())
}

/// The exit code for a set of results: advisory scenarios never fail a run.
pub fn exit_code(results: &[ScenarioResult]) -> u8 {
    let gating = || results.iter().filter(|r| r.gating);
    if gating().any(|r| r.outcome == Outcome::Failed) {
        EXIT_FAILED
    } else if gating().any(|r| r.outcome == Outcome::SetupError) {
        EXIT_UNREACHABLE
    } else {
        EXIT_PASSED
    }
}

fn print_summary(results: &[ScenarioResult]) {
    let count = |gating: bool, outcome: Outcome| {
        results
            .iter()
            .filter(|r| r.gating == gating && r.outcome == outcome)
            .count()
    };
    println!(
        "conformance: gating {} passed, {} failed, {} set-up errors; advisory {} passed, {} failed (advisory failures do not fail the run)",
        count(true, Outcome::Passed),
        count(true, Outcome::Failed),
        count(true, Outcome::SetupError),
        count(false, Outcome::Passed),
        count(false, Outcome::Failed) + count(false, Outcome::SetupError),
    );
}

fn serve_stub(args: StubArgs) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return EXIT_UNREACHABLE;
        }
    };
    let rules = match rules_from(&args.faults, &args.variants) {
        Ok(rules) => rules,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let (admin_token, origin) = match args.admin_token.filter(|t| !t.is_empty()) {
            Some(token) => (token, "taken from WINGFIELD_ADMIN_TOKEN (or --admin-token)".to_string()),
            None => {
                let token = format!("wfadmin_{}", uuid::Uuid::new_v4().simple());
                match write_token_file(&token, args.listen.port()) {
                    Ok(path) => (
                        token,
                        format!(
                            "generated and written to {path}\n  use it with: export WINGFIELD_ADMIN_TOKEN=\"$(cat {path})\""
                        ),
                    ),
                    Err(error) => {
                        eprintln!(
                            "error: cannot write the generated admin token: {error}\n  help: set WINGFIELD_ADMIN_TOKEN instead"
                        );
                        return EXIT_USAGE;
                    }
                }
            }
        };
        let config_faults: Vec<String> = rules.faults.iter().map(|f| format!("{} ({})", f.name, f.description)).collect();
        let config_variants: Vec<String> = rules.variants.iter().map(|v| format!("{} ({})", v.name(), v.description())).collect();
        let config = StubConfig { admin_token, rules };
        let running = match stub::start(config, args.listen).await {
            Ok(running) => running,
            Err(error) => {
                eprintln!("error: cannot listen on {}: {error}\n  help: pick another --listen address", args.listen);
                return EXIT_UNREACHABLE;
            }
        };
        let mut banner = String::new();
        let _ = writeln!(banner, "wingfield-conformance stub listening");
        let _ = writeln!(banner, "  base URL:    {}", running.base_url());
        let _ = writeln!(banner, "  admin URL:   {}", running.admin_url());
        let _ = writeln!(banner, "  admin token: {origin}");
        for fault in &config_faults {
            let _ = writeln!(banner, "  FAULT:       {fault}");
        }
        for variant in &config_variants {
            let _ = writeln!(banner, "  variant:     {variant}");
        }
        let _ = writeln!(banner, "run the suite against it:");
        let _ = writeln!(
            banner,
            "  wingfield-conformance run --base-url {} --admin-url {}",
            running.base_url(),
            running.admin_url()
        );
        let _ = writeln!(banner, "stop with Ctrl-C.");
        // A closed stdout (`stub | head -3`) must not stop the server.
        say(&banner);
        if let Err(error) = tokio::signal::ctrl_c().await {
            eprintln!("error: cannot wait for Ctrl-C: {error}");
        }
        say("stopping.\n");
        running.stop().await;
        EXIT_PASSED
    })
}

/// Prints to stdout, ignoring a closed pipe.
fn say(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Writes a generated admin token to a file only its owner can read.
fn write_token_file(token: &str, port: u16) -> std::io::Result<String> {
    use std::io::Write as _;
    let path = std::env::temp_dir().join(format!("wingfield-stub-admin-token-{port}"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&path)?;
    file.write_all(token.as_bytes())?;
    Ok(path.display().to_string())
}
